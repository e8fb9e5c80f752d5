"""Where a request's time goes: per-request set-up, SQL, ORM and our code, template, finish.

Run against a database filled by the seed command, e.g.
    DATABASE_URL=postgresql://postgres@127.0.0.1/oms_bench .venv/bin/python bench/request_profile.py
Each page is requested through the Flask test client, in a process set up as a gunicorn
worker, and each request is cut into phases by wall clock (no profiler, which inflates small
calls): set-up is everything before the view runs (the request context, the session cookie,
the before-request hooks with the signed-in user's row), finish everything after it (the
commit, the session cookie, the response), and the view's own time is split into its SQL
(the cursor calls), the template, and the rest (building statements and ORM objects, forms,
our services). Prints per page the median of each phase in milliseconds; the phases' medians
need not add up to the request's.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import sqlalchemy as sa
from flask import before_render_template, template_rendered
from jinja2_fragments.flask import before_render_template_block, template_block_rendered

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("OMS_SECURE_COOKIES", "1")

from bench.detail_bench import order_with_five_lines
from bench.request_timing import bench_user, signed_in
from oms import create_app
from oms.extensions import db

PHASES = ("request", "set-up", "SQL", "ORM+code", "template", "finish", "SQL (all)")


class Phases:
    """Marks taken during one request, by wall clock."""

    def __init__(self, app, engine: sa.Engine):
        self.marks: dict[str, float] = {}
        self.sql = self.sql_in_view = self.sql_in_template = 0.0
        self._rendering = self._in_view = False
        wsgi, dispatch = app.wsgi_app, app.dispatch_request

        def timed_wsgi(environ, start_response):
            self.marks["start"] = time.perf_counter()
            try:
                return wsgi(environ, start_response)
            finally:
                self.marks["end"] = time.perf_counter()

        def timed_dispatch():
            self.marks["view"], self._in_view = time.perf_counter(), True
            try:
                return dispatch()
            finally:
                self.marks["view_end"], self._in_view = time.perf_counter(), False

        app.wsgi_app, app.dispatch_request = timed_wsgi, timed_dispatch
        for starts, ends in ((before_render_template, template_rendered),
                             (before_render_template_block, template_block_rendered)):
            starts.connect(self._render_starts, app)
            ends.connect(self._render_ends, app)
        sa.event.listen(engine, "before_cursor_execute", self._sql_starts)
        sa.event.listen(engine, "after_cursor_execute", self._sql_ends)

    def _render_starts(self, *_args, **_kwargs) -> None:
        self.marks["render"], self._rendering = time.perf_counter(), True

    def _render_ends(self, *_args, **_kwargs) -> None:
        # Jinja renders lazily inside render_template; the signal comes when it is done.
        self.marks["render_end"], self._rendering = time.perf_counter(), False

    def _sql_starts(self, conn, *_args) -> None:
        conn.info["bench_t0"] = time.perf_counter()

    def _sql_ends(self, conn, *_args) -> None:
        spent = time.perf_counter() - conn.info.pop("bench_t0")
        self.sql += spent
        if self._in_view:
            self.sql_in_view += spent
            if self._rendering:
                self.sql_in_template += spent

    def reset(self) -> None:
        self.marks.clear()
        self.sql = self.sql_in_view = self.sql_in_template = 0.0

    def split(self) -> dict[str, float]:
        m = self.marks
        view = m["view_end"] - m["view"]
        template = m.get("render_end", 0.0) - m.get("render", 0.0) - self.sql_in_template
        return {
            "request": m["end"] - m["start"],
            "set-up": m["view"] - m["start"],
            "SQL": self.sql_in_view,
            "ORM+code": view - self.sql_in_view - template,
            "template": template,
            "finish": m["end"] - m["view_end"],
            "SQL (all)": self.sql,
        }


def pages(session) -> list[tuple[str, str, dict[str, str]]]:
    order = order_with_five_lines(session)
    return [
        ("default list", "/orders/", {}),
        ("status tab: processing", "/orders/?tab=processing", {}),
        ("list fragment (htmx)", "/orders/?tab=new",
         {"HX-Request": "true", "HX-Target": "order-results"}),
        ("name search", "/orders/?q=田中", {}),
        ("order detail (5 lines)", f"/orders/{order.order_number}", {}),
        ("order edit page", f"/orders/{order.order_number}/edit", {}),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    app = create_app({"WTF_CSRF_ENABLED": False})
    with app.app_context():
        phases = Phases(app, db.engine)
        bench_user()
        cases = pages(db.session)

    client = signed_in(app)
    print(f"{args.runs} runs per page, medians in ms")
    print(f"{'page':26} " + " ".join(f"{name:>9}" for name in PHASES))
    for name, url, headers in cases:
        for _ in range(3):  # warm caches and compiled templates
            assert client.get(url, headers=headers).status_code == 200, url
        runs: dict[str, list[float]] = {phase: [] for phase in PHASES}
        for _ in range(args.runs):
            phases.reset()
            assert client.get(url, headers=headers).status_code == 200, url
            for phase, seconds in phases.split().items():
                runs[phase].append(seconds * 1000)
        print(f"{name:26} " + " ".join(f"{statistics.median(runs[p]):9.1f}" for p in PHASES))


if __name__ == "__main__":
    main()
