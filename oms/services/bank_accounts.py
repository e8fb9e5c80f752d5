"""銀行振込の口座設定: the accounts customers transfer prepaid money to (決済銀行).

Accounts are never deleted: orders point at the account they were paid to. One no longer
used is deactivated, which takes it out of the choices and keeps it on those orders.
"""

import re
from dataclasses import asdict, dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from oms import labels
from oms.models import AccountType, BankAccount
from oms.services import audit
from oms.services.actor import Actor
from oms.services.list_cache import ListCache

MAX_NUMBER_DIGITS = 8
_NUMBER = re.compile(rf"[0-9]{{1,{MAX_NUMBER_DIGITS}}}")
# 口座名義 as banks print it: full-width katakana (with ー and ・), full-width capitals and
# digits (company names), spaces, and the symbols of legal forms such as 「カ）」.
_HOLDER = re.compile(r"[ァ-ヴー・Ａ-Ｚ０-９\u3000 （）().,．，\-－‐／/「」]+")
_HAS_KANA = re.compile(r"[ァ-ヴ]")
HOLDER_MAX = 100


class AccountRefused(ValueError):
    """The account is refused; `errors` maps a form field to why."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


@dataclass
class AccountSpec:
    bank_name: str
    branch_name: str
    account_type: AccountType
    account_number: str
    holder_kana: str
    position: int = 0


def accounts(session: Session) -> list[BankAccount]:
    """Every account: the active ones first, each group by position."""
    return list(session.scalars(sa.select(BankAccount).order_by(
        BankAccount.active.desc(), BankAccount.position, BankAccount.id)))


ACTIVE = ListCache([BankAccount])


def choices(session: Session) -> list[tuple[int, str]]:
    """The active accounts as (id, label) for a select, by position (kept per process:
    入金確認 offers them on every order's page)."""
    rows = ACTIVE.rows(session, BankAccount, lambda: list(session.execute(
        sa.select(*BankAccount.__table__.c).where(BankAccount.active)
        .order_by(BankAccount.position, BankAccount.id))))
    return [(account.id, describe(account)) for account in rows]


def describe(account: BankAccount) -> str:
    """「三井住友銀行 渋谷支店 普通 1234567 カ）サンプル」."""
    return " ".join((account.bank_name, account.branch_name,
                     str(labels.ACCOUNT_TYPE[account.account_type]), account.account_number,
                     account.holder_kana))


def create(session: Session, spec: AccountSpec, actor: Actor) -> BankAccount:
    _check(spec)
    account = BankAccount(**asdict(spec), active=True)
    session.add(account)
    session.flush()
    audit.record(session, actor, "bank_account.create", entity_type="bank_account",
                 entity_id=account.id, details=asdict(spec))
    return account


def update(session: Session, account: BankAccount, spec: AccountSpec, actor: Actor) -> bool:
    """Change the account; one audit row per changed field. Returns whether anything
    changed."""
    _check(spec)
    changed = False
    for name, value in asdict(spec).items():
        old = getattr(account, name)
        if old != value:
            audit.record(session, actor, "bank_account.update", entity_type="bank_account",
                         entity_id=account.id, field=name, old=old, new=value)
            setattr(account, name, value)
            changed = True
    session.flush()
    return changed


def set_active(session: Session, account: BankAccount, active: bool, actor: Actor) -> bool:
    """Deactivate or reactivate the account. Returns whether it changed."""
    if account.active == active:
        return False
    audit.record(session, actor, "bank_account.update", entity_type="bank_account",
                 entity_id=account.id, field="active", old=account.active, new=active)
    account.active = active
    session.flush()
    return True


def _check(spec: AccountSpec) -> None:
    errors = {}
    spec.bank_name, spec.branch_name = spec.bank_name.strip(), spec.branch_name.strip()
    spec.account_number = spec.account_number.strip()
    spec.holder_kana = spec.holder_kana.strip()
    for name in ("bank_name", "branch_name"):
        if not 1 <= len(getattr(spec, name)) <= 64:
            errors[name] = _("Enter 1 to 64 characters.")
    if problem := _number_problem(spec.account_number):
        errors["account_number"] = problem
    if problem := _holder_problem(spec.holder_kana):
        errors["holder_kana"] = problem
    if errors:
        raise AccountRefused(errors)


def _number_problem(number: str) -> str | None:
    if _NUMBER.fullmatch(number):
        return None
    # "１２３" and "٣" are digits to str.isdecimal(), but not to a bank's transfer file.
    if any(char.isdecimal() and not char.isascii() for char in number):
        return _("Enter the account number in half-width digits (0-9); full-width and "
                 "other digits are not accepted.")
    return _("Enter the account number as 1 to %(n)d digits (0-9).", n=MAX_NUMBER_DIGITS)


def _holder_problem(holder: str) -> str | None:
    if (len(holder) <= HOLDER_MAX and _HOLDER.fullmatch(holder)
            and _HAS_KANA.search(holder)):
        return None
    return _("Enter the account holder in full-width katakana, as the bank prints it "
             "(spaces and （）．－／ may be used; at most %(n)d characters).", n=HOLDER_MAX)
