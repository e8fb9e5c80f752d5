"""Display names for coded values, translated at render time."""

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from oms.models import (
    AccountType,
    AllocationState,
    CardPlan,
    CarrierFormat,
    ConversionEvent,
    DateStamp,
    DeferredVariant,
    FieldType,
    FraudCheck,
    Gateway,
    InquiryCategory,
    InquiryResult,
    JobState,
    LineStatus,
    LinkResult,
    MailEvent,
    MailState,
    MallKind,
    OrderStatus,
    PaymentKind,
    PaymentStatus,
    ReportState,
    Role,
    ShipReportState,
    TransactionKind,
    TransactionState,
)

ORDER_STATUS = {
    OrderStatus.pending_review: _l("Awaiting review"),
    OrderStatus.awaiting_payment: _l("Awaiting payment"),
    OrderStatus.new: _l("New"),
    OrderStatus.awaiting_allocation: _l("Awaiting allocation"),
    OrderStatus.ready_to_ship: _l("Ready to ship"),
    OrderStatus.shipping: _l("Shipping"),
    OrderStatus.shipped: _l("Shipped"),
    OrderStatus.awaiting_deferred_payment: _l("Awaiting deferred payment"),
    OrderStatus.completed: _l("Completed"),
    OrderStatus.on_hold: _l("On hold"),
    OrderStatus.cancelled: _l("Cancelled"),
    OrderStatus.closed: _l("Closed"),
}

TAB = {
    "all": _l("All"),
    "waiting": _l("Waiting"),
    "new": _l("New"),
    "processing": _l("Processing"),
    "done": _l("Done"),
    "on_hold": _l("On hold"),
    "cancelled": _l("Cancelled"),
    "closed": _l("Closed"),
}

PAYMENT_STATUS = {
    PaymentStatus.unpaid: _l("Unpaid"),
    PaymentStatus.authorizing: _l("Authorizing"),
    PaymentStatus.authorized: _l("Authorized"),
    PaymentStatus.auth_failed: _l("Authorization failed"),
    PaymentStatus.capturing: _l("Capturing"),
    PaymentStatus.captured: _l("Captured"),
    PaymentStatus.paid: _l("Paid"),
    PaymentStatus.deferred_registered: _l("Awaiting credit check"),
    PaymentStatus.deferred_hold: _l("Credit check on hold"),
    PaymentStatus.deferred_approved: _l("Deferred payment approved"),
    PaymentStatus.voided: _l("Voided"),
    PaymentStatus.refunded: _l("Refunded"),
    PaymentStatus.not_required: _l("Not required"),
}

PAYMENT_KIND = {
    PaymentKind.card: _l("Credit card"),
    PaymentKind.cod: _l("Cash on delivery"),
    PaymentKind.prepaid_bank: _l("Bank transfer (prepaid)"),
    PaymentKind.prepaid_konbini: _l("Convenience store (prepaid)"),
    PaymentKind.deferred_np: _l("NP deferred payment"),
    PaymentKind.deferred_gmo: _l("GMO deferred payment"),
    PaymentKind.zero_yen: _l("Zero-yen"),
    PaymentKind.points: _l("Points"),
}

MALL = {
    MallKind.amazon: _l("Amazon"),
    MallKind.rakuten: _l("Rakuten"),
    MallKind.qoo10: _l("Qoo10"),
    MallKind.yahoo: _l("Yahoo! Shopping"),
    MallKind.own: _l("Own shop"),
}

# Seed 003's per-item statuses (入金前, 商品準備中, 発送準備中 …), apart from the order's.
LINE_STATUS = {
    LineStatus.awaiting_payment: _l("Before payment"),
    LineStatus.preparing: _l("Preparing goods"),
    LineStatus.ready_to_ship: _l("Preparing to ship"),
    LineStatus.shipping_held: _l("Shipping held"),
    LineStatus.awaiting_pickup: _l("Awaiting pickup"),
    LineStatus.in_transit: _l("In transit"),
    LineStatus.delivered: _l("Delivered"),
    LineStatus.cancelled: _l("Cancelled"),
}

LINK_RESULT = {LinkResult.ok: "OK", LinkResult.fail: "FAIL"}
FRAUD_CHECK = {value: value.value for value in FraudCheck}

JOB_STATE = {
    JobState.queued: _l("Queued"),
    JobState.running: _l("Running"),
    JobState.succeeded: _l("Succeeded"),
    JobState.failed: _l("Failed"),
    JobState.cancelled: _l("Cancelled"),
}

# A job's badge (oms.services.notifications.outcome); "partial" takes the failed count.
JOB_OUTCOME = {
    "queued": _l("Queued"),
    "running": _l("Running"),
    "succeeded": _l("Succeeded"),
    "partial": _l("Partly failed (%(n)s)"),
    "failed": _l("Failed"),
    "cancelled": _l("Cancelled"),
}

# Through what a change came (oms.services.actor); bulk and job ones link to their job.
VIA = {
    "screen": _l("Screen"),
    "import": _l("Import"),
    "auto": _l("Automatic"),
    "system": _l("System"),
    "bulk": _l("Bulk update #%(id)s"),
    "job": _l("Job #%(id)s"),
}

# Audit trail actions (oms.services.audit), for rows that name no field of the order.
AUDIT_ACTION = {
    "order.update": _l("Order edited"),
    "order.status": _l("Status changed"),
    "order.delete": _l("Order deleted"),
    "order.restore": _l("Order restored"),
    "order.lines": _l("Lines changed at the mall"),
    "order.shipping_info": _l("Shipping information registered"),
    "order.custom_field": _l("Custom field changed"),
    "order.tag_add": _l("Label added"),
    "order.tag_remove": _l("Label removed"),
    "memo.add": _l("Memo added"),
    "memo.edit": _l("Memo edited"),
    "memo.delete": _l("Memo deleted"),
    "inquiry.register": _l("Inquiry registered"),
    "inquiry.update": _l("Inquiry updated"),
    "blacklist.designate": _l("Blacklisted"),
    "blacklist.release": _l("Blacklist released"),
    "customer.blacklist": _l("Customer blacklist changed"),
    "customer_address.update": _l("Customer address changed"),
    "stock.upload": _l("Stock uploaded"),
}

# What a recorded mall problem was about (MallSyncFailure.action).
MALL_ACTION = {
    "import": _l("Import"),
    "refresh": _l("Order update"),
    "confirm": _l("Order confirmation"),
    "lines": _l("Line changes"),
    "ship": _l("Shipment report"),
    "cancel": _l("Cancellation"),
}

JOB_KIND = {"order_export": _l("Order information download")}
JOB_KIND["bulk_orders"] = _l("Bulk update of orders")
JOB_KIND["shipment_import"] = _l("Shipment confirmation import")
JOB_KIND["mail"] = _l("Mail sending")

ROLE = {Role.admin: _l("Administrator"), Role.operator: _l("Operator")}

INQUIRY_CATEGORY = {
    InquiryCategory.product: _l("Product"),
    InquiryCategory.delivery: _l("Delivery"),
    InquiryCategory.payment: _l("Payment"),
    InquiryCategory.cancel_return: _l("Cancel or return"),
    InquiryCategory.other: _l("Other"),
}

INQUIRY_RESULT = {
    InquiryResult.open: _l("Not started"),
    InquiryResult.in_progress: _l("In progress"),
    InquiryResult.completed: _l("Completed"),
}

# Order fields by column, for the audit trail, conflicts and the recipient history.
ORDER_FIELD = {
    "media": _l("Media"),
    "needs_attention": _l("Needs attention"),
    "attention_reason_id": _l("Attention reason"),
    "handling_status_id": _l("Handling status"),
    "tags": _l("Labels"),
    "buyer_name": _l("Orderer name"),
    "buyer_kana": _l("Orderer name (kana)"),
    "buyer_postcode": _l("Orderer postcode"),
    "buyer_prefecture": _l("Orderer prefecture"),
    "buyer_address1": _l("Orderer address"),
    "buyer_address2": _l("Orderer building, room"),
    "buyer_phone": _l("Orderer phone"),
    "buyer_fax": _l("Orderer fax"),
    "buyer_email": _l("Orderer e-mail"),
    "ship_name": _l("Recipient name"),
    "ship_kana": _l("Recipient name (kana)"),
    "ship_postcode": _l("Recipient postcode"),
    "ship_prefecture": _l("Recipient prefecture"),
    "ship_address1": _l("Recipient address"),
    "ship_address2": _l("Recipient building, room"),
    "ship_phone": _l("Recipient phone"),
    "wrapping": _l("Wrapping"),
    "wrapping_fee": _l("Wrapping fee"),
    "tax_10": _l("Tax 10%"),
    "tax_8": _l("Tax 8%"),
    "total": _l("Total"),
    "reply_to_customer": _l("Notice to the customer"),
    "payment_method_id": _l("Payment method"),
    "customer_card_id": _l("Credit card"),
    "installments": _l("Installments"),
    "auto_advance": _l("Status advance"),
    "carrier": _l("Carrier"),
    "tracking_number": _l("Tracking number"),
    "stock_location": _l("Stock location"),
    "shipping_list_exported_at": _l("Shipping list exported at"),
    "scheduled_ship_date": _l("Scheduled ship date"),
    "shipped_at": _l("Shipped at"),
    "scheduled_delivery_date": _l("Scheduled delivery date"),
    "delivered_at": _l("Delivered at"),
    "delivery_method": _l("Delivery method"),
    "delivery_time_slot": _l("Delivery time"),
    "remarks1": _l("Remarks 1"),
    "remarks2": _l("Remarks 2"),
    "linkage_number": _l("Linkage order number"),
    "status": _l("Status"),
    "deleted_at": _l("Deleted at"),
}

FIELD_TYPE = {
    FieldType.text: _l("Text box: text"),
    FieldType.number: _l("Text box: number"),
    FieldType.email: _l("Text box: e-mail"),
    FieldType.date: _l("Text box: date"),
    FieldType.textarea: _l("Text area"),
    FieldType.select: _l("Select box"),
    FieldType.multiselect: _l("Select box, several choices"),
    FieldType.radio: _l("Radio buttons"),
    FieldType.checkbox: _l("Checkboxes"),
}

ALL = {
    "order_status": ORDER_STATUS,
    "tab": TAB,
    "payment_status": PAYMENT_STATUS,
    "payment_kind": PAYMENT_KIND,
    "mall": MALL,
    "line_status": LINE_STATUS,
    "link_result": LINK_RESULT,
    "fraud_check": FRAUD_CHECK,
    "job_state": JOB_STATE,
    "job_kind": JOB_KIND,
    "role": ROLE,
}


def audit_what(event) -> str:
    """What an audit row changed: the order field by name, else the action."""
    if event.field in ORDER_FIELD:
        return str(ORDER_FIELD[event.field])
    return str(AUDIT_ACTION.get(event.action, event.action))


def audit_value(event, value: str | None) -> str:
    """An audit row's old or new value as a person reads it (statuses by name)."""
    if value and event.field == "status" and value in OrderStatus.__members__:
        return str(ORDER_STATUS[OrderStatus(value)])
    return value or ""


def resolved(**mappings: dict) -> dict[str, dict]:
    """Translate label maps once, for templates that look them up on every row."""
    return {name: {key: str(text) for key, text in mapping.items()}
            for name, mapping in mappings.items()}


# The marketplace jobs (issue 6), kept apart so concurrent edits above do not collide.
JOB_KIND.update({
    "mall_refresh": _l("Update all orders from the malls"),
    "item_link": _l("Item linking"),
    "mall_confirm": _l("Confirm orders at the malls"),
})
# The list's direct actions, whose results the notification log keeps (action_results).
JOB_KIND.update({
    "order_confirm": _l("Confirm orders"),
    "shipping_info": _l("Send shipping info"),
})
# 銀行振込の口座設定 (oms.services.bank_accounts).
CARRIER_FORMAT = {
    CarrierFormat.b2: _l("Yamato B2 Cloud"),
    CarrierFormat.ehiden2: _l("Sagawa e飛伝II"),
    CarrierFormat.yupri: _l("Japan Post ゆうプリR"),
    CarrierFormat.none: _l("None"),
}
ACCOUNT_TYPE = {AccountType.ordinary: _l("Ordinary"), AccountType.current: _l("Current")}
# 在庫引当 (seed 001 §3): the allocation states (状態区分), and its list action and job.
# 荷物番号報告 (seed 001 §5 状態区分).
REPORT_STATE = {
    ReportState.pending: _l("Reporting tracking number"),
    ReportState.ok: _l("Tracking number reported"),
    ReportState.failed: _l("Tracking report failed"),
}
ALLOCATION_STATE = {
    AllocationState.allocated: _l("Fully allocated"),
    AllocationState.partial: _l("Partly allocated"),
    AllocationState.none: _l("Not allocated"),
    AllocationState.forced: _l("Force-allocated"),
}
JOB_KIND.update({
    "order_allocate": _l("Allocate stock"),
    "allocation": _l("Allocate stock (job)"),
})
JOB_KIND["shipping_export"] = _l("Shipping instructions export")
JOB_KIND["deferred_export"] = _l("Deferred payment file (NP / GMO)")
JOB_KIND["deferred_import"] = _l("Deferred payment result import (NP / GMO)")
SHIP_REPORT_STATE = {
    ShipReportState.none: _l("Not reported"),
    ShipReportState.pending: _l("Shipment reported; result awaited"),
    ShipReportState.ok: _l("Shipment report OK"),
    ShipReportState.ng: _l("Shipment report NG"),
}
# 荷物番号報告 (seed 001 §5): the report job, 再報告, the malls' files; the report progress
# the 出荷済 tab filters on, and each report's channel and state on the order detail.
JOB_KIND.update({
    "tracking_report": _l("Report tracking numbers to the malls"),
    "tracking_report_again": _l("Report tracking again"),
    "mall_file": _l("Tracking number file for a mall"),
})
REPORT_PROGRESS = {
    "unreported": _l("Not reported"),
    "reporting": _l("Reporting"),
    "reported": _l("Reported"),
    "failed": _l("NG"),
    "check": _l("To check"),
}
REPORT_CHANNEL = {
    "api": _l("Mall API"),
    "rakuten_csv": _l("Rakuten tracking CSV"),
    "amazon_tsv": _l("Amazon shipment confirmation file"),
}


def stored(text) -> str:
    """Text kept in the database for operators (a move's reason, why stock is short) is
    written in the operators' language, whoever or whatever caused it."""
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "ja")):
        return str(text)


# 状態区分 (seed 001): tags derived from the order's data.
STATUS_BADGE = {
    "tracking_reporting": _l("Reporting tracking number"),
    "tracking_reported": _l("Tracking number reported"),
    "tracking_failed": _l("Tracking report NG"),
    "prepaid_paid": _l("Prepaid payment received"),
    "deferred_paid": _l("Deferred payment received"),
    "allocated": _l("Stock allocated"),
    "partial": _l("Partly allocated"),
    "forced": _l("Force-allocated"),
}
ORDER_FIELD.update({
    "payment_status": _l("Payment status"),
    "paid_at": _l("Paid at"),
    "force_allocation": _l("Force allocation"),
    "payer_name": _l("Payer"),
    "bank_account_id": _l("Paying bank"),
})

# 荷物番号報告 as 出荷一覧 shows it (oms.services.shipment_list: "stale" is pending past
# tracking_reports.STALE_AFTER).
REPORT_STATE = {
    "pending": _l("Reporting"),
    "stale": _l("Check needed"),
    "ok": _l("Reported"),
    "failed": _l("Report NG"),
}

# 決済状況変更 (seed 002): the actions, what each confirmation asks, and the job.
PAYMENT_ACTION = {
    TransactionKind.authorize: _l("Authorize"),
    TransactionKind.reauthorize: _l("Re-authorize"),
    TransactionKind.capture: _l("Capture"),
    TransactionKind.void: _l("Void"),
    TransactionKind.manual_status: _l("Change the status only"),
}
PAYMENT_CONFIRM = {
    TransactionKind.authorize: _l("Authorize the total on this card?"),
    TransactionKind.reauthorize: _l(
        "Void the current authorization and authorize the total on this card?"),
    TransactionKind.capture: _l("Capture the total? The customer is charged."),
    TransactionKind.void: _l("Void the authorization? The amount is released."),
    TransactionKind.manual_status: _l("Change the payment status without the gateway?"),
}
JOB_KIND["payment"] = _l("Card payment")
# 決済履歴 (seed 003): the ledger's kinds and states (oms.models.payments).
TRANSACTION_KIND = {
    TransactionKind.authorize: _l("Authorization"),
    TransactionKind.reauthorize: _l("Re-authorization"),
    TransactionKind.capture: _l("Capture"),
    TransactionKind.void: _l("Void"),
    TransactionKind.refund: _l("Refund"),
    TransactionKind.deferred_register: _l("Deferred payment registration"),
    TransactionKind.deferred_result: _l("Credit check result"),
    TransactionKind.ship_report: _l("Deferred shipment report"),
    TransactionKind.ship_report_result: _l("Deferred shipment report result"),
    TransactionKind.manual_status: _l("Status changed by hand"),
}
TRANSACTION_STATE = {
    TransactionState.pending: _l("Awaiting the answer"),
    TransactionState.succeeded: _l("Succeeded"),
    TransactionState.failed: _l("Failed"),
    TransactionState.unknown: _l("Answer unknown"),
}
GATEWAY = {
    Gateway.card: _l("Card gateway"),
    Gateway.rakuten_card: _l("Rakuten card API"),
    Gateway.np: _l("NP deferred payment"),
    Gateway.gmo: _l("GMO deferred payment"),
}
CARD_PLAN = {
    CardPlan.lump: _l("Lump sum"),
    CardPlan.installments: _l("In installments"),
    CardPlan.revolving: _l("Revolving"),
}
DEFERRED_VARIANT = {
    DeferredVariant.np: _l("NP deferred payment"),
    DeferredVariant.np_wiz: _l("NP deferred payment wiz"),
    DeferredVariant.gmo: _l("GMO deferred payment"),
}
# 状態区分 of payments (seed 001): オーソリ中 … 売上請求済, and 出荷報告 of deferred payment.
STATUS_BADGE.update({
    "authorizing": _l("Authorizing"),
    "authorized": _l("Card authorized"),
    "auth_failed": _l("Credit NG"),
    "deferred_registered": _l("Awaiting credit check"),
    "deferred_hold": _l("Credit check on hold"),
    "deferred_approved": _l("Credit approved"),
    "capturing": _l("Capturing"),
    "captured": _l("Capture complete"),
    "payment_unknown": _l("Payment result unknown"),
    "ship_reported": _l("Shipment reported"),
    "ship_report_ng": _l("Shipment report NG"),
})
ORDER_FIELD.update({
    "payment_fee": _l("Payment fee"),
    "total": _l("Total"),
    "tax_10": _l("Tax 10%"),
    "tax_8": _l("Tax 8% (reduced)"),
    "reauth_required": _l("Re-authorization required"),
    "deferred_ref": _l("Deferred payment transaction"),
    "deferred_result": _l("Credit check result"),
    "deferred_reason": _l("Credit check reason"),
})
AUDIT_ACTION.update({
    "payment_method.create": _l("Payment method added"),
    "payment_method.update": _l("Payment method changed"),
})
# The lists of 設定 (oms.services.masters) and 成果通知 (oms.services.conversions).
DATE_STAMP = {
    DateStamp.none: _l("None"),
    DateStamp.shipped: _l("Shipped date"),
    DateStamp.delivered: _l("Delivered date"),
}
TAG_COLOR = {
    "gray": _l("Gray"), "red": _l("Red"), "orange": _l("Orange"), "yellow": _l("Yellow"),
    "green": _l("Green"), "blue": _l("Blue"), "purple": _l("Purple"), "pink": _l("Pink"),
}
CONVERSION_EVENT = {
    ConversionEvent.order_created: _l("Order created"),
    ConversionEvent.shipped: _l("Order shipped"),
}
JOB_KIND["conversion"] = _l("Conversion notification")
# Mail (SCOPE P3): a sent mail's state on 送信メール照会, and the system mail events.
MAIL_STATE = {
    MailState.queued: _l("Waiting to be sent"),
    MailState.sending: _l("Sending"),
    MailState.sent: _l("Sent"),
    MailState.failed: _l("Failed"),
    MailState.unknown: _l("Unknown"),
}
MAIL_EVENT = {
    MailEvent.ship_complete: _l("Shipment complete"),
    MailEvent.cod_changed: _l("Changed to cash on delivery (credit NG)"),
    MailEvent.payment_received: _l("Payment received"),
    MailEvent.order_received: _l("Order received"),
}
# When each system mail goes out (システムメール管理).
MAIL_EVENT_WHEN = {
    MailEvent.ship_complete: _l("At the shipment confirmation import, to orders not marked "
                                "as having had it."),
    MailEvent.cod_changed: _l("When a bulk update changes an order's payment method to cash "
                              "on delivery."),
    MailEvent.payment_received: _l("When a payment is recorded as received: payment "
                                   "confirmation on the order, or the prepaid or deferred "
                                   "payment bulk update."),
    MailEvent.order_received: _l("When an import brings a new order that is not yet shipped "
                                 "or cancelled."),
}
