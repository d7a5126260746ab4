"""What a page's first visit on a fresh server imports. pandas takes about half a second to
import; the pages that show only pictures and HTML charts must not need it, and the warm-up
thread imports it for the pages that do (Train, Experiments, Draw's canvas)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# Runs one page in a fresh interpreter, the warm-up held back, and prints whether pandas came in.
FIRST_VISIT = """
import sys
sys.path.insert(0, {repo!r})
import ui.warm_up
ui.warm_up.FIRST_PAGE_GRACE_S = 600
from streamlit.testing.v1 import AppTest
assert "pandas" not in sys.modules, "imported before the page ran"
app = AppTest.from_file({app!r}, default_timeout=120)
app.switch_page({page!r}).run()
assert not app.exception, app.exception
print("pandas" in sys.modules)
"""


def _prints_true(script: str) -> bool:
    """Runs `script` in a fresh interpreter: did its last line of output say True?"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=True
    )
    return result.stdout.strip().splitlines()[-1] == "True"


def _imports_pandas(page: str) -> bool:
    return _prints_true(FIRST_VISIT.format(repo=str(REPO), app=str(REPO / "app.py"), page=page))


@pytest.mark.parametrize(
    "page",
    ["pages/home.py", "pages/explore.py", "pages/weights.py", "pages/calibration.py"],
)
def test_a_page_of_pictures_does_not_import_pandas(page):
    assert not _imports_pandas(page)


def test_the_train_page_does_import_pandas():  # the check above can tell
    assert _imports_pandas("pages/train.py")


def test_the_warm_up_imports_pandas_and_the_figure_modules():
    script = (
        f"import sys; sys.path.insert(0, {str(REPO)!r})\n"
        "from ui.warm_up import import_figure_modules\n"
        "import_figure_modules()\n"
        "print(all(m in sys.modules for m in ('pandas', 'ui.charts', 'ui.figures')))\n"
    )
    assert _prints_true(script)
