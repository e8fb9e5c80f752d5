"""受注進捗区分 (seed 001 一括更新): move orders to another status; auto-advance turns off."""

from flask_babel import lazy_gettext as _l
from wtforms import Form, SelectChoice, SelectField
from wtforms.validators import InputRequired

from oms import labels
from oms.models import Order, OrderStatus, TargetState
from oms.services.bulk.operations.base import Operation, Refusal
from oms.services.workflow import TRANSITIONS


class StatusForm(Form):
    to = SelectField(_l("New status"), validators=[InputRequired()],
                     choices=[SelectChoice(s.value, labels.ORDER_STATUS[s]) for s in OrderStatus])


class ChangeStatus(Operation):
    key = "status"
    label = _l("Order status")
    form = StatusForm

    def describe(self, session, options):
        return str(_l("Order status → %(status)s",
                      status=labels.ORDER_STATUS[OrderStatus(options["to"])]))

    def refusals(self, options):
        to = OrderStatus(options["to"])
        refused = []
        for current in OrderStatus:
            if current is to:
                refused.append(Refusal(Order.status == current, str(_l(
                    "Already %(status)s.", status=labels.ORDER_STATUS[to])), TargetState.skipped))
            elif to not in TRANSITIONS[current]:
                refused.append(Refusal(Order.status == current, str(_l(
                    "An order in %(current)s cannot move to %(target)s.",
                    current=labels.ORDER_STATUS[current], target=labels.ORDER_STATUS[to]))))
        return refused

    def plan(self, order, options, context):
        return {"status": options["to"]}


OPERATIONS = [ChangeStatus()]
