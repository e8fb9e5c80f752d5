"""Requests per second under concurrent clients, against gunicorn as production runs it.

Run against a database filled by the seed command (1,000,000 orders for the figures in
the README), with wrk from Debian (`apt-get install wrk`):
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1/oms_bench \\
        .venv/bin/python bench/load_bench.py --clients 8 --seconds 15
Starts gunicorn with gunicorn.conf.py's settings (or --workers / --threads), signs in
once, and lets N clients request the default list, a status tab and an order's detail page
as fast as they are answered.
Prints one line per page:
    default list: 120 req/s, p50 60 ms, p99 110 ms, errors 0
where errors counts every answer other than 200 and every socket error.
"""

import argparse
import os
import re
import runpy
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.detail_bench import order_with_five_lines  # noqa: E402
from bench.request_timing import BENCH_PASSWORD, BENCH_USER  # noqa: E402

# Counts non-200 answers in every wrk thread and prints the figures in one parseable block.
WRK_SCRIPT = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) non200 = 0 end
function response(status, headers, body) if status ~= 200 then non200 = non200 + 1 end end
function done(summary, latency, requests)
  local bad = summary.errors.connect + summary.errors.read + summary.errors.write
              + summary.errors.timeout
  for _, thread in ipairs(threads) do bad = bad + thread:get("non200") end
  io.write(string.format("RESULT %d %d %.3f %.3f %d\\n", summary.requests, summary.duration,
           latency:percentile(50) / 1000, latency:percentile(99) / 1000, bad))
end
"""


def prepare() -> str:
    """The bench user (made if missing) and an order with five lines, as the other benches."""
    import sqlalchemy as sa

    from oms import create_app
    from oms.extensions import db
    from oms.models import Role, User
    from oms.services import users

    app = create_app({})
    with app.app_context():
        if not db.session.scalar(sa.select(User.id).where(User.username == BENCH_USER)):
            users.create_user(db.session, BENCH_USER, BENCH_PASSWORD, Role.operator)
            db.session.commit()
        return order_with_five_lines(db.session).order_number


# Sessions are bound to the browser that signed in: every client must say it is the same.
USER_AGENT = "oms-load-bench"


def sign_in(base: str) -> str:
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("User-Agent", USER_AGENT)]
    page = opener.open(f"{base}/login").read().decode()
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    opener.open(f"{base}/login", urlencode({
        "username": BENCH_USER, "password": BENCH_PASSWORD, "csrf_token": token}).encode())
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def wait_until_up(base: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(f"{base}/healthz").read()  # noqa: S310 (our http URL)
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=15)
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))  # what production runs
    parser.add_argument("--workers", type=int, default=settings["workers"])
    parser.add_argument("--threads", type=int, default=settings["threads"])
    parser.add_argument("--port", type=int, default=8399)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install wrk")
    order_number = prepare()
    base = f"http://127.0.0.1:{args.port}"
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "--bind", f"127.0.0.1:{args.port}",
         "--workers", str(args.workers), "--threads", str(args.threads), "wsgi:app"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        # Plain http on loopback: cookies without the Secure flag, or they never come back.
        env={**os.environ, "OMS_SECURE_COOKIES": "0"})
    try:
        wait_until_up(base)
        cookie = sign_in(base)
        print(f"gunicorn: {args.workers} workers × {args.threads} threads; "
              f"{args.clients} clients, {args.seconds} s per page")
        with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
            script.write(WRK_SCRIPT)
            script.flush()
            for name, path in (("default list", "/orders/"),
                               ("status tab", "/orders/?tab=processing"),
                               ("order detail", f"/orders/{order_number}")):
                run = subprocess.run(
                    ["wrk", "-t", str(min(2, args.clients)), "-c", str(args.clients),
                     "-d", f"{args.seconds}s", "-s", script.name, "-H", f"Cookie: {cookie}",
                     "-H", f"User-Agent: {USER_AGENT}",
                     f"{base}{path}"], capture_output=True, text=True, check=True)
                found = re.search(r"RESULT (\d+) (\d+) ([\d.]+) ([\d.]+) (\d+)", run.stdout)
                requests, micros, p50, p99, errors = found.groups()
                rate = int(requests) / (int(micros) / 1e6)
                print(f"{name}: {rate:.0f} req/s, p50 {float(p50):.0f} ms, "
                      f"p99 {float(p99):.0f} ms, errors {errors}", flush=True)
    finally:
        server.terminate()
        server.wait(30)


if __name__ == "__main__":
    main()
