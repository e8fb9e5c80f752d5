"""Customer consultations on the order detail screen (seed 003 お問い合わせ対応)."""

from flask import flash, request
from flask_babel import gettext as _

from oms import labels
from oms.access import Access, access, current_actor
from oms.blueprints.common import get_or_404
from oms.blueprints.orders import bp
from oms.blueprints.orders.detail import back_to_detail, get_order, render_panel
from oms.blueprints.orders.detail_forms import InquiryForm
from oms.extensions import db
from oms.models import Inquiry, InquiryCategory, InquiryResult
from oms.services import inquiries


def _inquiry(order_id: int, inquiry_id: int) -> Inquiry:
    return get_or_404(Inquiry, inquiry_id, order_id=order_id)


def _fields(form: InquiryForm) -> dict:
    return {"category": InquiryCategory(form.category.data), "content": form.content.data,
            "reply": form.reply.data, "result": InquiryResult(form.result.data)}


@bp.route("/<order_number>/inquiries/new", methods=["GET", "POST"])
@access(Access.operator)
def new_inquiry(order_number: str):
    """相談登録: register a customer consultation."""
    order = get_order(order_number)
    form = InquiryForm() if request.method == "POST" else InquiryForm(formdata=None)
    form.set_choices(labels)
    if request.method == "GET" or not form.validate():
        status = 422 if request.method == "POST" else 200
        return render_panel("orders/inquiry_form.html", status, order=order, form=form,
                            inquiry=None)
    try:
        inquiries.register(db.session, order, current_actor(), **_fields(form))
    except inquiries.InquiryError as error:
        for name, message in error.errors.items():
            form[name].errors = [message]
        return render_panel("orders/inquiry_form.html", 422, order=order, form=form,
                            inquiry=None)
    flash(_("The consultation was registered."), "success")
    return back_to_detail(order, "inquiries")


def _inquiry_page(order, form: InquiryForm, inquiry, status: int = 200, **context):
    return render_panel("orders/inquiry_form.html", status, order=order, form=form,
                        inquiry=inquiry, **context)


@bp.get("/<order_number>/inquiries/<bigid:inquiry_id>/edit")
@access(Access.operator)
def edit_inquiry(order_number: str, inquiry_id: int):
    """A consultation's form; read-only once its result is completed."""
    order = get_order(order_number)
    inquiry = _inquiry(order.id, inquiry_id)
    form = InquiryForm(formdata=None, obj=inquiry)
    form.set_choices(labels)
    form.category.data, form.result.data = inquiry.category.value, inquiry.result.value
    return _inquiry_page(order, form, inquiry)


@bp.post("/<order_number>/inquiries/<bigid:inquiry_id>/edit")
@access(Access.operator)
def save_inquiry(order_number: str, inquiry_id: int):
    """Change a consultation until its result is completed (409 afterwards)."""
    order = get_order(order_number)
    inquiry = _inquiry(order.id, inquiry_id)
    form = InquiryForm()
    form.set_choices(labels)
    if inquiry.locked:
        return _inquiry_page(order, form, inquiry, 409, locked_refusal=True)
    if not form.validate():
        return _inquiry_page(order, form, inquiry, 422)
    try:
        inquiries.update(db.session, inquiry, current_actor(), **_fields(form))
    except inquiries.InquiryError as error:
        for name, message in error.errors.items():
            form[name].errors = [message]
        return _inquiry_page(order, form, inquiry, 422)
    flash(_("The consultation was saved."), "success")
    return back_to_detail(order, "inquiries")
