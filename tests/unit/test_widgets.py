"""The fast widget attributes give WTForms' own markup, byte for byte: a difference would
change every form of the product (or open an injection)."""

import importlib.util

import pytest
from markupsafe import Markup

from oms.widgets import attributes


def wtforms_html_params():
    """WTForms' own function, from a fresh copy of its module (the app replaced it)."""
    spec = importlib.util.find_spec("wtforms.widgets.core")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.html_params


CASES = [
    {"name": "buyer_name", "id": "buyer_name", "maxlength": 50, "value": "山田 太郎",
     "class_": "wide", "required": True, "disabled": False},
    {"value": 3, "selected": True},
    {"value": '"><script>alert(1)</script>', "title": "a & b < c > d ' e"},
    {"value": Markup('<b class="x">safe</b>'), "data_hx_get": "/a?b=1&c=2",
     "aria_described_by": "e"},
    {"value": None, "placeholder": "", "min": 0, "step": 0.5},
    {"hx-get": "/orders/1/edit/delivery", "hx-include": "#delivery-choices"},
    {},
]


@pytest.mark.parametrize("params", CASES)
def test_same_markup_as_wtforms(params):
    expected = wtforms_html_params()(**params)
    assert attributes(**params) == expected
    assert isinstance(attributes(**params), Markup)


def test_forms_render_through_it(app):
    from wtforms import Form, SelectChoice, SelectField, StringField

    class Sample(Form):
        name = StringField()
        choice = SelectField(choices=[SelectChoice("1", "一"),
                                      SelectChoice("2", '"二"')])

    html = Sample(data={"name": '<x "y">', "choice": "2"})
    assert str(html.name()) == ('<input id="name" name="name" type="text" '
                                'value="&lt;x &#34;y&#34;&gt;">')
    assert str(html.choice()) == ('<select id="choice" name="choice"><option value="1">一</option>'
                                  '<option selected value="2">&#34;二&#34;</option></select>')


def test_wtforms_messages_follow_each_requests_language(app):
    """The catalog is kept per process: a request in one language must not get the
    other's messages from it."""
    from flask import session
    from flask_wtf import FlaskForm
    from wtforms import StringField
    from wtforms.validators import Length

    class Sample(FlaskForm):
        class Meta:
            csrf = False

        name = StringField(validators=[Length(max=3)])

    for lang in ("ja", "en", "ja"):
        with app.test_request_context(method="POST", data={"name": "toolong"}):
            session["lang"] = lang
            form = Sample()
            assert not form.validate()
            expected = ("フィールドは 3 文字を超えることはできません。" if lang == "ja"
                        else "Field cannot be longer than 3 characters.")
            assert form.name.errors == [expected]
