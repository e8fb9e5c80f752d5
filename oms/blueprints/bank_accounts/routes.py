from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from oms import labels
from oms.access import Access, access, current_actor
from oms.blueprints.bank_accounts import bp
from oms.blueprints.bank_accounts.forms import AccountForm
from oms.blueprints.common import EmptyForm, get_or_404
from oms.extensions import db
from oms.models import BankAccount
from oms.services import bank_accounts


def _index():
    return redirect(url_for("bank_accounts.index"), 303)


@bp.route("/")
@access(Access.admin)
def index():
    """銀行振込の口座設定: the accounts, active ones first."""
    return render_template("bank_accounts/index.html", labels=labels,
                           accounts=bank_accounts.accounts(db.session),
                           confirm_form=EmptyForm(formdata=None))


def _form_page(form: AccountForm, target: BankAccount | None):
    """Show the account form, or save it and go back to the list."""
    if request.method == "POST" and form.validate():
        try:
            if target is None:
                bank_accounts.create(db.session, form.spec(), current_actor())
            else:
                bank_accounts.update(db.session, target, form.spec(), current_actor())
        except bank_accounts.AccountRefused as refused:
            for name, message in refused.errors.items():
                form[name].errors = [message]
        else:
            flash(_("The bank account was saved."), "success")
            return _index()
    status = 422 if request.method == "POST" else 200
    return render_template("bank_accounts/form.html", form=form, target=target), status


@bp.route("/new", methods=["GET", "POST"])
@access(Access.admin)
def new():
    """Add an account."""
    return _form_page(AccountForm() if request.method == "POST" else AccountForm(formdata=None),
                      None)


@bp.route("/<int:account_id>/edit", methods=["GET", "POST"])
@access(Access.admin)
def edit(account_id: int):
    """Change an account."""
    target = get_or_404(BankAccount, account_id)
    if request.method == "POST":
        return _form_page(AccountForm(), target)
    form = AccountForm(formdata=None, obj=target)
    form.account_type.data = target.account_type.value
    return _form_page(form, target)


@bp.post("/<int:account_id>/deactivate")
@access(Access.admin)
def deactivate(account_id: int):
    """Stop offering the account; orders paid to it keep it."""
    return _set_active(account_id, False, _("The bank account was deactivated."))


@bp.post("/<int:account_id>/reactivate")
@access(Access.admin)
def reactivate(account_id: int):
    """Offer the account again."""
    return _set_active(account_id, True, _("The bank account was reactivated."))


def _set_active(account_id: int, active: bool, message: str):
    target = get_or_404(BankAccount, account_id)
    if not EmptyForm().validate():
        abort(400)
    bank_accounts.set_active(db.session, target, active, current_actor())
    flash(message, "success")
    return _index()
