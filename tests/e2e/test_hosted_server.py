"""The hosted-demo guarantees against a real `streamlit run app.py` and real Chromium.

* Closing the tab stops that session's training: the server's CPU drops to idle within seconds.
* With the process-wide cap at 2, a visitor's long run paused and another's training leave a
  newcomer's short run its turns: it finishes within a minute, its page saying it shares the
  server with one other run (the paused one holds nothing).
* A file over the upload limit (server.maxUploadSize / the uploader's max_upload_size, 2 MB) is
  refused with a message and the current model stays.
* XSRF protection is on (the page gets its XSRF cookie).
* An uncaught exception shows a generic message: no traceback, no message, no file path.

The server runs on its own free loopback port (its own process, with the cap set to 2);
traffic goes only to 127.0.0.1. Like the rest of tests/e2e they skip without Chromium (and fail
when the CI environment variable is set).
"""

from __future__ import annotations

import os
import re
import time

import pytest

from bench.load_test import Server, cpu_seconds, open_train_page, start_training
from core.train import MAX_EPOCHS

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(chromium_path):  # chromium_path: skip (or fail under CI) without a browser
    with Server(env={"MNIST_LAB_MAX_CONCURRENT_RUNS": "2"}) as running:
        yield running


def cpu_use(pid: int, seconds: float) -> float:
    """Cores the process kept busy over the next `seconds` (1.0 = one core)."""
    before = cpu_seconds(pid)
    time.sleep(seconds)
    return (cpu_seconds(pid) - before) / seconds


def start(page, epochs: int) -> None:
    box = page.get_by_label("Epochs", exact=True)
    box.fill(str(epochs))
    box.press("Tab")
    page.get_by_role("button", name=re.compile("Start training")).click()


def wait_for_status(page, status: str, timeout_ms: int = 60_000) -> None:
    page.get_by_text(re.compile(rf"^{status} · epoch")).first.wait_for(timeout=timeout_ms)


def test_closing_the_tab_stops_its_training(server, browser):
    context, page = open_train_page(browser, server.url)
    start(page, 100)
    wait_for_status(page, "Running")
    busy = cpu_use(server.pid, 2.0)
    assert busy > 0.5, f"a training run keeps a core busy (measured {busy:.2f} cores)"
    context.close()  # the tab goes away; its websocket closes
    idle, readings = False, []
    for _ in range(10):  # at most ~10 s
        readings.append(cpu_use(server.pid, 1.0))
        if readings[-1] < 0.15:
            idle = True
            break
    assert idle, f"the server stayed busy after the tab closed: {readings}"
    assert len(readings) <= 5, f"took {len(readings)} s to go idle: {readings}"


# The newcomer's run: 2 epochs of batch 8 (15,000 steps), a few seconds on a quiet server, long
# enough for its page to be redrawn while it trains.
NEWCOMER_EPOCHS, NEWCOMER_BATCH = 2, 8
NEWCOMER_LIMIT_S = 60
SHARING_ONE = re.compile(r"^🤝 Sharing the server with 1 other run: this run gets about \d+% of a")


def test_a_paused_and_a_training_long_run_leave_a_newcomer_its_turns(server, browser):
    sessions = [open_train_page(browser, server.url) for _ in range(3)]
    pauses, trains, newcomer = (page for _, page in sessions)
    try:
        # A: the longest run there is, paused to look at the templates.
        start_training(pauses, epochs=MAX_EPOCHS, batch_size=1)
        wait_for_status(pauses, "Running")
        pauses.get_by_role("button", name=re.compile("Pause")).click()
        wait_for_status(pauses, "Paused")
        # B: the same run, training.
        start_training(trains, epochs=MAX_EPOCHS, batch_size=1)
        wait_for_status(trains, "Running")
        # C: a short run finishes within the limit; while it trains its page says it shares the
        # server with one run (B), not two: the paused run holds nothing.
        clicked = time.monotonic()
        start_training(newcomer, epochs=NEWCOMER_EPOCHS, batch_size=NEWCOMER_BATCH)
        newcomer.get_by_text(SHARING_ONE).wait_for(timeout=NEWCOMER_LIMIT_S * 1000)
        newcomer.get_by_text("Result of Run 1", exact=True).wait_for(
            timeout=NEWCOMER_LIMIT_S * 1000
        )
        took = time.monotonic() - clicked
        assert took < NEWCOMER_LIMIT_S, f"the newcomer's run took {took:.0f} s"
        # Meanwhile B trained on and A stayed paused.
        wait_for_status(trains, "Running", timeout_ms=5_000)
        wait_for_status(pauses, "Paused", timeout_ms=5_000)
    finally:
        for context, _ in sessions:
            context.close()
    time.sleep(1.0)
    readings = [cpu_use(server.pid, 1.0) for _ in range(3)]
    assert min(readings) < 0.15, f"runs outlived their tabs: {readings}"


def test_upload_over_the_limit_is_refused_with_a_message(server, browser, tmp_path):
    context, page = open_train_page(browser, server.url)
    try:
        sidebar = page.get_by_test_id("stSidebar")
        assert "Shipped with the app · MNIST" in sidebar.inner_text()
        big = tmp_path / "big.npz"
        big.write_bytes(b"PK\x03\x04" + os.urandom(3 * 1024 * 1024))
        page.get_by_text("Upload a model").click()
        sidebar.locator('input[type="file"]').set_input_files(str(big))
        # Streamlit's own limit message, on the refused file's entry.
        page.get_by_text("File must be 2.0MB or smaller.").wait_for(timeout=15_000)
        assert "Shipped with the app · MNIST" in sidebar.inner_text(), "the model stays"
        # The app goes on: the Train page still answers.
        start(page, 1)
        page.get_by_text("Result of Run 1", exact=True).wait_for(timeout=60_000)
    finally:
        context.close()


def test_xsrf_protection_is_on(server, browser):
    context, page = open_train_page(browser, server.url)
    try:
        names = {c["name"] for c in context.cookies()}
        assert "_streamlit_xsrf" in names
    finally:
        context.close()


def test_an_uncaught_exception_shows_no_traceback(chromium_path, browser, tmp_path):
    """The deployed settings (client.showErrorDetails = "none") on a real server: a script that
    raises, run from the repository so that its .streamlit/config.toml applies."""
    script = tmp_path / "raises.py"
    script.write_text(
        "import streamlit as st\n"
        "st.title('Raises')\n"
        "raise RuntimeError('secret detail at /srv/private/data.csv')\n"
    )
    with Server(script=str(script)) as running:
        page = browser.new_page()
        try:
            page.goto(running.url, wait_until="domcontentloaded")
            box = page.get_by_test_id("stException")
            box.wait_for(timeout=60_000)
            shown = page.get_by_test_id("stApp").inner_text()
            assert "Raises" in shown, "the page itself is there"
            for leak in ("secret detail", "/srv/private", "RuntimeError", "Traceback", "raises.py"):
                assert leak not in shown, f"{leak!r} is shown to the visitor"
        finally:
            page.close()
