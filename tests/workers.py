"""Real `flask worker` processes for tests: one way to start, stop and watch them.

Every test that needs a worker goes through here (the `run_worker` and `workers` fixtures
in conftest.py use it): a worker listens on both queues, short first, as the worker of a
one-worker installation does, unless a test names the queues it wants.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def worker_command(*, queues: str = "all", burst: bool = False) -> list[str]:
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--queues", queues]
    return [*command, "--burst"] if burst else command


def start_worker(env: dict[str, str], log_path: Path, *, queues: str = "all",
                 **settings: str) -> subprocess.Popen:
    """A long-running worker configured from `env` (test_env) plus `settings` (OMS_...
    variables), writing to `log_path`. It leads its own process group, so `stop_worker`
    (and a test's os.killpg) reach its horse and scheduler too."""
    with log_path.open("a") as log:
        return subprocess.Popen(
            worker_command(queues=queues), cwd=ROOT,
            env={**os.environ, **env, "PYTHONUNBUFFERED": "1", **settings},
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def stop_worker(process: subprocess.Popen, timeout: float = 30) -> None:
    """Warm shutdown (the job in hand is finished), then kill what is left of its session,
    also a work horse that a dead worker left behind (it has a process group of its own)."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    for pid in _session(process.pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _session(sid: int) -> list[int]:
    """The processes of session `sid` (start_new_session made the worker its leader)."""
    out = subprocess.run(["ps", "-e", "-o", "pid=,sid="], capture_output=True, text=True,
                         check=False).stdout
    return [pid for pid, session in (map(int, line.split()) for line in out.splitlines())
            if session == sid and pid != sid]


def run_burst(env: dict[str, str], *, timeout: float = 120, queues: str = "all",
              **settings: str) -> subprocess.CompletedProcess:
    """A `flask worker --burst`: runs what is queued, then exits."""
    return subprocess.run(
        worker_command(queues=queues, burst=True), cwd=ROOT,
        env={**os.environ, **env, **settings}, capture_output=True, text=True,
        timeout=timeout, check=False)


def run_bursts(env: dict[str, str], count: int, *, timeout: float = 300
               ) -> list[subprocess.CompletedProcess]:
    """`count` burst workers at the same time, until the queues are empty."""
    processes = [subprocess.Popen(
        worker_command(burst=True), cwd=ROOT, env={**os.environ, **env},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in range(count)]
    results = []
    for process in processes:
        output, _ = process.communicate(timeout=timeout)
        results.append(subprocess.CompletedProcess(process.args, process.returncode, output))
    return results


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


def log_says(path: Path, text: str) -> bool:
    """Whether a worker's log file contains `text` yet."""
    try:
        return text in path.read_text(errors="replace")
    except FileNotFoundError:
        return False


class Workers:
    """The `workers` fixture: start(...) workers that are all stopped after the test."""

    def __init__(self, env: dict[str, str], folder: Path):
        self.env = env
        self.folder = folder
        self.processes: list[subprocess.Popen] = []

    def start(self, name: str = "worker", *, queues: str = "all", **settings: str
              ) -> subprocess.Popen:
        process = start_worker(self.env, self.log_path(name), queues=queues, **settings)
        self.processes.append(process)
        return process

    def log_path(self, name: str = "worker") -> Path:
        return self.folder / f"{name}.log"

    def logs(self, chars: int = 4000) -> str:
        """The end of every worker's log, for an assertion's message."""
        parts = []
        for path in sorted(self.folder.glob("*.log")):
            parts.append(f"--- {path.name} ---\n{path.read_text(errors='replace')[-chars:]}")
        return "\n".join(parts)

    def stop_all(self) -> None:
        for process in self.processes:
            stop_worker(process)


def hold(folder: str, limit: float = 300) -> str:
    """An RQ job that stands for a long one (enqueue "tests.workers.hold"): it says it has
    started (folder/started) and runs until the test lets it end (folder/release)."""
    base = Path(folder)
    (base / "started").write_text(str(os.getpid()))
    if not wait_for(lambda: (base / "release").exists(), limit, 0.05):
        raise TimeoutError("nobody released the held job")
    return "released"
