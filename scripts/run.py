"""`make run`'s supervisor: the whole app on one machine, stopped cleanly by Ctrl-C or SIGTERM.

    python scripts/run.py [--port 5000] [--sandbox-port 8765]

Starts, each in a process group of its own (so a Ctrl-C reaches only this supervisor, which
then sends each exactly one SIGTERM: gunicorn stops gracefully, an RQ worker finishes the
job in hand, where a second signal would make it abandon the job):

- the embedded Redis, first, so that nothing races to start it (unless REDIS_URL is set);
- the sandbox marketplace and the import scheduler;
- two workers: one for short jobs only (a download of a few orders, 注文確認 at the malls),
  one for both queues, short jobs first; so a short job never waits behind a long one;
- gunicorn, its control socket under instance/.

If a worker or the web server dies, everything is stopped (never half an app), and the
exit status is 1. On Ctrl-C or SIGTERM everything is stopped, "OMS stopped." is printed,
and the exit status is 0.

`make` runs this with `exec`, so `kill <make's pid>` reaches it (make passes SIGTERM on to
its child; GNU make then ends with that signal's status itself, 143, whatever the recipe
did). With a terminal, the supervisor moves into the terminal's foreground process group
of its own, so Ctrl-C is not seen by make either and `make run` ends with status 0.
"""

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # wsgi.py
BIN = Path(sys.executable).parent
FLASK = [str(BIN / "flask"), "--app", "wsgi"]
STOP_TIMEOUT = 120  # a worker finishes its job in hand; gunicorn its requests


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--sandbox-port", type=int, default=8765)
    args = parser.parse_args()

    stopping: list[int] = []
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda signum, _frame: stopping.append(signum))
    terminal = _take_terminal()

    redis_url = _redis_url()
    instance = ROOT / "instance"
    # Processes and threads from gunicorn.conf.py, as in production.
    web = [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{args.port}"]
    if _gunicorn_has_control_socket():
        # Not ~/.gunicorn/gunicorn.ctl, shared by every gunicorn of the user.
        web += ["--control-socket", str(instance / "gunicorn.ctl")]
    commands = {
        "sandbox": [*FLASK, "sandbox", "--port", str(args.sandbox_port)],
        "scheduler": [*FLASK, "scheduler"],
        "worker (short jobs)": [*FLASK, "worker", "--queues", "short"],
        "worker (all jobs)": [*FLASK, "worker", "--queues", "all"],
        "web": [*web, "wsgi:app"],
    }
    essential = ("worker (short jobs)", "worker (all jobs)", "web")
    processes: dict[str, subprocess.Popen] = {}
    status = 0
    try:
        for name, command in commands.items():
            processes[name] = subprocess.Popen(command, cwd=ROOT, process_group=0)
        password = os.environ.get("OMS_DEMO_PASSWORD", "demo")
        print(f"OMS is running at http://127.0.0.1:{args.port}  (sign in as admin or "
              f"operator, password: {password}; Ctrl-C stops it)", flush=True)
        while not stopping:
            dead = [n for n in essential if processes[n].poll() is not None]
            if dead:
                print(f"The {dead[0]} stopped (exit status {processes[dead[0]].returncode}): "
                      "stopping the others.", file=sys.stderr, flush=True)
                status = 1
                break
            time.sleep(0.2)
    finally:
        # Ignore further signals while stopping: a second Ctrl-C must not cut it short.
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        _stop(processes)
        if not os.environ.get("REDIS_URL"):
            _shutdown_redis(redis_url)
        _give_back(terminal)
        print("OMS stopped.", flush=True)
    return status


def _redis_url() -> str:
    """The Redis in use; the embedded one is started here, before anything else uses it."""
    from oms.queue import redis_url
    from wsgi import app

    with app.app_context():
        return redis_url()


def _gunicorn_has_control_socket() -> bool:
    import gunicorn

    return gunicorn.version_info >= (27,)


def _stop(processes: dict[str, subprocess.Popen]) -> None:
    """One SIGTERM each (the web first: no new jobs while the workers finish), then wait."""
    for name in ("web", *[n for n in processes if n != "web"]):
        process = processes.get(name)
        if process is not None and process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    for name, process in processes.items():
        try:
            process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            print(f"The {name} did not stop in time: killed.", file=sys.stderr, flush=True)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _shutdown_redis(url: str) -> None:
    """Stop the embedded Redis (its append-only file keeps queued jobs for the next run)."""
    import redis

    with contextlib.suppress(redis.RedisError, OSError):
        redis.Redis.from_url(url).shutdown()


def _take_terminal() -> tuple[int, int] | None:
    """Become the terminal's foreground process group, so that Ctrl-C reaches this process
    only (not make, which would end with SIGINT's status). None without a terminal."""
    try:
        fd = os.open("/dev/tty", os.O_RDWR)
    except OSError:
        return None
    try:
        before = os.tcgetpgrp(fd)
        if before != os.getpgrp():
            return None  # started in the background (make run &): leave the terminal alone
        os.setpgid(0, 0)
        _set_foreground(fd, os.getpgrp())
    except OSError:
        os.close(fd)
        return None
    return fd, before


def _give_back(terminal: tuple[int, int] | None) -> None:
    if terminal is None:
        return
    fd, before = terminal
    with contextlib.suppress(OSError):
        _set_foreground(fd, before)
    os.close(fd)


def _set_foreground(fd: int, pgrp: int) -> None:
    # A process group in the background must ignore SIGTTOU to hand the terminal over.
    previous = signal.signal(signal.SIGTTOU, signal.SIG_IGN)
    try:
        os.tcsetpgrp(fd, pgrp)
    finally:
        signal.signal(signal.SIGTTOU, previous)


if __name__ == "__main__":
    sys.exit(main())
