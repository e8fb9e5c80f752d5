"""App-wide settings, one JSON group per key, read with their defaults filled in.

The workflow's group (設定 > 受注管理設定) is typed as `WorkflowSettings`; later groups
(shipping, payments, mail) add their own dataclass and key the same way.
"""

from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from oms.models import AppSetting, MallKind, PaymentKind
from oms.services import audit
from oms.services.actor import Actor

WORKFLOW = "workflow"
ALLOCATION_MODES = ("auto", "manual", "off")
# Kinds that wait for a delay (or, later, the gateway) before 新規; prepaid kinds wait for
# the money instead (seed 000 ③).
TIMED_KINDS = (PaymentKind.card, PaymentKind.cod, PaymentKind.deferred_np,
               PaymentKind.deferred_gmo, PaymentKind.zero_yen, PaymentKind.points)
MAX_MINUTES = 10_080  # a week


def _default_minutes() -> dict[str, int]:
    return {kind.value: 15 if kind is PaymentKind.cod else 0 for kind in TIMED_KINDS}


@dataclass
class WorkflowSettings:
    """自動処理設定: how orders move by themselves."""

    # 在庫引当: auto (the sweep allocates), manual (the 在庫引当 button), off (skip 引当待ち).
    allocation_mode: str = "auto"
    # Minutes after the order before 確認待ち → 新規, per payment kind.
    new_after_minutes: dict[str, int] = field(default_factory=_default_minutes)
    # Whether 新規 waits for 注文確認, per shop kind (malls are told by 注文確認, so they
    # always wait; the own shop by this setting).
    require_confirm: dict[str, bool] = field(default_factory=lambda: {MallKind.own.value: True})
    # The stock locations allocation tries are 在庫ロケーション管理's (oms.services.masters).

    @property
    def allocates(self) -> bool:
        return self.allocation_mode != "off"

    def minutes_for(self, kind: PaymentKind) -> int:
        return self.new_after_minutes.get(kind.value, 0)

    def needs_confirm(self, kind: MallKind) -> bool:
        return kind is not MallKind.own or self.require_confirm.get(kind.value, True)


def workflow(session: Session) -> WorkflowSettings:
    """The workflow settings, defaults for anything not saved (or saved by an older
    version)."""
    row = session.get(AppSetting, WORKFLOW)
    saved = dict(row.value) if row else {}
    defaults = WorkflowSettings()
    known = {k: v for k, v in saved.items() if k in asdict(defaults)}
    if "new_after_minutes" in known:
        known["new_after_minutes"] = _default_minutes() | known["new_after_minutes"]
    if "require_confirm" in known:
        known["require_confirm"] = defaults.require_confirm | known["require_confirm"]
    settings = WorkflowSettings(**known)
    if settings.allocation_mode not in ALLOCATION_MODES:
        settings.allocation_mode = defaults.allocation_mode
    return settings


def save_workflow(session: Session, settings: WorkflowSettings, actor: Actor) -> bool:
    """Store the settings; one audit row per changed setting. Returns whether anything
    changed."""
    return save_group(session, WORKFLOW, asdict(settings), asdict(workflow(session)), actor)


def save_group(session: Session, key: str, value: dict[str, Any], before: dict[str, Any],
          actor: Actor) -> bool:
    changed = {name for name in value if value[name] != before.get(name)}
    for name in sorted(changed):
        audit.record(session, actor, "settings.update", entity_type="settings", entity_id=key,
                     field=name, old=before.get(name), new=value[name])
    if not changed:
        return False
    row = session.get(AppSetting, key)
    if row is None:
        session.add(AppSetting(key=key, value=value, updated_by_id=actor.user_id))
    else:
        row.value = value
        row.updated_by_id = actor.user_id
    session.flush()
    return True
