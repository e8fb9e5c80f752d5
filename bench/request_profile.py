"""Where a request's time goes: SQL, ORM, template, framework set-up, our code, other.

Run against a database filled by the seed command, e.g.
    DATABASE_URL=postgresql://postgres@127.0.0.1/oms_bench .venv/bin/python bench/request_profile.py
Each page is requested through the Flask test client under cProfile; every function's own
time (tottime) is charged to the layer its source file belongs to, and the SQL layer is the
wall time of the cursor calls. Prints per page the median whole request and the share of
each layer, in milliseconds per request.
"""

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("OMS_SECURE_COOKIES", "1")

from bench.detail_bench import order_with_five_lines
from bench.request_timing import SqlClock, bench_user, signed_in
from oms import create_app
from oms.extensions import db

# (layer, substrings of a source path), first match wins; SQL is measured apart.
LAYERS = (
    ("sql driver", ("/psycopg/", "/psycopg_pool/", "sqlite3", "<built-in method _sqlite3")),
    ("ORM + SQL build", ("/sqlalchemy/",)),
    ("template", ("/jinja2/", "/markupsafe/", ".html")),
    ("forms + i18n", ("/wtforms/", "/flask_wtf/", "/flask_babel/", "/babel/")),
    ("framework", ("/flask/", "/werkzeug/", "/flask_login/", "/itsdangerous/",
                   "/flask_sqlalchemy/", "/blinker/")),
    ("our code", ("/oms/",)),
)


def layer_of(filename: str) -> str:
    for layer, marks in LAYERS:
        if any(mark in filename for mark in marks):
            return layer
    return "other"


def pages(session) -> list[tuple[str, str]]:
    order = order_with_five_lines(session)
    return [
        ("default list", "/orders/"),
        ("status tab: processing", "/orders/?tab=processing"),
        ("name search", "/orders/?q=田中"),
        ("order detail (5 lines)", f"/orders/{order.order_number}"),
        ("order edit page", f"/orders/{order.order_number}/edit"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    app = create_app({"WTF_CSRF_ENABLED": False})
    with app.app_context():
        clock = SqlClock(db.engine)
        bench_user()
        cases = pages(db.session)

    client = signed_in(app)
    names = [layer for layer, _ in LAYERS] + ["other"]
    print(f"{'page':26} {'request':>8} {'SQL':>6} " + " ".join(f"{n[:9]:>9}" for n in names))
    for name, url in cases:
        for _ in range(3):  # warm caches and compiled templates
            assert client.get(url).status_code == 200, url
        walls, sqls = [], []
        profile = cProfile.Profile()
        for _ in range(args.runs):
            clock.reset()
            t0 = time.perf_counter()
            profile.enable()
            response = client.get(url)
            profile.disable()
            walls.append((time.perf_counter() - t0) * 1000)
            sqls.append(clock.seconds * 1000)
            assert response.status_code == 200, url
        stats = pstats.Stats(profile)
        spent = dict.fromkeys(names, 0.0)
        total = 0.0
        for (filename, _, _), (_, _, tottime, _, _) in stats.stats.items():
            spent[layer_of(filename)] += tottime
            total += tottime
        wall = statistics.median(walls)
        # Profiling slows Python code; shares are of the profiled time, scaled to the wall.
        shares = " ".join(f"{wall * spent[n] / total:9.1f}" for n in names)
        print(f"{name:26} {wall:8.1f} {statistics.median(sqls):6.1f} {shares}")


if __name__ == "__main__":
    main()
