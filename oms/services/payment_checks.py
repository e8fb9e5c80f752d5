"""入金チェック (seed 001 §2 前払, §6 後払): which payment kinds an operator marks as paid by
hand, and in which order statuses a payment may be recorded or taken back; and, for one
prepaid order, 入金確認 and 決済銀行変更 (seed 003, SCOPE P1 R8/R9)."""

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from oms import labels
from oms.models import (
    BankAccount,
    LineStatus,
    MailEvent,
    Order,
    OrderLine,
    OrderStatus,
    PaymentKind,
    PaymentStatus,
    StatusHistory,
)
from oms.models.base import utcnow
from oms.services import app_settings, audit, auto_advance, bank_accounts, mail
from oms.services.actor import Actor
from oms.services.order_edit import as_text
from oms.validation import ID_MAX, has_control

S = OrderStatus


@dataclass(frozen=True)
class PaymentCheck:
    kinds: tuple[PaymentKind, ...]
    # Where 入金済 may be recorded; None: in any status (a transfer can arrive any time).
    paid_in: tuple[OrderStatus, ...] | None
    # Where it may go back to 未入金: before the order moved on because it was paid.
    unpaid_in: tuple[OrderStatus, ...]


# R6: 未入金 only while still in 確認待ち or 入金待ち.
PREPAID = PaymentCheck(auto_advance.PREPAID, None,
                       (S.pending_review, S.awaiting_payment))
# R7: the customer pays a deferred invoice after shipment.
DEFERRED = PaymentCheck(auto_advance.DEFERRED,
                        (S.shipped, S.awaiting_deferred_payment),
                        (S.shipped, S.awaiting_deferred_payment))


def status_names(statuses: tuple[OrderStatus, ...]) -> str:
    return str(_l(" or ")).join(str(labels.ORDER_STATUS[s]) for s in statuses)


def unpaid_message(check: PaymentCheck) -> str:
    return str(_l("Only an order in %(statuses)s can go back to unpaid.",
                  statuses=status_names(check.unpaid_in)))


def unpaid_refusal(order: Order) -> str | None:
    """Why this order's payment cannot go back to unpaid now (an undo of 入金済 after the
    order moved on), or None."""
    for check in (PREPAID, DEFERRED):
        if order.payment_method.kind in check.kinds and order.status not in check.unpaid_in:
            return unpaid_message(check)
    return None


# ----------------------------------------------------------------- one order (seed 003)

PAYER_MAX = 100


class CheckRefused(ValueError):
    """The payment check is refused; `errors` maps a form field (or "") to why. Nothing
    changed."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def is_prepaid(order: Order) -> bool:
    return order.payment_method.kind in PREPAID.kinds


def offers_confirm(order: Order) -> bool:
    """入金確認 shows only for prepaid orders with a line 入金前 (seed 003)."""
    return is_prepaid(order) and any(
        line.status is LineStatus.awaiting_payment for line in order.lines)


def confirm_payment(session: Session, order: Order, actor: Actor) -> int:
    """入金確認: the order is paid, its 入金前 lines move on (商品準備中, or 発送準備中 when
    allocation is off), the order advances if its guards hold, and the 入金確認 system
    mail is queued when it is on. Returns how many lines moved."""
    # Lock the row and read it afresh: a second click or another operator waits here and
    # then finds nothing left to confirm.
    session.refresh(order, with_for_update={"of": Order})  # not the joined references
    if not is_prepaid(order):
        raise CheckRefused({"": str(_l("Not a prepaid payment method"))})
    if order.payment_status in (PaymentStatus.voided, PaymentStatus.refunded):
        raise CheckRefused({"": str(_l("The payment was voided or refunded."))})
    waiting = list(session.scalars(
        sa.select(OrderLine).where(OrderLine.order_id == order.id,
                                   OrderLine.status == LineStatus.awaiting_payment)
        .order_by(OrderLine.line_no).execution_options(populate_existing=True)))
    if not waiting:
        raise CheckRefused({"": str(_l("No line of this order is awaiting payment."))})
    target = (LineStatus.preparing if app_settings.workflow(session).allocates
              else LineStatus.ready_to_ship)
    _set(session, order, "payment_status", PaymentStatus.paid, actor)
    if order.paid_at is None:
        _set(session, order, "paid_at", utcnow().replace(microsecond=0), actor)
    for line in waiting:
        session.add(StatusHistory(order_id=order.id, line_id=line.id,
                                  from_status=line.status.value, to_status=target.value,
                                  user_id=actor.user_id, via=actor.via))
        line.status = target
    session.flush()
    auto_advance.advance(session, [order.id], actor)
    mail.queue_system_mail(session, MailEvent.payment_received, [order.id], actor)
    return len(waiting)


def _set(session: Session, order: Order, name: str, value, actor: Actor,
         details: dict | None = None) -> bool:
    """Set one column with its audit row; whether it changed."""
    old = getattr(order, name)
    if old == value:
        return False
    setattr(order, name, value)
    audit.record(session, actor, "order.update", entity_type="order", entity_id=order.id,
                 field=name, old=as_text(old), new=as_text(value), details=details)
    return True


def offers_transfer(order: Order) -> bool:
    """決済銀行変更 is for bank transfers (seed 003)."""
    return order.payment_method.kind is PaymentKind.prepaid_bank


def account_choices(session: Session, order: Order) -> list[tuple[int, str]]:
    """決済銀行 choices: the active accounts, and the order's own one though it was
    deactivated since."""
    pairs = bank_accounts.choices(session)
    account = order.bank_account
    if account is not None and all(value != account.id for value, _label in pairs):
        pairs.append((account.id, bank_accounts.describe(account)))
    return pairs


def change_transfer(session: Session, order: Order, payer_name: str | None,
                    bank_account_id: int | None, actor: Actor) -> bool:
    """決済銀行変更: who paid and into which of our active accounts. Returns whether
    anything changed; refuses an unknown or inactive account, or a payer name that cannot
    be stored."""
    payer = (payer_name or "").strip() or None
    errors = {}
    if payer is not None and (len(payer) > PAYER_MAX or has_control(payer)):
        errors["payer_name"] = str(_l("Enter at most %(n)d characters, without control "
                                      "characters.", n=PAYER_MAX))
    account = (session.get(BankAccount, bank_account_id)
               if bank_account_id is not None and 0 < bank_account_id <= ID_MAX else None)
    # The order's own account stays acceptable after it was deactivated.
    if bank_account_id not in (None, order.bank_account_id) and (
            account is None or not account.active):
        errors["bank_account_id"] = str(_l("Choose one of the active bank accounts."))
    if not offers_transfer(order):
        errors[""] = str(_l("Only bank transfer orders have a paying bank."))
    if errors:
        raise CheckRefused(errors)
    old_account = order.bank_account
    changed = _set(session, order, "payer_name", payer, actor)
    if _set(session, order, "bank_account_id", bank_account_id, actor, details={
            "old_label": bank_accounts.describe(old_account) if old_account else None,
            "new_label": bank_accounts.describe(account) if account else None}):
        order.bank_account = account
        changed = True
    session.flush()
    return changed
