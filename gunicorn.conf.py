"""gunicorn's settings, read from the working directory by `gunicorn wsgi:app`: `make run`,
bench/load_bench.py and the deployment guide all start it from here. Per host,
WEB_CONCURRENCY sets the number of processes and OMS_WEB_THREADS the threads of each.

Chosen with bench/load_bench.py (8 clients, 1,000,000 orders, PostgreSQL and wrk on the
same 2 cores; README, "Serving"): a request is mostly Python (templates, ORM) with a few ms
of SQL, so threads only queue on the GIL. Single-threaded processes, one more than the
cores, did best: 2×4 threads gave 79 default-list req/s, 3×1 gave 70–98, 4×1 66–70,
6×1 62."""

import os

workers = int(os.environ.get("WEB_CONCURRENCY", (os.cpu_count() or 1) + 1))
threads = int(os.environ.get("OMS_WEB_THREADS", 1))
