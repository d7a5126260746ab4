"""Fixtures shared by the test modules (pytest finds them here; no test module imports another).

Sections: core fixtures (datasets, caches, the optional Fashion-MNIST data), then the app's.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
from streamlit.runtime.caching.cache_resource_api import clear_session_cache
from streamlit.testing.v1 import AppTest

from tests.apptest_helpers import APP, APPTEST_SESSION_ID

# =============================================================================================
# core fixtures
# =============================================================================================

FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")


def running_in_ci() -> bool:
    """CI sets env CI (to "true" on the usual services); "", "0" and "false" mean not CI."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false")


def _require_fashion_mnist() -> None:
    """Skip when the Debian package's Fashion-MNIST is absent, except in CI, where
    scripts/test.sh installs it: there its absence is a failure, never a silent skip."""
    if FASHION_MNIST_DIR.is_dir():
        return
    message = f"Fashion-MNIST is not installed ({FASHION_MNIST_DIR} missing)"
    if running_in_ci():
        pytest.fail(f"{message}, but CI is set and scripts/test.sh installs it")
    pytest.skip(f"{message}: `sudo apt-get install dataset-fashion-mnist` to run this test")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "needs_fashion_mnist: skips without /usr/share/datasets/fashion-mnist, except in CI",
    )


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("needs_fashion_mnist") is not None:
        _require_fashion_mnist()


@pytest.fixture
def needs_fashion_mnist() -> Path:
    """The Fashion-MNIST folder; the test skips (fails in CI) when it is not installed.
    ``@pytest.mark.needs_fashion_mnist`` does the same for a test that needs no path."""
    _require_fashion_mnist()
    return FASHION_MNIST_DIR


@pytest.fixture(scope="session")
def mnist():
    """The shipped MNIST copy (data/mnist), loaded once; its arrays are read-only."""
    from core.datasets import load_dataset

    return load_dataset("mnist")


@pytest.fixture
def private_dataset_cache(tmp_path, monkeypatch) -> Path:
    """A fresh download cache under tmp_path instead of ~/.cache: a test never reads or fills
    the real one. Returns the cache root."""
    from core import datasets

    root = tmp_path / "cache"
    monkeypatch.setattr(datasets, "CACHE_ROOT", root)
    return root


# =============================================================================================
# AppTest fixtures: the app in Streamlit's AppTest, one session per test (helpers that are not
# fixtures are in tests/apptest_helpers.py).
# =============================================================================================


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
