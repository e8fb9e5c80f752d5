from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from oms.access import Access, access, current_actor
from oms.blueprints.payment_settings import bp
from oms.blueprints.payment_settings.forms import PaymentSettingsForm, form_data
from oms.extensions import db
from oms.services.payments import settings as payment_settings


@bp.route("/", methods=["GET", "POST"])
@access(Access.admin)
def edit():
    """決済設定: the card gateway, 楽天カード決済API and the automatic payment steps."""
    current = payment_settings.read(db.session)
    if request.method == "GET":
        return _page(PaymentSettingsForm(formdata=None, data=form_data(current)), current, 200)
    form = PaymentSettingsForm()
    if not form.validate():
        return _page(form, current, 422)
    secret = current_app.config["SECRET_KEY"]
    wanted = payment_settings.with_keys(
        form.settings(payment_settings.read(db.session)), secret,
        api_key="" if form.remove_keys.data else (form.api_key.data or None),
        rakuten_card_api_key="" if form.remove_keys.data
        else (form.rakuten_card_api_key.data or None))
    if payment_settings.save(db.session, wanted, current_actor()):
        flash(_("The payment settings were saved."), "success")
    else:
        flash(_("Nothing was changed."), "info")
    return redirect(url_for(".edit"), 303)


def _page(form: PaymentSettingsForm, current: payment_settings.PaymentSettings, status: int):
    secret = current_app.config["SECRET_KEY"]
    return render_template(
        "payment_settings/edit.html", form=form,
        stored_key=payment_settings.masked(secret, current.api_key),
        stored_rakuten_key=payment_settings.masked(secret, current.rakuten_card_api_key),
    ), status
