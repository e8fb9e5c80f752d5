"""gunicorn's settings, read from the working directory by `gunicorn wsgi:app`: `make run`,
bench/load_bench.py and the deployment guide all start it from here. Per host,
WEB_CONCURRENCY sets the number of processes and OMS_WEB_THREADS the threads of each.

Chosen with bench/load_bench.py (8 clients, 1,000,000 orders, PostgreSQL and wrk on the
same 2 cores; README, "Serving"): a request is mostly Python (templates, ORM) with a few ms
of SQL, so threads only queue on the GIL. Single-threaded processes, one more than the
cores: 149-158 default-list req/s (p99 86-118 ms); 2 workers gave 135, 4 gave 138 with a
worse p99, and before this tuning 2×4 threads gave 79."""

import gc
import os

workers = int(os.environ.get("WEB_CONCURRENCY", (os.cpu_count() or 1) + 1))
threads = int(os.environ.get("OMS_WEB_THREADS", 1))


def post_worker_init(worker) -> None:
    """The collector set for a long-lived web process, once the app is loaded.

    Everything loaded by now (modules, the app, its routes) lives as long as the process:
    frozen, a full collection no longer walks it. A full collection took 120 to 200 ms on
    this machine, a p99 outlier each time. A page allocates tens of thousands of objects
    and frees nearly all of them by reference counting, so young collections run every
    10,000 allocations instead of 700: 0.2 ms of collecting per list request instead of
    1 to 2 ms (bench/load_bench.py, README "Serving")."""
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)
