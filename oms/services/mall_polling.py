"""Reading the malls: polling a shop for what changed, refreshing chosen orders
(注文更新), and confirming orders at the mall (注文確認)."""

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import redis
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from oms.integrations.malls import Batch, MallAdapter, MallError, MallRefused, Problem
from oms.models import TABS, Order, OrderStatus, Shop, ShopSync
from oms.models.base import utcnow
from oms.services import malls
from oms.services.mall_failures import record_failure
from oms.services.mall_import import SyncResult, import_batch
from oms.services.mall_rows import PROGRESS, S

IMPORT_CHUNK = 1000  # orders written per statement set and commit
OVERLAP = timedelta(minutes=5)  # re-read a little before the watermark: clocks and lag
FIRST_IMPORT_DAYS = 30


def poll_shop(session: Session, shop_id: int, secret_key: str, connection: redis.Redis,
              now: datetime, commit: Callable[[], None]) -> None:
    """The scheduled import of one active shop; a shop that cannot be reached keeps why
    on its page (ShopSync)."""
    shop = session.get(Shop, shop_id)
    if shop is None or not shop.active:
        return
    try:
        adapter = malls.open_adapter(shop, secret_key, connection)
    except malls.NotConnected as error:
        sync = session.get(ShopSync, shop.id) or ShopSync(shop_id=shop.id)
        session.add(sync)
        sync.error, sync.finished_at = str(error), now
        return
    try:
        poll(session, shop, adapter, now, commit)
    finally:
        adapter.close()


def poll(session: Session, shop: Shop, adapter: MallAdapter, now: datetime,
         commit: Callable[[], None]) -> SyncResult:
    """Read what changed at the mall since the last poll. `commit` is called after each
    batch, so a failure later keeps what was already imported."""
    sync = session.get(ShopSync, shop.id) or ShopSync(shop_id=shop.id, inserted=0, updated=0)
    session.add(sync)
    sync.started_at, sync.error = now, None
    since = (sync.watermark - OVERLAP if sync.watermark
             else now - timedelta(days=int((shop.settings or {}).get("import_days")
                                           or FIRST_IMPORT_DAYS)))
    total = SyncResult()
    try:
        for batch in _ahead(_joined(adapter.changed_since(since, now))):
            _add(total, import_batch(session, shop, batch))
            commit()
        for mall_order_id in total.to_confirm:
            confirm_at_mall(session, shop, adapter, mall_order_id)
        sync.watermark = now
        sync.succeeded_at = utcnow()
    except MallError as error:
        session.rollback()
        sync = session.get(ShopSync, shop.id) or ShopSync(shop_id=shop.id)
        session.add(sync)
        sync.error = str(error)
    sync.finished_at = utcnow()
    sync.inserted, sync.updated = total.inserted, total.updated
    commit()
    return total


def _joined(batches: Iterator[Batch]) -> Iterator[Batch]:
    """The mall's pages joined into chunks of about IMPORT_CHUNK orders: one set of
    statements and one commit per chunk instead of per page."""
    pending = Batch()
    for batch in batches:
        pending.orders += batch.orders
        pending.problems += batch.problems
        if len(pending.orders) >= IMPORT_CHUNK:
            yield pending
            pending = Batch()
    if pending.orders or pending.problems:
        yield pending


def _ahead(batches: Iterator[Batch]) -> Iterator[Batch]:
    """Fetch the next chunk from the mall in a thread while this one is written, so the
    database and the mall's latency overlap. The thread touches only the adapter."""
    with ThreadPoolExecutor(1, thread_name_prefix="mall-fetch") as pool:
        upcoming = pool.submit(next, batches, None)
        while (batch := upcoming.result()) is not None:
            upcoming = pool.submit(next, batches, None)
            yield batch


def confirm_at_mall(session: Session, shop: Shop, adapter: MallAdapter, mall_order_id: str,
                    *, order_id: int | None = None, notification_id: int | None = None
                    ) -> str | None:
    """注文確認 at the mall. None when the mall has the order confirmed, also when it had
    already (a job run again, a retry after a lost answer); else the mall's message, which
    is recorded as a failure."""
    message = ask_to_confirm(adapter, malls.status_map(shop), mall_order_id)
    if message is not None:
        record_failure(session, shop.id, mall_order_id, "confirm", message,
                       order_id=order_id, notification_id=notification_id)
    return message


def ask_to_confirm(adapter: MallAdapter, statuses: dict[str, OrderStatus], mall_order_id: str
                   ) -> str | None:
    """The call of 注文確認, without the database: None when the mall has the order
    confirmed (also when it had already), else the mall's message."""
    try:
        adapter.confirm(mall_order_id)
        return None
    except MallRefused as error:
        # A mall refuses to confirm an order it has moved past confirmation: that is done.
        if _confirmed_at_mall(statuses, adapter, mall_order_id):
            return None
        return str(error)
    except MallError as error:
        return str(error)


def _confirmed_at_mall(statuses: dict[str, OrderStatus], adapter: MallAdapter,
                       mall_order_id: str) -> bool:
    """Whether the mall has the order in processing or later, in our terms."""
    try:
        batch = adapter.fetch([mall_order_id])
    except MallError:
        return False
    return any(o.mall_order_id == mall_order_id
               and PROGRESS.get(statuses[o.status], -1) > PROGRESS[S.new]
               for o in batch.orders)


def _add(total: SyncResult, part: SyncResult) -> None:
    for name in ("inserted", "updated", "unchanged", "conflicts", "failed"):
        setattr(total, name, getattr(total, name) + getattr(part, name))
    total.to_confirm += part.to_confirm
    total.outcomes.update(part.outcomes)


def refresh(session: Session, shop: Shop, adapter: MallAdapter, orders: list[Order], *,
            notification_id: int | None = None) -> dict[int, str | None]:
    """注文更新: read these orders of one shop from the mall again and apply what changed.
    Returns each order's outcome: None when done, else the reason (the mall's message)."""
    outcomes: dict[int, str | None] = {}
    chunks = [{o.mall_order_id: o.id for o in orders[start:start + adapter.batch_size]}
              for start in range(0, len(orders), adapter.batch_size)]

    def fetched() -> Iterator[Batch]:
        for chunk in chunks:
            try:
                yield adapter.fetch(list(chunk))
            except MallError as error:
                yield Batch(problems=[Problem(mall_id, str(error)) for mall_id in chunk])

    for chunk, batch in zip(chunks, _ahead(fetched()), strict=True):
        result = import_batch(session, shop, batch, notification_id=notification_id,
                              action="refresh")
        for mall_id, order_id in chunk.items():
            outcomes[order_id] = result.outcomes.get(
                mall_id, _("The mall did not answer about this order."))
    session.flush()
    return outcomes


def refresh_order(session: Session, order: Order,
                  open_adapter: Callable[[Shop], MallAdapter]) -> str | None:
    """⑮ 注文更新 for one order: None when done, else why not (in words for the operator).
    Waiting orders are left to the scheduled import (seed 000 ②: only confirming and
    linking are allowed there)."""
    if order.status in TABS["waiting"]:
        return _("Waiting orders can only be confirmed or linked.")
    try:
        adapter = open_adapter(order.shop)
    except malls.NotConnected as error:
        return str(error)
    try:
        return refresh(session, order.shop, adapter, [order])[order.id]
    finally:
        adapter.close()
