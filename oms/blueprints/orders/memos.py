"""Operator memos on the order detail screen (seed 003 運営者メモ)."""

from flask import abort, flash, request
from flask_babel import gettext as _
from flask_login import current_user

from oms.access import Access, access, current_actor
from oms.blueprints.common import get_or_404
from oms.blueprints.orders import bp
from oms.blueprints.orders.detail import back_to_detail, get_order, render_detail, render_panel
from oms.blueprints.orders.detail_forms import MemoEditForm, MemoForm
from oms.extensions import db
from oms.models import Order, OrderMemo
from oms.services import memos


def _memo(order: Order, memo_id: int) -> OrderMemo:
    return get_or_404(OrderMemo, memo_id, order_id=order.id)


@bp.post("/<order_number>/memos")
@access(Access.operator)
def add_memo(order_number: str):
    """Add a memo; optionally register it as an inquiry reply too."""
    order = get_order(order_number)
    form = MemoForm()
    if not form.validate():
        return render_detail(order, 422, memo_form=form)
    try:
        memos.add(db.session, order, current_actor(), form.body.data,
                  important=form.important.data, pinned=form.pinned.data,
                  also_inquiry=form.also_inquiry.data)
    except memos.MemoError as error:
        form.body.errors = [str(error)]
        return render_detail(order, 422, memo_form=form)
    flash(_("The memo was added."), "success")
    return back_to_detail(order, "memos")


@bp.route("/<order_number>/memos/<bigid:memo_id>/edit", methods=["GET", "POST"])
@access(Access.operator)
def edit_memo(order_number: str, memo_id: int):
    """Change a memo (its author or an admin; never a system memo)."""
    order = get_order(order_number)
    memo = _memo(order, memo_id)
    if not memos.may_change(memo, current_user):
        abort(403)
    if request.method == "GET":
        form = MemoEditForm(formdata=None, obj=memo)
        return render_panel("orders/memo_edit.html", order=order, memo=memo, form=form)
    form = MemoEditForm()
    if not form.validate():
        return render_panel("orders/memo_edit.html", 422, order=order, memo=memo, form=form)
    try:
        memos.edit(db.session, memo, current_user, current_actor(), form.body.data,
                   important=form.important.data, pinned=form.pinned.data)
    except memos.MemoError as error:
        form.body.errors = [str(error)]
        return render_panel("orders/memo_edit.html", 422, order=order, memo=memo, form=form)
    flash(_("The memo was saved."), "success")
    return back_to_detail(order, "memos")


@bp.post("/<order_number>/memos/<bigid:memo_id>/delete")
@access(Access.operator)
def delete_memo(order_number: str, memo_id: int):
    """Delete a memo (its author or an admin; never a system memo)."""
    order = get_order(order_number)
    memo = _memo(order, memo_id)
    if not memos.may_change(memo, current_user):
        abort(403)
    memos.delete(db.session, memo, current_user, current_actor())
    flash(_("The memo was deleted."), "success")
    return back_to_detail(order, "memos")
