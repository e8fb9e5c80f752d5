"""タグ設定 (seed 004): add a tag to orders or remove it."""

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload
from wtforms import Form, RadioField, SelectChoice, SelectField
from wtforms.validators import InputRequired

from oms.models import Order, Tag, TargetState, order_tags
from oms.services import masters
from oms.services.bulk.fields import tag_key
from oms.services.bulk.operations.base import Operation, Refusal, Refused
from oms.validation import coerce_int


class TagForm(Form):
    action = RadioField(_l("Action"), default="add",
                        choices=[SelectChoice("add", _l("Add the tag")),
                                 SelectChoice("remove", _l("Remove the tag"))])
    tag_id = SelectField(_l("Tag"), coerce=coerce_int, validators=[InputRequired()])


class SetTag(Operation):
    key = "tags"
    label = _l("Tags")
    form = TagForm
    undoable = True
    allowed_while_waiting = True

    def prepare_form(self, form, session):
        # Active labels only (M8: a retired label is no longer offered).
        form.tag_id.choices = [SelectChoice(t.id, t.name)
                               for t in masters.offered(session, Tag)]

    def describe(self, session, options):
        tag = session.get(Tag, options["tag_id"])
        name = tag.name if tag else f"#{options['tag_id']}"
        if options["action"] == "add":
            return str(_l("Tags: add %(tag)s", tag=name))
        return str(_l("Tags: remove %(tag)s", tag=name))

    def refusals(self, options):
        # Correlated: one primary-key probe per order, however many orders have the tag.
        tagged = sa.exists().where(order_tags.c.order_id == Order.id,
                                   order_tags.c.tag_id == options["tag_id"])
        if options["action"] == "add":
            return [Refusal(tagged, str(_l("Already has the tag.")), TargetState.skipped)]
        return [Refusal(~tagged, str(_l("Does not have the tag.")), TargetState.skipped)]

    def replaces(self, options):
        return False  # a tag add or remove composes with other changes of the order

    def loaders(self):
        return [selectinload(Order.tags)]

    def chunk_context(self, session, job_id, order_ids, options):
        return session.get(Tag, options["tag_id"])

    def plan(self, order, options, context):
        if context is None:
            raise Refused(str(_l("The tag no longer exists.")))
        return {tag_key(options["tag_id"]): options["action"] == "add"}


OPERATIONS = [SetTag()]
