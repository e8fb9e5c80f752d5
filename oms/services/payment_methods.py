"""設定 > 支払い方法管理 (seed 002): the payment methods an order may have.

Methods are never deleted: orders point at the method they were paid with. One no longer
offered is deactivated: it leaves the edit screen's choices, and the orders that use it
keep it (SCOPE P4 check 14).
"""

import re
from dataclasses import asdict, dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from oms.models import CardPlan, DeferredVariant, Gateway, Order, PaymentKind, PaymentMethod
from oms.services import audit
from oms.services.actor import Actor
from oms.services.list_cache import ListCache

FEE_MAX = 99_999
_CODE = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
# Which gateway and deferred product fit each kind; a kind not listed takes neither. Both
# may be left empty: a mall's card payment is settled by the mall.
GATEWAYS = {PaymentKind.card: (Gateway.card, Gateway.rakuten_card),
            PaymentKind.deferred_np: (Gateway.np,), PaymentKind.deferred_gmo: (Gateway.gmo,)}
VARIANTS = {PaymentKind.deferred_np: (DeferredVariant.np, DeferredVariant.np_wiz),
            PaymentKind.deferred_gmo: (DeferredVariant.gmo,)}


class MethodRefused(ValueError):
    """The method is refused; `errors` maps a form field to why."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


@dataclass
class MethodSpec:
    name: str
    kind: PaymentKind
    fee: int = 0
    requires_login: bool = False
    gateway: Gateway | None = None
    card_plan: CardPlan | None = None
    deferred_variant: DeferredVariant | None = None


@dataclass(frozen=True)
class MethodRow:
    method: PaymentMethod
    orders: int  # orders that use it (「N件の注文で使用中」)


OFFERED = ListCache([PaymentMethod])


def offered(session: Session, keep: int | None = None) -> list[sa.Row]:
    """The active methods and the method `keep` (an order's own), by id, as read-only
    rows (id, name, fee), from the process's copy while none has changed anywhere
    (oms.services.list_cache)."""
    rows = OFFERED.rows(session, PaymentMethod, lambda: list(session.execute(
        sa.select(PaymentMethod.id, PaymentMethod.name, PaymentMethod.fee,
                  PaymentMethod.active).order_by(PaymentMethod.id))))
    return [row for row in rows if row.active or row.id == keep]


def listed(session: Session) -> list[MethodRow]:
    """Every method, the active ones first, with how many orders use each (one grouped
    count: an admin screen opened rarely)."""
    used = dict(session.execute(
        sa.select(Order.payment_method_id, sa.func.count())
        .group_by(Order.payment_method_id)).all())
    methods = session.scalars(sa.select(PaymentMethod).order_by(
        PaymentMethod.active.desc(), PaymentMethod.id))
    return [MethodRow(method, used.get(method.id, 0)) for method in methods]


def orders_using(session: Session, method: PaymentMethod) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(Order)
                          .where(Order.payment_method_id == method.id))


def create(session: Session, code: str, spec: MethodSpec, actor: Actor) -> PaymentMethod:
    errors = _problems(spec)
    code = code.strip().lower()
    if not _CODE.fullmatch(code):
        errors["code"] = _("Enter 1 to 32 lower-case letters, digits, - or _, starting "
                           "with a letter or digit.")
    elif session.scalar(sa.select(PaymentMethod.id).where(PaymentMethod.code == code)):
        errors["code"] = _("Another payment method already has this code.")
    if errors:
        raise MethodRefused(errors)
    method = PaymentMethod(code=code, active=True, **asdict(spec))
    session.add(method)
    session.flush()
    audit.record(session, actor, "payment_method.create", entity_type="payment_method",
                 entity_id=method.id, details={"code": code, **_texts(asdict(spec))})
    return method


def update(session: Session, method: PaymentMethod, spec: MethodSpec, actor: Actor) -> bool:
    """Change the method; one audit row per changed field. Orders keep their amounts: a
    new fee applies to orders placed or changed to the method from now on."""
    errors = _problems(spec)
    if errors:
        raise MethodRefused(errors)
    changed = False
    for name, value in asdict(spec).items():
        old = getattr(method, name)
        if old != value:
            audit.record(session, actor, "payment_method.update", entity_type="payment_method",
                         entity_id=method.id, field=name, old=_text(old), new=_text(value))
            setattr(method, name, value)
            changed = True
    session.flush()
    return changed


def set_active(session: Session, method: PaymentMethod, active: bool, actor: Actor) -> bool:
    """Deactivate or reactivate the method. Returns whether it changed."""
    if method.active == active:
        return False
    audit.record(session, actor, "payment_method.update", entity_type="payment_method",
                 entity_id=method.id, field="active", old=method.active, new=active)
    method.active = active
    session.flush()
    return True


def cod_method(session: Session) -> PaymentMethod | None:
    """The active 代金引換 method: the one orders are switched to (seed 004 決済方法)."""
    return session.scalar(sa.select(PaymentMethod).where(
        PaymentMethod.kind == PaymentKind.cod, PaymentMethod.active)
        .order_by(PaymentMethod.id).limit(1))


def _problems(spec: MethodSpec) -> dict[str, str]:
    errors = {}
    spec.name = spec.name.strip()
    if not 1 <= len(spec.name) <= 64:
        errors["name"] = _("Enter 1 to 64 characters.")
    if not 0 <= spec.fee <= FEE_MAX:
        errors["fee"] = _("Enter a fee from 0 to %(max)s yen.", max=f"{FEE_MAX:,}")
    if spec.gateway is not None and spec.gateway not in GATEWAYS.get(spec.kind, ()):
        errors["gateway"] = _("This gateway does not handle this kind of payment.")
    if spec.card_plan is not None and spec.kind is not PaymentKind.card:
        errors["card_plan"] = _("A card plan applies only to card payments.")
    if spec.deferred_variant is not None and spec.deferred_variant not in VARIANTS.get(
            spec.kind, ()):
        errors["deferred_variant"] = _("This deferred payment product does not match the kind.")
    return errors


def _text(value) -> str | bool | int | None:
    return getattr(value, "value", value)


def _texts(values: dict) -> dict:
    return {name: _text(value) for name, value in values.items()}
