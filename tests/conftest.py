# ---------------------------------------------------------------------------------------------
# AppTest fixtures: the app in Streamlit's AppTest, one session per test (helpers that are not
# fixtures are in tests/apptest_helpers.py).

from __future__ import annotations

import os
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
from streamlit.runtime.caching.cache_resource_api import clear_session_cache
from streamlit.testing.v1 import AppTest

from tests.apptest_helpers import APP, APPTEST_SESSION_ID

FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")


@pytest.fixture
def needs_fashion_mnist() -> None:
    """Skip where Fashion-MNIST is not installed, except in CI (CI=true), where the test runs
    and fails."""
    if not FASHION_MNIST_DIR.is_dir() and os.environ.get("CI") != "true":
        pytest.skip(f"Fashion-MNIST is not in {FASHION_MNIST_DIR} (apt: dataset-fashion-mnist)")


@pytest.fixture
def app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception
    yield at
    # End the session as a closed tab would: its runs must stop (and no thread outlive it).
    clear_session_cache(APPTEST_SESSION_ID)
    assert not [t for t in threading.enumerate() if t.name.startswith("train-")]


@pytest.fixture
def canvas(app, monkeypatch):
    """Replace the canvas component with one that 'returns' the image the test sets."""
    # The component registers itself only inside a Streamlit runtime: let the page import it.
    app.switch_page("pages/draw.py").run()
    import streamlit_drawable_canvas

    drawn = SimpleNamespace(image=None)

    def fake_canvas(**kwargs):
        return SimpleNamespace(image_data=drawn.image, json_data=None)

    monkeypatch.setattr(streamlit_drawable_canvas, "st_canvas", fake_canvas)
    return drawn
