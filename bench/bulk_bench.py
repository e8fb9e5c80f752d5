"""Bulk update speed at scale, through the real path: selection → dry run (confirm step) →
frozen targets → RQ lanes on real `flask worker` processes → outcomes and audit rows.

    DATABASE_URL=postgresql://postgres@127.0.0.1/oms_bench .venv/bin/python bench/bulk_bench.py

Runs a tag add and a remarks append over --targets orders (a fresh window of the data each
time) with 1 and with 2 workers, and prints the confirm step's time, the time to freeze the
targets and the job's orders per second. It changes the orders it touches: point it at a
copy of the seeded database (createdb -T oms_bench ...) if others use that one.
"""

import argparse
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import sqlalchemy as sa
from flask_babel import force_locale
from werkzeug.datastructures import MultiDict

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from oms import create_app  # noqa: E402
from oms.extensions import db  # noqa: E402
from oms.models import BulkJob, Order, Role, SelectionSource, Tag, User  # noqa: E402
from oms.services.bulk import launch, operations, preview, selection  # noqa: E402

BENCH_USER = "bench-bulk"


def bench_user(session) -> User:
    user = session.scalar(sa.select(User).where(User.username == BENCH_USER))
    if user is None:
        user = User(username=BENCH_USER, password_hash="!", role=Role.operator)
        session.add(user)
        session.commit()
    return user


def options(session, key: str, **raw) -> dict:
    operation = operations.get(key)
    form = operation.form(formdata=MultiDict({k: str(v) for k, v in raw.items()}))
    operation.prepare_form(form, session)
    assert form.validate(), form.errors
    return operation.options_from(form)


def run_case(app, env, label: str, key: str, raw: dict, ids: list[int], workers: int) -> dict:
    session = db.session
    user = bench_user(session)
    chosen = selection.from_ids(session, user, ids, SelectionSource.selected)
    session.commit()
    operation = operations.get(key)
    opts = options(session, key, **raw)
    where = selection.conditions(session, chosen, None)

    started = time.perf_counter()
    result = preview.preview(session, where, operation, opts)
    preview_s = time.perf_counter() - started
    assert result.total == len(ids), (result.total, len(ids))

    started = time.perf_counter()
    job, _ = launch.start(session, chosen, operation, opts, where, user, ip=None, locale="en")
    session.commit()
    freeze_s = time.perf_counter() - started
    session.commit()  # no open transaction while the workers run

    started = time.perf_counter()
    processes = [subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker",
                                   "--burst"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL) for _ in range(workers)]
    for process in processes:
        process.wait()
    wall_s = time.perf_counter() - started
    session.expire_all()
    job = session.get(BulkJob, job.id)
    note = job.notification
    assert note.state.value == "succeeded", (note.state, note.error)
    assert job.succeeded == len(ids), (job.succeeded, note.failed, job.skipped)
    run_s = (note.finished_at - note.started_at).total_seconds()
    return {"case": label, "workers": workers, "targets": len(ids), "preview_s": preview_s,
            "freeze_s": freeze_s, "run_s": run_s, "wall_s": wall_s,
            "per_s": len(ids) / run_s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", type=int, default=100_000)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--offset", type=int, default=0,
                        help="first order (by id) of the first window; later cases move on")
    args = parser.parse_args()
    # A queue of its own: no other worker may take the bench's jobs.
    os.environ.setdefault("OMS_QUEUE", f"bulk-bench-{uuid.uuid4().hex[:8]}")
    app = create_app()
    env = {**os.environ}
    rows = []
    with app.app_context(), force_locale("en"):
        session = db.session
        assert session.get_bind().dialect.name == "postgresql", "run it on PostgreSQL"
        all_ids = list(session.scalars(sa.select(Order.id).where(Order.deleted_at.is_(None))
                                       .order_by(Order.id)))
        print(f"{len(all_ids):,} orders in the database; {args.targets:,} targets per case")
        window = args.offset
        for workers in (int(w) for w in args.workers.split(",")):
            tag = Tag(name=f"bench-{uuid.uuid4().hex[:6]}")
            session.add(tag)
            session.commit()
            cases = [("tag add", "tags", {"action": "add", "tag_id": tag.id}),
                     ("remarks append", "remarks2", {"mode": "add", "text": "bench"})]
            for label, key, raw in cases:
                ids = all_ids[window:window + args.targets]
                window = (window + args.targets) % max(1, len(all_ids) - args.targets)
                rows.append(run_case(app, env, label, key, raw, ids, workers))
                print_row(rows[-1])


def print_row(row: dict) -> None:
    print(f"{row['case']:<16} workers={row['workers']}  targets={row['targets']:,}  "
          f"preview={row['preview_s']:.2f}s  freeze={row['freeze_s']:.2f}s  "
          f"job={row['run_s']:.1f}s  {row['per_s']:,.0f} orders/s  "
          f"(wall incl. worker start {row['wall_s']:.1f}s)", flush=True)


if __name__ == "__main__":
    main()
