"""Helpers for tests that run real `flask worker` processes and kill them."""

import subprocess
import time


def horse_of(worker_pid: int) -> int | None:
    """RQ forks the horse into its own process group (os.setpgrp); the scheduler child
    stays in the worker's group, so the horse is the child leading its own group."""
    out = subprocess.run(["ps", "--ppid", str(worker_pid), "-o", "pid=,pgid="],
                         capture_output=True, text=True, check=False).stdout
    for line in out.splitlines():
        pid, pgid = (int(x) for x in line.split())
        if pid == pgid:
            return pid
    return None


def wait_for(predicate, timeout: float, interval: float = 0.05):
    """The predicate's first truthy value within `timeout` seconds, else None."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(interval)
    return None
