from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from oms import labels
from oms.access import Access, access, current_actor
from oms.blueprints.common import EmptyForm, get_or_404
from oms.blueprints.payment_methods import bp
from oms.blueprints.payment_methods.forms import MethodForm
from oms.extensions import db
from oms.models import PaymentMethod
from oms.services import payment_methods


def _index():
    return redirect(url_for("payment_methods.index"), 303)


@bp.route("/")
@access(Access.admin)
def index():
    """支払い方法管理: the methods, active ones first, with the orders using each."""
    return render_template("payment_methods/index.html", labels=labels,
                           rows=payment_methods.listed(db.session),
                           confirm_form=EmptyForm(formdata=None))


def _form_page(form: MethodForm, target: PaymentMethod | None):
    """Show the method form, or save it and go back to the list."""
    if target is not None:
        del form.code  # the code is fixed once orders may point at the method
    if request.method == "POST" and form.validate():
        try:
            if target is None:
                payment_methods.create(db.session, form.code.data, form.spec(),
                                       current_actor())
            else:
                payment_methods.update(db.session, target, form.spec(), current_actor())
        except payment_methods.MethodRefused as refused:
            for name, message in refused.errors.items():
                form[name].errors = [message]
        else:
            flash(_("The payment method was saved."), "success")
            return _index()
    status = 422 if request.method == "POST" else 200
    return render_template("payment_methods/form.html", form=form, target=target), status


@bp.route("/new", methods=["GET", "POST"])
@access(Access.admin)
def new():
    """Add a method."""
    return _form_page(MethodForm() if request.method == "POST" else MethodForm(formdata=None),
                      None)


@bp.route("/<int:method_id>/edit", methods=["GET", "POST"])
@access(Access.admin)
def edit(method_id: int):
    """Change a method."""
    target = get_or_404(PaymentMethod, method_id)
    if request.method == "POST":
        return _form_page(MethodForm(), target)
    form = MethodForm(formdata=None, obj=target)
    form.kind.data = target.kind.value
    return _form_page(form, target)


@bp.post("/<int:method_id>/deactivate")
@access(Access.admin)
def deactivate(method_id: int):
    """Stop offering the method; orders that use it keep it."""
    target = get_or_404(PaymentMethod, method_id)
    _set_active(target, False)
    used = payment_methods.orders_using(db.session, target)
    flash(_("The payment method was deactivated. %(n)s orders use it and keep it.",
            n=f"{used:,}") if used else _("The payment method was deactivated."), "success")
    return _index()


@bp.post("/<int:method_id>/reactivate")
@access(Access.admin)
def reactivate(method_id: int):
    """Offer the method again."""
    _set_active(get_or_404(PaymentMethod, method_id), True)
    flash(_("The payment method was reactivated."), "success")
    return _index()


def _set_active(target: PaymentMethod, active: bool) -> None:
    if not EmptyForm().validate():
        abort(400)
    payment_methods.set_active(db.session, target, active, current_actor())
