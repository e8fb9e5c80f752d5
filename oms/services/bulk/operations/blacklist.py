"""ブラックリスト (seed 004): put the orders' customers on the blacklist, on the candidate
list, or take them off."""

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload
from wtforms import Form, RadioField, SelectChoice

from oms.models import BlacklistStatus, Customer, Order, TargetState
from oms.services.bulk.fields import BLACKLIST_LABELS
from oms.services.bulk.operations.base import Operation, Refusal


class BlacklistForm(Form):
    status = RadioField(_l("Blacklist"), default=BlacklistStatus.blacklisted.value, choices=[
        SelectChoice(BlacklistStatus.blacklisted.value, _l("Put on the blacklist")),
        SelectChoice(BlacklistStatus.candidate.value, _l("Put on the candidate list")),
        SelectChoice(BlacklistStatus.clear.value,
                     _l("Take off the blacklist and the candidate list")),
    ])


class SetBlacklist(Operation):
    key = "blacklist"
    label = _l("Blacklist")
    form = BlacklistForm

    def describe(self, session, options):
        return str(_l("Customer blacklist → %(status)s",
                      status=BLACKLIST_LABELS[options["status"]]))

    def refusals(self, options):
        already = sa.exists().where(
            Customer.id == Order.customer_id,
            Customer.blacklist_status == BlacklistStatus(options["status"]))
        return [
            Refusal(Order.customer_id.is_(None),
                    str(_l("The order has no customer record (a guest order)."))),
            Refusal(already, str(_l("The customer is already so.")), TargetState.skipped),
        ]

    def loaders(self):
        return [joinedload(Order.customer)]

    def plan(self, order, options, context):
        return {"blacklist_status": options["status"]}


OPERATIONS = [SetBlacklist()]
