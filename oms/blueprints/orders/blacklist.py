"""Designating and releasing a blacklisted non-member orderer (seed 003)."""

from flask import flash
from flask_babel import gettext as _

from oms.access import Access, access, current_actor
from oms.blueprints.common import or_404
from oms.blueprints.orders import bp
from oms.blueprints.orders.detail import back_to_detail, get_order, render_detail
from oms.blueprints.orders.detail_forms import BlacklistForm
from oms.extensions import db
from oms.services import blacklist, order_detail


@bp.post("/<order_number>/blacklist")
@access(Access.operator)
def designate_blacklist(order_number: str):
    """ブラックリスト客の指定: flag this orderer's orders from now on."""
    order = get_order(order_number)
    form = BlacklistForm()
    if not form.validate():
        return render_detail(order, 422, blacklist_form=form)
    try:
        blacklist.designate(db.session, order, current_actor(), form.reason.data)
    except blacklist.BlacklistError as error:
        flash(str(error), "error")
        return back_to_detail(order, "orderer")
    flash(_("The orderer was blacklisted: their orders from now on are flagged."), "success")
    return back_to_detail(order, "orderer")


@bp.post("/<order_number>/blacklist/release")
@access(Access.operator)
def release_blacklist(order_number: str):
    """ブラックリスト客の解除: clear the flag on all of this orderer's orders."""
    order = get_order(order_number)
    entry = or_404(order_detail.blacklist_of(db.session, order))
    try:
        cleared = blacklist.release(db.session, entry, current_actor())
    except blacklist.BlacklistError as error:
        flash(str(error), "error")
        return back_to_detail(order, "orderer")
    flash(_("The orderer is no longer blacklisted; %(n)d orders lost the flag.", n=cleared),
          "success")
    return back_to_detail(order, "orderer")
