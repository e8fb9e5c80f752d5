"""設定 > 配送業者管理 (seed 002): admins add and change carriers, their services (配送方法)
and time slots (お届け時間), with every partner's code for them.

Orders keep the carrier's name, the service's name and the slot's label as text. So a name
that orders use is never changed and a row they use is never deleted: it is deactivated,
which takes it out of new choices while those orders keep and show it.
"""

import re
from dataclasses import asdict, dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from oms.models import (
    Carrier,
    CarrierFormat,
    CarrierService,
    CarrierTimeSlot,
    Order,
    ShippingExport,
)
from oms.services import audit
from oms.services.actor import Actor

Part = Carrier | CarrierService | CarrierTimeSlot
_CODE = re.compile(r"[a-z][a-z0-9_]{0,31}")
_DIGITS = re.compile(r"[0-9]+")
_ASCII_CODE = re.compile(r"[0-9A-Za-z_.\-]+")
_ENTITY = {Carrier: "carrier", CarrierService: "carrier_service",
           CarrierTimeSlot: "carrier_time_slot"}
# The column holding what orders keep as text, per kind of row.
_NAME = {Carrier: "name", CarrierService: "name", CarrierTimeSlot: "label"}


class SettingsRefused(ValueError):
    """The change is refused; `errors` maps a form field to why. Nothing changed."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


@dataclass
class CarrierSpec:
    code: str
    name: str
    file_format: CarrierFormat
    amazon_code: str
    amazon_name: str | None = None
    rakuten_code: str = "1000"
    qoo10_name: str | None = None
    yahoo_code: str | None = None
    np_code: str | None = None
    gmo_code: str | None = None
    tracking_url: str | None = None
    tracking_pattern: str | None = None
    tracking_hint: str | None = None
    cod_limit: int | None = None
    position: int = 0


@dataclass
class ServiceSpec:
    name: str
    slip_code: str
    cod_slip_code: str | None = None
    position: int = 0


@dataclass
class SlotSpec:
    label: str
    b2_code: str | None = None
    ehiden_code: str | None = None
    yupri_code: str | None = None
    position: int = 0


@dataclass(frozen=True)
class Usage:
    """How many orders (not deleted) name a carrier, and each of its services and slots."""

    orders: int
    services: dict[str, int]
    slots: dict[str, int]
    exports: int = 0

    def of(self, part: Part) -> int:
        if isinstance(part, CarrierService):
            return self.services.get(part.name, 0)
        if isinstance(part, CarrierTimeSlot):
            return self.slots.get(part.label, 0)
        return self.orders


def usage(session: Session, carrier: Carrier) -> Usage:
    """One grouped count over the carrier's orders; the 出荷指示 history counts too."""
    services: dict[str, int] = {}
    slots: dict[str, int] = {}
    total = 0
    for method, slot, count in session.execute(
            sa.select(Order.delivery_method, Order.delivery_time_slot, sa.func.count())
            .where(Order.carrier == carrier.name, Order.deleted_at.is_(None))
            .group_by(Order.delivery_method, Order.delivery_time_slot)):
        total += count
        if method:
            services[method] = services.get(method, 0) + count
        if slot:
            slots[slot] = slots.get(slot, 0) + count
    exports = session.scalar(sa.select(sa.func.count()).select_from(ShippingExport)
                             .where(ShippingExport.carrier_id == carrier.id)) or 0
    return Usage(total, services, slots, exports)


def create_carrier(session: Session, spec: CarrierSpec, actor: Actor) -> Carrier:
    _check_carrier(session, spec, None)
    return _create(session, Carrier(**asdict(spec), active=True), spec, actor)


def update_carrier(session: Session, carrier: Carrier, spec: CarrierSpec,
                   actor: Actor) -> bool:
    _check_carrier(session, spec, carrier)
    return _update(session, carrier, spec, actor)


def add_part(session: Session, carrier: Carrier, spec: ServiceSpec | SlotSpec,
             actor: Actor) -> CarrierService | CarrierTimeSlot:
    """Add a service (ServiceSpec) or a time slot (SlotSpec) to the carrier."""
    _check_part(session, carrier, spec, None)
    model = CarrierService if isinstance(spec, ServiceSpec) else CarrierTimeSlot
    return _create(session, model(carrier_id=carrier.id, **asdict(spec), active=True), spec,
                   actor)


def update_part(session: Session, part: CarrierService | CarrierTimeSlot,
                spec: ServiceSpec | SlotSpec, actor: Actor) -> bool:
    _check_part(session, part.carrier, spec, part)
    return _update(session, part, spec, actor)


def set_active(session: Session, part: Part, active: bool, actor: Actor) -> bool:
    """Deactivate (out of new choices; orders keep it) or reactivate a carrier, service or
    slot. Returns whether it changed."""
    if part.active == active:
        return False
    audit.record(session, actor, f"{_ENTITY[type(part)]}.update", entity_type=_ENTITY[type(part)],
                 entity_id=part.id, field="active", old=part.active, new=active)
    part.active = active
    session.flush()
    return True


def delete(session: Session, part: Part, actor: Actor) -> None:
    """Delete a row no order uses; one in use is refused with how many orders use it
    (deactivate it instead)."""
    carrier = part if isinstance(part, Carrier) else part.carrier
    counted = usage(session, carrier)
    in_use = counted.of(part)
    if in_use:
        raise SettingsRefused({"delete": _(
            "Used by %(n)d orders: it cannot be deleted. Deactivate it instead.", n=in_use)})
    if isinstance(part, Carrier | CarrierService) and _in_exports(session, part):
        raise SettingsRefused({"delete": _(
            "Used by the shipping instruction history: it cannot be deleted. Deactivate it "
            "instead.")})
    entity = _ENTITY[type(part)]
    audit.record(session, actor, f"{entity}.delete", entity_type=entity, entity_id=part.id,
                 old=getattr(part, _NAME[type(part)]))
    session.delete(part)
    session.flush()


def _in_exports(session: Session, part: Carrier | CarrierService) -> bool:
    column = (ShippingExport.carrier_id if isinstance(part, Carrier)
              else ShippingExport.service_id)
    return session.scalar(sa.select(sa.literal(True)).where(column == part.id).limit(1)) or False


def _create(session: Session, part: Part, spec: Any, actor: Actor) -> Any:
    session.add(part)
    session.flush()
    entity = _ENTITY[type(part)]
    audit.record(session, actor, f"{entity}.create", entity_type=entity, entity_id=part.id,
                 details={k: getattr(v, "value", v) for k, v in asdict(spec).items()})
    return part


def _update(session: Session, part: Part, spec: Any, actor: Actor) -> bool:
    """One audit row per changed field; returns whether anything changed."""
    entity, changed = _ENTITY[type(part)], False
    for name, value in asdict(spec).items():
        old = getattr(part, name)
        if old != value:
            audit.record(session, actor, f"{entity}.update", entity_type=entity,
                         entity_id=part.id, field=name, old=getattr(old, "value", old),
                         new=getattr(value, "value", value))
            setattr(part, name, value)
            changed = True
    session.flush()
    return changed


# ----------------------------------------------------------------- rules

def _blank_to_none(spec: Any) -> None:
    """Trim every text; an empty optional text is None."""
    for name, value in asdict(spec).items():
        if isinstance(value, str):
            value = value.strip()
            setattr(spec, name, value or (None if name in _OPTIONAL else value))


_OPTIONAL = frozenset({"amazon_name", "qoo10_name", "yahoo_code", "np_code", "gmo_code",
                       "tracking_url", "tracking_pattern", "tracking_hint", "cod_slip_code",
                       "b2_code", "ehiden_code", "yupri_code"})


def _check_carrier(session: Session, spec: CarrierSpec, carrier: Carrier | None) -> None:
    _blank_to_none(spec)
    errors = {}
    if not _CODE.fullmatch(spec.code):
        errors["code"] = _("Enter 1 to 32 lower-case letters, digits or _, starting with a "
                           "letter (e.g. yamato).")
    elif _taken(session, Carrier.code, spec.code, carrier):
        errors["code"] = _("Another carrier already has this code.")
    if not 1 <= len(spec.name) <= 32:
        errors["name"] = _("Enter 1 to 32 characters.")
    elif _taken(session, Carrier.name, spec.name, carrier):
        errors["name"] = _("Another carrier already has this name.")
    if not 1 <= len(spec.amazon_code) <= 64:
        errors["amazon_code"] = _("Enter 1 to 64 characters.")
    if not (len(spec.rakuten_code) == 4 and _DIGITS.fullmatch(spec.rakuten_code)):
        errors["rakuten_code"] = _("Enter Rakuten's 4-digit code in half-width digits "
                                   "(e.g. 1001).")
    for name in ("yahoo_code", "np_code", "gmo_code"):
        value = getattr(spec, name)
        if value is not None and not _ASCII_CODE.fullmatch(value):
            errors[name] = _("Enter half-width letters and digits only.")
    if problem := _url_problem(spec.tracking_url):
        errors["tracking_url"] = problem
    if problem := _pattern_problem(spec.tracking_pattern):
        errors["tracking_pattern"] = problem
    _check_rename(session, carrier, spec.name, errors, "name")
    if errors:
        raise SettingsRefused(errors)


# Per kind of spec: the name orders keep, its longest, and its codes (required or not).
_PART_RULES = {
    ServiceSpec: ("name", 32, (("slip_code", True), ("cod_slip_code", False))),
    SlotSpec: ("label", 16, (("b2_code", False), ("ehiden_code", False),
                             ("yupri_code", False))),
}


def _check_part(session: Session, carrier: Carrier, spec: ServiceSpec | SlotSpec,
                part: CarrierService | CarrierTimeSlot | None) -> None:
    _blank_to_none(spec)
    attr, longest, codes = _PART_RULES[type(spec)]
    value, errors = getattr(spec, attr), {}
    if not 1 <= len(value) <= longest:
        errors[attr] = _("Enter 1 to %(n)d characters.", n=longest)
    elif any(getattr(s, attr) == value and s is not part
             for s in (carrier.services if attr == "name" else carrier.time_slots)):
        errors[attr] = _("This carrier already has %(name)s.", name=value)
    for name, required in codes:
        code = getattr(spec, name)
        if (code is not None or required) and not (code and _ASCII_CODE.fullmatch(code)):
            errors[name] = _("Enter half-width letters and digits only.")
    _check_rename(session, part, value, errors, attr)
    if errors:
        raise SettingsRefused(errors)


def _check_rename(session: Session, part: Part | None, new: str, errors: dict[str, str],
                  field: str) -> None:
    """Orders keep the name as text: a name in use stays, or they would lose their
    carrier, service or slot."""
    if part is None or field in errors or getattr(part, _NAME[type(part)]) == new:
        return
    carrier = part if isinstance(part, Carrier) else part.carrier
    in_use = usage(session, carrier).of(part)
    if in_use:
        errors[field] = _("Used by %(n)d orders: the name cannot be changed. Add a new one "
                          "and deactivate this one instead.", n=in_use)


def _taken(session: Session, column, value: str, carrier: Carrier | None) -> bool:
    query = sa.select(Carrier.id).where(column == value)
    if carrier is not None:
        query = query.where(Carrier.id != carrier.id)
    return session.scalar(query.limit(1)) is not None


def _url_problem(url: str | None) -> str | None:
    if url is None:
        return None
    if not re.match(r"https?://[^\s]+\Z", url) or "{number}" not in url or len(url) > 255:
        return _("Enter an http or https address of at most 255 characters with {number} "
                 "where the tracking number goes.")
    return None


def _pattern_problem(pattern: str | None) -> str | None:
    if pattern is None:
        return None
    if len(pattern) > 100:
        return _("Enter at most 100 characters.")
    try:
        re.compile(pattern)
    except (re.error, RecursionError, OverflowError) as error:
        return _("This is not a valid regular expression (%(error)s).", error=str(error))
    return None
