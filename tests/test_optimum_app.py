"""In the app: the optimum's dashed lines on a finished run's charts and its gap (ui/optimum.py),
Weights' comparison with the optimum's templates, Explore's deskew toggle."""

from __future__ import annotations

import base64
import html
import io
import json
import re

import numpy as np
from PIL import Image

from core.deskew import deskew
from tests.apptest_helpers import click, wait_for_runs
from ui import state

TRAIN = "pages/train.py"


def charts(at) -> dict[str, dict]:
    """key -> plotly spec of every chart on the page."""
    return {
        element.proto.id.rsplit("-", 1)[-1]: json.loads(element.proto.spec)
        for element in at.get("plotly_chart")
    }


def dashed_lines(spec: dict) -> list[float]:
    return [s["y0"] for s in spec["layout"].get("shapes", []) if s["line"].get("dash") == "dash"]


def test_a_finished_run_shows_the_optimum_as_dashed_lines_and_its_gap(app):
    from ui.optimum import OptimumKey, load_shipped

    best = load_shipped(OptimumKey.of("mnist", 0.0))
    app.switch_page(TRAIN).run()
    app.toggle(key=state.LIVE_VIEW).set_value(False)
    app.number_input(key=state.TRAIN_INPUT_PREFIX + "epochs").set_value(1)
    click(app, "Start training")
    wait_for_runs(app, 1)
    specs = charts(app)
    assert dashed_lines(specs["result_loss"]) == [best.train_loss]
    assert best.test_acc in dashed_lines(specs["result_acc"])
    last = app.session_state[state.RUNS][-1].history[-1]
    points = f"{(best.test_acc - last['test_acc']) * 100:.2f} points below"
    assert any(points in m.value for m in app.markdown)
    # L2 = 0: the page says the optimum is approached slowly and where the app stops.
    assert any("there is no best model" in c.value for c in app.caption)


def test_weights_compares_the_models_templates_with_the_optimums(app):
    from ui.optimum import OptimumKey, load_shipped

    app.switch_page("pages/weights.py").run()
    app.toggle(key="weights_compare_optimum").set_value(True).run()
    assert not app.exception
    grids = [
        h.proto.body
        for h in app.get("html")
        if "linear-gradient" in h.proto.body and "digit-grid" in h.proto.body
    ]
    best = load_shipped(OptimumKey.of("mnist", 0.0))
    limit = float(np.abs(best.model.W).max())
    assert len(grids) == 2 and f"+{limit:.3g}</span>" in grids[1]
    assert any("correlate" in c.value and "on average" in c.value for c in app.caption)


def test_explore_shows_the_images_deskewed_on_request(app):
    app.switch_page("pages/explore.py").run()

    def first_grid() -> str:
        return next(h.proto.body for h in app.get("html") if 'class="digit-grid"' in h.proto.body)

    plain = first_grid()
    app.toggle(key="explore_deskew").set_value(True).run()
    assert not app.exception
    deskewed = first_grid()
    assert deskewed != plain
    # The same captions (the same images), other pictures: the deskewed ones.
    captions = re.compile(r"<figcaption>(.*?)</")
    assert captions.findall(deskewed) == captions.findall(plain)
    assert any("covariance becomes 0" in html.unescape(c.value) for c in app.caption)
    from ui.loaders import load_shared_dataset

    first = load_shared_dataset("mnist").train_images[:1]
    uri = re.search(r'src="data:image/png;base64,([^"]+)"', deskewed).group(1)
    shown = np.asarray(Image.open(io.BytesIO(base64.b64decode(uri))))
    np.testing.assert_array_equal(shown, deskew(first).reshape(28, 28))
    assert not np.array_equal(shown, first.reshape(28, 28))  # MNIST's first digit is slanted
