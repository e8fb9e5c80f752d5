"""Running the sandbox marketplace: in this process (`serve`) or as a child process."""

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
from werkzeug.serving import WSGIRequestHandler, make_server

from oms.sandbox.app import SandboxApp
from oms.sandbox.store import Store

DEFAULT_PORT = 8765


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code="-", size="-"):
        if str(code).startswith(("4", "5")) and code != 429:
            super().log_request(code, size)


def serve(db_path: Path, host: str = "127.0.0.1", port: int = DEFAULT_PORT) -> None:
    """Serve until interrupted. Loopback only: the control API has no authentication."""
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError("the sandbox listens on loopback only")
    db_path.parent.mkdir(parents=True, exist_ok=True)
    server = make_server(host, port, SandboxApp(Store(str(db_path))), threaded=True,
                         request_handler=_QuietHandler)
    print(f"Sandbox marketplace on http://{host}:{port} (state in {db_path})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def start(db_path: Path, port: int, log: Path | None = None, timeout: float = 120
          ) -> subprocess.Popen:
    """Start `python -m oms.sandbox` as a child and wait until it answers: as long as it
    is starting (a loaded machine may take many seconds to import it), at most `timeout`
    seconds; if it exits or never answers, the error says why (the end of its log)."""
    command = [sys.executable, "-m", "oms.sandbox", "--port", str(port), "--db", str(db_path)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    if log is None:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.STDOUT, env=env)
    else:
        with log.open("w") as out:  # the child keeps its own copy of the handle
            process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        _wait_until_up(process, port, timeout, log)
    except BaseException:  # also Ctrl-C or SIGTERM while it starts: leave no child behind
        process.kill()
        process.wait()
        raise
    return process


def _wait_until_up(process: subprocess.Popen, port: int, timeout: float, log: Path | None
                   ) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the sandbox exited with {process.returncode}{_tail(log)}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/_sandbox/health", timeout=1).is_success:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the sandbox did not answer within {timeout:.0f} s{_tail(log)}")


def _tail(log: Path | None) -> str:
    if log is None or not log.exists():
        return ""
    return ":\n" + log.read_text(errors="replace")[-2000:]
