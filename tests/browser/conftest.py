"""Browser tests: Debian's Chromium, driven by Playwright, against the real app.

`live_server` runs the app as production does (gunicorn, the production cookie settings)
plus a real `flask worker` process, both configured from `test_env` and using the database
that the `app` fixture migrated; its mail goes to `mail_sink`, a real SMTP server. Every
test that takes `ui` runs twice: with JavaScript on (htmx enhances the pages) and off (plain
HTML forms and links, meta refresh).

Playwright never downloads a browser here: a missing /usr/bin/chromium is a failure
that says how to install it (`apt-get install chromium`; .ci/run does that).
"""

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from http.client import HTTPConnection
from pathlib import Path

import gunicorn
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.conftest import PASSWORD, ROOT
from tests.smtp import Sink, smtp_sink
from tests.workers import worker_command

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
ARTIFACTS = ROOT / "test-artifacts"
START_TIMEOUT = 120  # waits on conditions: as long as a loaded machine needs, no longer

expect.set_options(timeout=15_000)


def pytest_collection_modifyitems(items):
    here = Path(__file__).parent
    for item in items:
        if item.path.is_relative_to(here):
            item.add_marker(pytest.mark.browser)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _tail(path: Path, chars: int = 3000) -> str:
    try:
        return path.read_text(errors="replace")[-chars:]
    except FileNotFoundError:
        return ""


@dataclass
class LiveServer:
    port: int
    url: str
    logs: dict[str, Path]
    env: dict[str, str]  # its processes' environment: a `flask` command run alike
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    def check_alive(self) -> None:
        for name, proc in self.processes.items():
            if proc.poll() is not None:
                pytest.fail(f"the {name} process exited with {proc.returncode}:\n"
                            f"{_tail(self.logs[name])}")

    def report(self) -> str:
        return "\n".join(f"--- {name} log ---\n{_tail(path)}" for name, path in self.logs.items())


def _stop(proc: subprocess.Popen, timeout: float) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)  # gunicorn: graceful; RQ: warm shutdown
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="package")
def mail_sink():
    """The SMTP server on loopback that the live server's mail goes to (tests/smtp.py)."""
    with smtp_sink() as sink:
        yield sink


@pytest.fixture(scope="package")
def live_server(app, test_env, tmp_path_factory, mail_sink: Sink):
    """gunicorn + a worker on a free loopback port, for the browser tests of this package."""
    logdir = tmp_path_factory.mktemp("live")
    port = _free_port()
    env = {
        **os.environ, **test_env,
        "MAIL_URL": mail_sink.url,
        # The production default, kept on purpose: Chromium keeps the Secure `__Host-`
        # session cookie on http://127.0.0.1 (a "potentially trustworthy" origin).
        "OMS_SECURE_COOKIES": "1",
        # A queue of its own: this worker must not take jobs that other tests enqueue.
        "OMS_QUEUE": f"{test_env['OMS_QUEUE']}-browser",
        "PYTHONUNBUFFERED": "1",
    }
    web = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}",
           "--workers", "1", "--threads", "8", "--graceful-timeout", "5"]
    if gunicorn.version_info >= (27,):
        # Not the shared ~/.gunicorn/gunicorn.ctl of a developer's own `make run`.
        web.append("--no-control-socket")
    commands = {
        "web": [*web, "wsgi:app"],
        "worker": worker_command(),  # both queues, short jobs first
    }
    server = LiveServer(port=port, url=f"http://127.0.0.1:{port}",
                        logs={name: logdir / f"{name}.log" for name in commands}, env=env)
    try:
        for name, command in commands.items():
            with server.logs[name].open("w") as log:
                server.processes[name] = subprocess.Popen(
                    command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        _wait_until_up(server)
        yield server
    finally:
        for name in ("web", "worker"):
            if name in server.processes:
                _stop(server.processes[name], timeout=30)


def _wait_until_up(server: LiveServer) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    last = ""
    while time.monotonic() < deadline:
        server.check_alive()
        connection = HTTPConnection("127.0.0.1", server.port, timeout=5)
        try:
            connection.request("GET", "/healthz")
            response = connection.getresponse()
            last = f"HTTP {response.status} {response.read()[:300]!r}"
            if response.status == 200:
                break
        except OSError as error:
            last = str(error)
        finally:
            connection.close()
        time.sleep(0.2)
    else:
        pytest.fail(f"the app did not answer /healthz within {START_TIMEOUT}s ({last})\n"
                    f"{server.report()}")
    # The worker logs this line once it listens on the queue.
    while time.monotonic() < deadline:
        server.check_alive()
        if "Listening on" in _tail(server.logs["worker"], 20_000):
            return
        time.sleep(0.2)
    pytest.fail(f"the worker did not start within {START_TIMEOUT}s\n{server.report()}")


@pytest.fixture(scope="session")
def browser():
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: the browser tests need Debian's Chromium "
                    "(apt-get install -y chromium; .ci/run installs it). "
                    "Playwright's own browser downloads are not used.", pytrace=False)
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        _assert_japanese_font(browser)
        yield browser
        browser.close()
    finally:
        playwright.stop()


# Two characters drawn alike are boxes ("tofu"): Chromium found no font for them.
_DRAWN_ALIKE = """([a, b]) => {
  const draw = (text) => {
    const canvas = document.createElement("canvas");
    canvas.width = 64; canvas.height = 64;
    const context = canvas.getContext("2d");
    context.font = "48px sans-serif";
    context.fillText(text, 4, 52);
    return canvas.toDataURL();
  };
  return draw(a) === draw(b);
}"""


def _assert_japanese_font(browser: Browser) -> None:
    """Screenshots must show the Japanese UI, not boxes: fail early without a font."""
    page = browser.new_page()
    try:
        alike = page.evaluate(_DRAWN_ALIKE, ["受", "注"])
    finally:
        page.close()
    if alike:
        pytest.fail("Chromium has no Japanese font: pages and screenshots would show boxes. "
                    "apt-get install -y fonts-noto-cjk (make test and .ci/run install it "
                    "when run as root).", pytrace=False)


# Runs in every page before its own scripts (not subject to the page's CSP).
_RECORD_CSP = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(
    `${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


class UI:
    """One browser context (JavaScript on or off) with what a test needs around it."""

    def __init__(self, page: Page, js: bool, server: LiveServer, name: str):
        self.page = page
        self.js = js
        self.server = server
        self.name = name
        self.console: list[str] = []
        self.errors: list[str] = []
        page.on("console", lambda msg: self.console.append(f"{msg.type}: {msg.text}"))
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("response", self._on_response)

    @property
    def mode(self) -> str:
        return "js" if self.js else "nojs"

    def _on_response(self, response) -> None:
        if response.status >= 400:
            self.errors.append(f"{response.status} {response.request.method} {response.url}")

    def login(self, username: str = "operator", password: str = PASSWORD) -> None:
        page = self.page
        page.goto("/login")
        form = page.locator("form:has(input[name=password])")
        form.locator("input[name=username]").fill(username)
        form.locator("input[name=password]").fill(password)
        form.locator("button[type=submit]").click()
        expect(page.locator("[data-user]")).to_have_attribute("data-user", username)

    def logout(self) -> None:
        self.page.locator("form[action$='/logout'] button").click()
        expect(self.page).to_have_url(f"{self.server.url}/login")
        expect(self.page.locator("[data-user]")).to_have_count(0)

    def screenshot(self, what: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{what}-{self.mode}.png"
        # caret="initial": hiding the caret would leave style="" on every input, and htmx
        # copying that attribute on the next swap is then blocked by the CSP (style-src-attr).
        self.page.screenshot(path=path, full_page=True, caret="initial")
        return path

    def assert_htmx(self) -> None:
        # The URL changes before the new page's scripts have run: wait for them.
        self.page.wait_for_load_state("load")
        version = self.page.evaluate("() => window.htmx ? window.htmx.version : null")
        assert (version or "").startswith("2.0."), (
            f"htmx 2.0.x is not loaded (window.htmx.version: {version!r}); `make test` copies "
            "it from npm into oms/static/vendor/ (`make htmx` alone does just that)")

    def assert_clean(self) -> None:
        """No CSP violation, script error or failed request on any page the test saw."""
        csp = [line for line in self.console if "Content Security Policy" in line]
        if self.js:
            csp += self.page.evaluate("() => window.__cspViolations || []")
        assert not csp, "CSP violations:\n" + "\n".join(csp)
        assert not self.errors, "errors in the browser:\n" + "\n".join(self.errors)


@pytest.fixture(params=[True, False], ids=["js", "nojs"])
def ui(request, browser: Browser, live_server: LiveServer):
    context = browser.new_context(
        base_url=live_server.url, java_script_enabled=request.param, accept_downloads=True,
        locale="ja-JP", timezone_id="Asia/Tokyo", viewport={"width": 1366, "height": 900},
    )
    context.set_default_timeout(15_000)
    context.add_init_script(_RECORD_CSP)
    page = context.new_page()
    ui = UI(page, request.param, live_server, request.node.name)
    try:
        yield ui
    finally:
        context.close()
    live_server.check_alive()
