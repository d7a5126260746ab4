"""End-to-end fixtures: `streamlit run app.py` on a free port, driven by Debian's Chromium.

Never `playwright install` (it downloads a browser): pytest-playwright is pointed at the system
Chromium (/usr/bin/chromium, or env CHROMIUM_PATH). Without one the browser tests skip, except
under CI (env CI set), where a missing browser is a failure.

Every test fails on a page error (uncaught exception) or a console error, except the known
harmless ones in HARMLESS_CONSOLE_ERRORS. Screenshots go to E2E_SCREENSHOT_DIR (default
<repo>/artifacts/screenshots, git-ignored); the path is printed in the terminal summary.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Playwright,
    expect,
)

from bench.load_test import CHROMIUM_ARGS
from tests.e2e.helpers import missing_in_ci, wait_for_app_run

REPO = Path(__file__).resolve().parents[2]
DEFAULT_CHROMIUM = "/usr/bin/chromium"
DESKTOP = {"width": 1440, "height": 900}
SERVER_START_TIMEOUT = 60  # seconds; a cold start imports plotly, numpy and loads MNIST
SCREENSHOT_DIR = Path(os.environ.get("E2E_SCREENSHOT_DIR") or REPO / "artifacts" / "screenshots")

# Console errors that are expected and harmless: (message pattern, URL pattern, why).
# Anything else logged with type "error" fails the test.
HARMLESS_CONSOLE_ERRORS: list[tuple[str, str, str]] = [
    (
        r"^Failed to load resource: the server responded with a status of 404",
        r"/[^/?#]+/_stcore/(health|host-config)$",
        # A page loaded at a non-root URL (/train, /draw, ...) makes Streamlit's frontend probe
        # the server endpoints under that path first (/train/_stcore/health and
        # /train/_stcore/host-config). Those 404, the frontend falls back to the root
        # (/_stcore/...) and connects normally. Chromium logs each 404 as a console error.
        "Streamlit's frontend probes /<page>/_stcore/{health,host-config} before the root",
    ),
]

_screenshots_taken: list[Path] = []


# -- browser -------------------------------------------------------------------------------------


def find_chromium() -> str | None:
    """CHROMIUM_PATH if set (and executable), else Debian's /usr/bin/chromium, else None."""
    explicit = os.environ.get("CHROMIUM_PATH")
    candidates = [explicit] if explicit else [DEFAULT_CHROMIUM, shutil.which("chromium")]
    for candidate in candidates:
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = find_chromium()
    if path is None:
        where = os.environ.get("CHROMIUM_PATH") or DEFAULT_CHROMIUM
        message = (
            f"No Chromium at {where}: install Debian's (`apt-get install chromium`) or set "
            "CHROMIUM_PATH to a Chromium binary. Never `playwright install`."
        )
        missing_in_ci("the browser tests", message)
    return path


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict, chromium_path: str) -> dict:
    """pytest-playwright hook: Debian's Chromium instead of a downloaded browser."""
    return {**browser_type_launch_args, "executable_path": chromium_path, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def base_url(pytestconfig: pytest.Config) -> str | None:
    """Same value as pytest-playwright's own base_url fixture, which it defines (without
    pytest-base-url installed) as a session-scoped method on a plugin class: pytest 9 warns about
    that (PytestRemovedIn10Warning), and warnings are errors here. Our tests use app_url."""
    return pytestconfig.getoption("--base-url", None) or pytestconfig.getini("base_url") or None


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    # 1440 px wide: at 1280 the Draw page's left column is narrower than the 280 px canvas and
    # clips it (see test_draw.py::test_the_canvas_fits_its_column_on_a_1280_px_screen).
    return {**browser_context_args, "viewport": DESKTOP}


# -- server --------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as response:
            return response.read() == b"ok"
    except OSError:
        return False


def _stop(proc: subprocess.Popen) -> str:
    """Terminate (then kill) the server; return what it printed."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
    return proc.stdout.read() if proc.stdout else ""


@pytest.fixture(scope="session")
def app_url(chromium_path: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`streamlit run app.py` on a free loopback port for the whole session.

    Depends on chromium_path so no server starts when the browser tests skip.
    """
    port = free_port()
    log = tmp_path_factory.mktemp("streamlit") / "server.log"
    with open(log, "w+") as out:
        proc = subprocess.Popen(
            [
                sys.executable, "-m", "streamlit", "run", "app.py",
                "--server.headless", "true",
                "--server.address", "127.0.0.1",
                "--server.port", str(port),
                "--browser.gatherUsageStats", "false",
                "--server.fileWatcherType", "none",
            ],
            cwd=REPO, stdout=out, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while not _healthy(url):
            if proc.poll() is not None or time.monotonic() > deadline:
                _stop(proc)
                out.seek(0)
                pytest.fail(
                    f"streamlit did not become healthy at {url} within {SERVER_START_TIMEOUT} s "
                    f"(exit code {proc.returncode}). Its output:\n{out.read()}"
                )
            time.sleep(0.2)
        try:
            yield url
        finally:
            _stop(proc)


# -- console and page errors ---------------------------------------------------------------------


def harmless(message: ConsoleMessage) -> bool:
    url = message.location.get("url", "")
    return any(
        re.search(text, message.text) and re.search(where, url)
        for text, where, _ in HARMLESS_CONSOLE_ERRORS
    )


@dataclass
class ErrorLog:
    """Console errors and uncaught page errors of the contexts a test watches."""

    problems: list[str] = field(default_factory=list)

    def watch(self, context: BrowserContext) -> BrowserContext:
        context.on("console", self._console)
        context.on("weberror", lambda e: self.problems.append(f"page error: {e.error}"))
        return context

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error" and not harmless(message):
            where = message.location.get("url", "?")
            self.problems.append(f"console error at {where}: {message.text}")


@pytest.fixture
def errors() -> Iterator[ErrorLog]:
    log = ErrorLog()
    yield log
    if log.problems:
        pytest.fail("Browser errors:\n" + "\n".join(log.problems), pytrace=False)


# -- pages ---------------------------------------------------------------------------------------


@pytest.fixture
def app(page: Page, app_url: str, errors: ErrorLog) -> Page:
    """A fresh session (a new browser context) on the home page."""
    errors.watch(page.context)
    page.set_default_timeout(20_000)
    page.goto(app_url)
    wait_for_app_run(page)
    expect(page.get_by_role("heading", name="MNIST Softmax Lab", level=1)).to_be_visible()
    return page


@pytest.fixture
def phone(playwright: Playwright, browser: Browser, errors: ErrorLog) -> Iterator[BrowserContext]:
    """A fresh session on a phone (Pixel 7: 412 px wide, touch, no hover), watched for errors."""
    device = {k: v for k, v in playwright.devices["Pixel 7"].items() if k != "default_browser_type"}
    context = errors.watch(browser.new_context(**device))
    yield context
    context.close()


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    return SCREENSHOT_DIR


@pytest.fixture
def shoot(screenshot_dir: Path) -> Callable[[Page, str], Path]:
    """shoot(page, name): a full-page PNG under the screenshot folder."""

    def take(page: Page, name: str) -> Path:
        path = screenshot_dir / f"{name}.png"
        # Streamlit scrolls inside stMain (and the sidebar), not the document, so full_page=True
        # would only show the viewport: grow the viewport to the content for the shot, restore.
        viewport = page.viewport_size
        height = page.evaluate(
            """() => Math.max(...['stMain', 'stSidebarUserContent', 'stSidebarContent'].map(
                id => document.querySelector(`[data-testid='${id}']`)?.scrollHeight ?? 0))"""
        )
        if viewport and height > viewport["height"]:
            page.set_viewport_size({"width": viewport["width"], "height": min(height, 8000)})
        try:
            page.screenshot(path=path, animations="disabled")
        finally:
            if viewport:
                page.set_viewport_size(viewport)
        _screenshots_taken.append(path)
        return path

    return take


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _screenshots_taken:
        terminalreporter.write_sep("-", "e2e screenshots")
        terminalreporter.write_line(
            f"{len(_screenshots_taken)} screenshots in {SCREENSHOT_DIR.resolve()}"
        )
