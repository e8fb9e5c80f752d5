"""Forms of the order detail screen: edit, orderer, recipient, delete; memos, inquiries.

Field names are the Order columns they set, so one conversion turns any of the edit forms
into an OrderEdit for oms.services.order_edit, which holds the rules.
"""

from datetime import UTC
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from oms.models import InquiryCategory, InquiryResult, Order, OrderStatus
from oms.models.base import utcnow
from oms.services import order_edit
from oms.services.contact_keys import phone_key
from oms.services.delivery_choices import GroupedSelectField
from oms.validation import (
    BIGID_MAX,
    DateField,
    DateTimeLocalField,
    coerce_int,
    coerce_optional_int,
    parse_int,
)

# Rendered with seconds (stored times carry them: a save must not cut them off); a browser
# leaves ":00" seconds out of a datetime-local value, and may send fractions of a second.
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S.%f"]
# 支払回数: 1 is 一括 (lump sum), as the malls send it.
INSTALLMENTS = (1, 2, 3, 5, 6, 10, 12, 15, 18, 20, 24)


def options(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms choices."""
    return [SelectChoice(value, label) for value, label in pairs]


optional_int = coerce_optional_int  # the forms' SelectField coerce (also custom fields)


def stripped(value):
    return value.strip() if isinstance(value, str) else value


def phone_number(form, field) -> None:
    if field.data and phone_key(field.data) is None:
        raise ValidationError(_l("Enter a phone number such as 090-1234-5678."))


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def text_field(label, length: int, *validators, required: bool = False,
               **kwargs) -> StringField:
    """Trimmed text of at most `length` characters; optional unless `required`."""
    return StringField(label, [DataRequired() if required else Optional(), Length(max=length),
                               *validators], filters=[stripped], **kwargs)


_text = text_field


def _datetime(label):
    return DateTimeLocalField(label, [Optional()], format=DATETIME_FORMATS,
                              render_kw={"step": 1})


class LockedForm(FlaskForm):
    """Carries the order version the form was filled from, and the newest audit row seen,
    so a save over someone else's newer change is refused and their change shown."""

    version = HiddenField(validators=[InputRequired()])
    audit_mark = HiddenField()

    def version_number(self) -> int:
        number = parse_int(self.version.data, 0)
        return -1 if number is None else number

    def mark_number(self) -> int:
        return parse_int(self.audit_mark.data, 0, BIGID_MAX) or 0


class BuyerFields:
    buyer_name = StringField(_l("Name"), [DataRequired(), Length(max=100)], filters=[stripped])
    buyer_kana = _text(_l("Name (kana)"), 100)
    buyer_postcode = _text(_l("Postcode"), 8)
    buyer_prefecture = _text(_l("Prefecture"), 8)
    buyer_address1 = _text(_l("Address"), 200)
    buyer_address2 = _text(_l("Building, room"), 200)
    buyer_phone = _text(_l("Phone"), 20, phone_number)
    buyer_fax = _text(_l("Fax"), 20, phone_number)
    buyer_email = _text(_l("E-mail"), 254, Email(_l("Enter an e-mail address such as "
                                                  "name@example.jp.")))
    propagate = CheckboxesField(_l("Also copy the address to"), choices=[])


class RecipientFields:
    ship_name = StringField(_l("Name"), [DataRequired(), Length(max=100)], filters=[stripped])
    ship_kana = _text(_l("Name (kana)"), 100)
    ship_postcode = _text(_l("Postcode"), 8)
    ship_prefecture = _text(_l("Prefecture"), 8)
    ship_address1 = _text(_l("Address"), 200)
    ship_address2 = _text(_l("Building, room"), 200)
    ship_phone = _text(_l("Phone"), 20, phone_number)


class EditForm(LockedForm, BuyerFields):
    """編集画面 (seed 002)."""

    # 進捗区分 (seed 001): the view offers the current status and where it may go; a value
    # no longer allowed is refused by the service with the reason.
    status = SelectField(_l("Progress status"), choices=[], validate_choice=False)
    auto_advance = RadioField(_l("Status advance"), default="1",
                              choices=options([("1", _l("Automatic")), ("0", _l("Manual"))]))
    paid_at = _datetime(_l("Paid at"))
    force_allocation = BooleanField(_l("Force allocation"))
    # The lists of 設定 (oms.services.masters): their active rows and the order's own value.
    # The service refuses a value not listed (after the version check, so a form opened
    # before someone else's change meets the conflict screen, not a refusal).
    media = SelectField(_l("Media"), choices=[], validate_choice=False)
    needs_attention = RadioField(_l("Needs attention"), default="0",
                                 choices=options([("1", _l("Yes")), ("0", _l("No"))]))
    attention_reason_id = SelectField(_l("Reason"), coerce=optional_int, choices=[])
    tag_ids = CheckboxesField(_l("Labels"), coerce=coerce_int, choices=[])
    handling_status_id = SelectField(_l("Handling status"), coerce=optional_int, choices=[])
    wrapping = SelectField(_l("Wrapping"), choices=[], validate_choice=False)
    payment_method_id = SelectField(_l("Payment method"), coerce=coerce_int, choices=[])
    customer_card_id = SelectField(_l("Credit card"), coerce=optional_int, choices=[])
    installments = SelectField(_l("Installments"), coerce=optional_int, choices=[])
    np_cancel_confirmed = BooleanField(
        _l("I made sure on the NP deferred payment admin screen that the transaction was "
           "cancelled"))
    carrier = SelectField(_l("Carrier"), choices=[])
    tracking_number = _text(_l("Tracking number"), 32)
    stock_location = SelectField(_l("Stock location"), choices=[], validate_choice=False)
    shipping_list_exported = RadioField(
        _l("Shipping list"), choices=options([("1", _l("Exported")),
                                              ("0", _l("Not exported"))]),
        default="0")
    shipping_list_exported_at = _datetime(_l("Shipping list exported at"))
    scheduled_ship_date = DateField(_l("Scheduled ship date"), [Optional()])
    shipped_at = _datetime(_l("Shipped at"))
    scheduled_delivery_date = DateField(_l("Scheduled delivery date"), [Optional()])
    delivered_at = _datetime(_l("Delivered at"))
    delivery_method = GroupedSelectField(_l("Delivery method"), choices=[])
    delivery_time_slot = GroupedSelectField(_l("Delivery time"), choices=[])
    remarks1 = TextAreaField(_l("Remarks 1"), [Optional(), Length(max=4000)])
    remarks2 = TextAreaField(_l("Remarks 2"), [Optional(), Length(max=4000)])
    remarks_scope = RadioField(
        _l("Save remarks to"),
        choices=options([("order", _l("This order only")),
                         ("subscription", _l("Also overwrite the subscription's remarks 1/2"))]),
        default="order")
    linkage_number = _text(_l("Linkage order number"), 64)

    def validate_status(self, field) -> None:
        if field.raw_data and field.data not in OrderStatus.__members__:
            raise ValidationError(_l("Choose a status from the list."))


class OrdererForm(LockedForm, BuyerFields):
    """注文者情報の変更 (seed 003)."""


class RecipientForm(LockedForm, RecipientFields):
    """受取人情報の変更 (seed 003)."""


class NoticeForm(LockedForm):
    """お客様へのお知らせ (seed 003)."""

    reply_to_customer = TextAreaField(_l("Notice to the customer"),
                                      [Optional(), Length(max=4000)], render_kw={"rows": 6})


class DeleteForm(LockedForm):
    confirm_number = StringField(_l("Type the order number to confirm"),
                                 [DataRequired()], filters=[stripped])


# ----------------------------------------------------------------- order <-> form
#
# Saving a form that nobody touched must change nothing (issue 9): a field's value is taken
# as an edit only when it differs from what the form showed for the order. A value the form
# cannot show exactly (a time's fractions of a second, trailing blanks, CRLF line ends) or a
# field the form did not send (left out for this kind of order) stays as stored.

_DATETIMES = ("shipping_list_exported_at", "shipped_at", "delivered_at", "paid_at")
_FLAGS = ("needs_attention", "auto_advance")  # yes/no radios: "1" / "0"


def _form_value(order: Order, name: str, tz: ZoneInfo):
    """An order column as its form field holds it."""
    value = getattr(order, name)
    if name in _DATETIMES and value is not None:
        value = value.astimezone(tz).replace(tzinfo=None, microsecond=0)
    if name in _FLAGS:
        value = "1" if value else "0"
    return value


def _order_value(name: str, value, tz: ZoneInfo):
    """A form field's value as the order column it sets."""
    if name in _DATETIMES and value is not None:
        return value.replace(tzinfo=tz).astimezone(UTC)
    if name in _FLAGS:
        return value == "1"
    if isinstance(value, str):
        return value.replace("\r\n", "\n").strip() or None
    return value


def _sent(field) -> bool:
    """Whether the request carried the field. Unticked checkboxes are never sent: for them
    absence means none; any other control the form did not send is left alone."""
    return isinstance(field, CheckboxesField) or bool(field.raw_data)


def fill(form: LockedForm, order: Order, tz: ZoneInfo, audit_mark: int) -> None:
    """Put the order's current values into a freshly built form."""
    for name, field in form._fields.items():
        if name in order_edit.EDITABLE:
            value = _form_value(order, name, tz)
            if value is None and isinstance(field, SelectField) and field.coerce is str:
                value = ""
            field.data = value
    if isinstance(form, EditForm):
        form.tag_ids.data = [t.id for t in order.tags]
        if "tracking_number" in form:
            form.tracking_number.data = order_edit.current_text(order, "tracking_number")
        form.shipping_list_exported.data = "1" if order.shipping_list_exported_at else "0"
        form.status.data = order.status.value
        form.force_allocation.data = order.force_allocation
    if "propagate" in form:
        form.propagate.data = []
    form.version.data = str(order.version)
    form.audit_mark.data = str(audit_mark)


def offer_current(form: LockedForm, order: Order) -> None:
    """Add the order's own value to any choice list that lacks it (a value a mall sent, an
    inactive option), so the form shows it and an untouched save keeps it."""
    for name, field in form._fields.items():
        # Radios (yes/no) always offer both values; only lists can lack the order's.
        if (name not in order_edit.EDITABLE or not isinstance(field, SelectField)
                or isinstance(field, RadioField)):
            continue
        value = getattr(order, name)
        if value is None or any(choice.value == value or str(choice.value) == str(value)
                                for choice in field.choices):
            continue
        field.choices = [*field.choices, SelectChoice(value, str(value))]


def validate_changes(form: LockedForm, order: Order, tz: ZoneInfo) -> bool:
    """Validate the form, except for fields left as they are (sent back as shown, or not
    sent): a stored value that today's rules would refuse (a mall's odd phone number) must
    not block saving other fields."""
    if form.validate():
        return True
    for name, field in form._fields.items():
        if not field.errors or field.process_errors:
            continue
        if name in order_edit.EDITABLE:
            left_alone = not _sent(field) or _unchanged(name, field.data, order, tz)
        else:
            left_alone = name == "shipping_list_exported" and not _sent(field)
        if left_alone:
            field.errors = []
    return not form.errors


def _shown(name: str, order: Order, tz: ZoneInfo):
    """What an untouched field sends back, as the order column it sets."""
    return _order_value(name, _form_value(order, name, tz), tz)


def _unchanged(name: str, data, order: Order, tz: ZoneInfo) -> bool:
    try:
        return _order_value(name, data, tz) == _shown(name, order, tz)
    except OverflowError:  # a time no order can hold (year 1 moved to UTC): a change, refused
        return False


def submitted(form: LockedForm, tz: ZoneInfo) -> order_edit.OrderEdit:
    """Everything a validated form asks for, whether or not it differs from the order."""
    values = {name: _order_value(name, field.data, tz) for name, field in form._fields.items()
              if name in order_edit.EDITABLE and _sent(field)}
    edit = order_edit.OrderEdit(values=values)
    if isinstance(form, EditForm):
        if not _sent(form.shipping_list_exported):
            values.pop("shipping_list_exported_at", None)
        elif form.shipping_list_exported.data == "0":
            values["shipping_list_exported_at"] = None
        elif values.get("shipping_list_exported_at") is None:
            values["shipping_list_exported_at"] = utcnow().replace(microsecond=0)
        edit.tag_ids = form.tag_ids.data or []
        if "tracking_number" in form and _sent(form.tracking_number):
            edit.tracking_number = form.tracking_number.data or ""
        edit.remarks_to_subscription = form.remarks_scope.data == "subscription"
        edit.np_cancel_confirmed = bool(form.np_cancel_confirmed.data)
    if "propagate" in form:
        edit.propagate = frozenset(form.propagate.data or [])
    return edit


def to_edit(form: LockedForm, order: Order, tz: ZoneInfo) -> order_edit.OrderEdit:
    """The OrderEdit a validated form asks for: only the fields whose value differs from
    what the form showed for `order` (the version check makes sure it is the same order)."""
    edit = submitted(form, tz)
    edit.values = {name: value for name, value in edit.values.items()
                   if value != _shown(name, order, tz)}
    if isinstance(form, EditForm):
        if form.status.raw_data and form.status.data != order.status.value:
            edit.status = OrderStatus(form.status.data)
        # An unticked box is not sent: absence is "no" only where the box was shown.
        forced = bool(form.force_allocation.data)
        if order_edit.offers_forcing(order) and forced != order.force_allocation:
            edit.force_allocation = forced
    return edit


def show_value(form: LockedForm, name: str, order: Order, tz: ZoneInfo) -> None:
    """Replace one field's submitted value by the order's current one (conflict merge)."""
    if name == "tags":
        form.tag_ids.data = [t.id for t in order.tags]
    elif name == "tracking_number":
        form.tracking_number.data = order_edit.current_text(order, name)
    else:
        form[name].data = _form_value(order, name, tz)
        form[name].raw_data = None  # render the value set, not the one that was posted


# ----------------------------------------------------------------- memos, inquiries

class MemoForm(FlaskForm):
    body = TextAreaField(_l("Memo"), [DataRequired(), Length(max=4000)])
    important = BooleanField(_l("Important"))
    pinned = BooleanField(_l("Pin to top"))
    also_inquiry = BooleanField(_l("Also register as a reply in the consultations"))


class MemoEditForm(FlaskForm):
    body = TextAreaField(_l("Memo"), [DataRequired(), Length(max=4000)])
    important = BooleanField(_l("Important"))
    pinned = BooleanField(_l("Pin to top"))


class InquiryForm(FlaskForm):
    category = SelectField(_l("Category"), choices=[], validators=[InputRequired()])
    content = TextAreaField(_l("Consultation"), [DataRequired(), Length(max=4000)])
    reply = TextAreaField(_l("Reply"), [Optional(), Length(max=4000)])
    result = SelectField(_l("Result"), choices=[], validators=[InputRequired()])

    def set_choices(self, labels) -> None:
        self.category.choices = options((c.value, labels.INQUIRY_CATEGORY[c])
                                        for c in InquiryCategory)
        self.result.choices = options((r.value, labels.INQUIRY_RESULT[r]) for r in InquiryResult)


class BlacklistForm(FlaskForm):
    reason = _text(_l("Reason"), 200)


class TransferForm(FlaskForm):
    """決済銀行変更 (seed 003): the service refuses an account that is not offered."""

    payer_name = _text(_l("Payer"), 100)
    bank_account_id = SelectField(_l("Paying bank"), coerce=optional_int, choices=[],
                                  validate_choice=False)

    def set_choices(self, pairs) -> None:
        self.bank_account_id.choices = options([("", "—"), *pairs])

    def wanted(self, order: Order) -> tuple[str | None, int | None]:
        """The payer and account asked for; a field the request did not carry keeps the
        order's value."""
        return (self.payer_name.data if self.payer_name.raw_data else order.payer_name,
                self.bank_account_id.data if self.bank_account_id.raw_data
                else order.bank_account_id)


class PaymentActionForm(FlaskForm):
    """決済状況変更, one action confirmed: the card for オーソリ / 再オーソリ, the status and
    the reason for 状態のみ変更 (the services refuse what is not allowed)."""

    card_id = SelectField(_l("Card"), coerce=optional_int, choices=[], validate_choice=False)
    status = SelectField(_l("New payment status"), choices=[], validate_choice=False)
    reason = TextAreaField(_l("Reason"), [Length(max=500)], render_kw={"rows": 3})
