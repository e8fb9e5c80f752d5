"""お客様からの通信欄 / お客様への返信 / 備考欄 / 連携用補足テキスト (seed 004): add to a text
or overwrite it."""

from flask_babel import lazy_gettext as _l
from wtforms import Form, RadioField, SelectChoice, TextAreaField, ValidationError
from wtforms.validators import Length

from oms.models import Order, TargetState
from oms.services.bulk.fields import FIELDS
from oms.services.bulk.operations.base import Operation, Refusal, equal_or_both_empty

MAX_TEXT = 4000


class TextForm(Form):
    mode = RadioField(_l("How"), default="add",
                      choices=[SelectChoice("add", _l("Add to the end")),
                               SelectChoice("overwrite", _l("Overwrite"))])
    text = TextAreaField(_l("Text"), validators=[Length(max=MAX_TEXT)])

    def validate_text(self, field):
        if self.mode.data == "add" and not (field.data or "").strip():
            raise ValidationError(_l("Enter the text to add."))


class EditText(Operation):
    form = TextForm
    undoable = True
    allowed_while_waiting = True

    def __init__(self, column: str):
        self.key = column
        self.column = column
        self.label = FIELDS[column].label

    def options_from(self, form):
        text = (form.text.data or "").replace("\r\n", "\n")
        return {"mode": form.mode.data, "text": text}

    def describe(self, session, options):
        excerpt = options["text"] if len(options["text"]) <= 40 else options["text"][:40] + "…"
        if options["mode"] == "add":
            return str(_l("%(field)s: add “%(text)s”", field=self.label, text=excerpt))
        return str(_l("%(field)s: overwrite with “%(text)s”", field=self.label, text=excerpt))

    def refusals(self, options):
        if options["mode"] != "overwrite":
            return []
        same = equal_or_both_empty(getattr(Order, self.column), options["text"])
        return [Refusal(same, str(_l("Already has this text.")), TargetState.skipped)]

    def replaces(self, options):
        return options["mode"] == "overwrite"

    def plan(self, order, options, context):
        text = options["text"]
        if options["mode"] == "add":
            current = getattr(order, self.column)
            text = f"{current}\n{text}" if current else text
        return {self.column: text or None}


OPERATIONS = [EditText(column) for column in (
    "customer_comment", "reply_to_customer", "remarks1", "remarks2", "linkage_text")]
