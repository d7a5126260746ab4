"""Helpers for driving the app through Streamlit's AppTest (the fixtures are in conftest.py)."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
from streamlit.testing.v1 import AppTest

from core.model import SoftmaxRegression
from ui import state
from ui.background import BackgroundRun
from ui.nav import PAGES
from ui.train_form import LABELS
from ui.training import runs_of_session

APP = str(Path(__file__).resolve().parents[1] / "app.py")
# AppTest runs every test's app in one fixed session; resources scoped to it outlive an AppTest.
APPTEST_SESSION_ID = "test session id"
PAGE_PATHS = [page.path for page in PAGES]


def wait_until(predicate, timeout: float = 10.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def train_page(at: AppTest, live: bool = False, **settings) -> AppTest:
    """The Train page with the given settings typed in. Live view is off unless `live`: on, the
    page's script run follows a run to its end, so a test could not click while it trains."""
    at.switch_page("pages/train.py").run()
    at.toggle(key=state.LIVE_VIEW).set_value(live)
    for name, value in settings.items():
        next(n for n in at.number_input if n.label == LABELS[name]).set_value(value)
    return at


def click(at: AppTest, label_part: str) -> AppTest:
    next(b for b in at.button if label_part in b.label).click().run()
    assert not at.exception
    return at


def wait_for_runs(at: AppTest, count: int, timeout: float = 60) -> AppTest:
    """Rerun (as clicks would, with Live view off) until `count` runs have landed."""
    deadline = time.monotonic() + timeout
    while len(at.session_state[state.RUNS]) < count:
        assert time.monotonic() < deadline, "the run did not finish in time"
        time.sleep(0.2)
        at.run()
    assert not at.exception
    return at


def open_page(at: AppTest, page: str, /, **params: str) -> AppTest:
    """Put the link parameters in the URL (any name, `page` too), switch to the page, run it;
    no exception allowed."""
    for name, value in params.items():
        at.query_params[name] = value
    at.switch_page(page).run()
    assert not at.exception
    return at


def captions(at: AppTest) -> str:
    return " ".join(c.value for c in at.caption)


def progress_text(at: AppTest) -> str:
    return " ".join(p.proto.text for p in at.get("progress"))


def rerun_until(at: AppTest, predicate, timeout: float = 10.0, what: str = "condition") -> None:
    """Rerun the page (as a visitor's clicks would) until `predicate(at)` holds."""

    def rerun_and_check() -> bool:
        at.run()
        return predicate(at)

    wait_until(rerun_and_check, timeout, what)


def headline(at: AppTest) -> str:
    return " ".join(m.value for m in at.markdown if m.value.startswith("### "))


def form_values(at: AppTest) -> dict:
    return {n.label: n.value for n in at.number_input}


def session_run() -> BackgroundRun | None:
    """The AppTest session's latest run (live or collected), None before its first."""
    runs = runs_of_session(APPTEST_SESSION_ID)
    return None if runs is None else runs.current


def train_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("train-") and t.is_alive()]


def tiny_dataset(n: int = 512) -> SimpleNamespace:
    """`n` random images and labels: enough for a BackgroundRun to train on in tests."""
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (n, 784), dtype=np.uint8)
    labels = rng.integers(0, 10, n).astype(np.uint8)
    return SimpleNamespace(
        name="tiny",
        train_images=images,
        train_labels=labels,
        test_images=images[:64],
        test_labels=labels[:64],
        class_names=tuple(str(k) for k in range(10)),
    )


def trained_entry_with_snapshots() -> state.ModelEntry:
    """A model "Run 1 (test)" trained on MNIST with random templates after epochs 1, 2 and 3
    (larger each epoch); its weights are the last snapshot's."""
    rng = np.random.default_rng(0)
    snapshots = [
        (e, rng.normal(0, 0.01 * e, (784, 10)).astype(np.float32), np.zeros(10, np.float32))
        for e in (1, 2, 3)
    ]
    model = SoftmaxRegression(snapshots[-1][1], snapshots[-1][2])
    return state.ModelEntry("Run 1 (test)", model, "mnist", "trained", 0.9, snapshots)


def use_only_model(at: AppTest, entry: state.ModelEntry) -> AppTest:
    """Make `entry` the session's one and current model (before the first run: init_state keeps
    existing keys)."""
    at.session_state[state.MODELS] = {entry.name: entry}
    at.session_state[state.CURRENT_MODEL] = entry.name
    return at
