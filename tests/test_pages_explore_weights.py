"""Explore and Weights pages, run headless through streamlit.testing (no browser)."""

from __future__ import annotations

import base64
import html
import io
import json
import re
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from core.model import SoftmaxRegression
from tests.apptest_helpers import trained_entry_with_snapshots, use_only_model
from ui.dataset_stats import HIST_BINS

REPO = Path(__file__).resolve().parents[1]
DEFAULT_MODEL = REPO / "models" / "default" / "model.npz"


def _app() -> AppTest:
    return AppTest.from_file(str(REPO / "app.py"), default_timeout=60)


def _charts(at: AppTest) -> dict[str, dict]:
    """key -> plotly spec of every plotly chart on the page."""
    out = {}
    for element in at.get("plotly_chart"):
        key = element.proto.id.rsplit("-", 1)[-1]
        out[key] = json.loads(element.proto.spec)
    return out


def _array(value) -> np.ndarray:
    """A plotly JSON array: plain list or base64 typed-array spec."""
    if isinstance(value, dict) and "bdata" in value:
        dtype = {
            "f4": np.float32,
            "f8": np.float64,
            "i1": np.int8,
            "u1": np.uint8,
            "i2": np.int16,
            "u2": np.uint16,
            "i4": np.int32,
            "u4": np.uint32,
        }[value["dtype"]]
        flat = np.frombuffer(base64.b64decode(value["bdata"]), dtype=dtype)
        shape = value.get("shape")
        return flat.reshape([int(s) for s in str(shape).split(",")]) if shape else flat
    return np.asarray(value, dtype=float)


def _pictures(at: AppTest) -> dict[str, tuple[np.ndarray, str]]:
    """title -> (RGB array, colour key text) of every single picture (ui.pictures.picture_html)."""
    from PIL import Image

    out = {}
    for body in (h.proto.body for h in at.get("html") if 'class="picture28"' in h.proto.body):
        titles = re.findall(r"<figcaption>(.*?)</", body)
        uri = re.search(r'src="data:image/png;base64,([^"]+)"', body).group(1)
        rgb = np.asarray(Image.open(io.BytesIO(base64.b64decode(uri))).convert("RGB"))
        key_text = " ".join(re.findall(r"<span>(.*?)</span>", body))
        out[html.unescape(titles[0]) if titles else ""] = (rgb, key_text)
    return out


def _image_grids(at: AppTest) -> list[list[str]]:
    """The captions of every image grid on the page (ui.images.image_grid_html), in order."""
    bodies = [h.proto.body for h in at.get("html") if 'class="digit-grid"' in h.proto.body]
    return [
        [html.unescape(c).replace("<br>", "\n") for c in re.findall(r"<figcaption>(.*?)</", b)]
        for b in bodies
    ]


@pytest.fixture(scope="module")
def explore() -> AppTest:
    at = _app()
    at.switch_page("pages/explore.py").run()
    return at


def test_explore_renders_all_charts(explore):
    assert not explore.exception
    assert not explore.error
    assert not _charts(explore)  # HTML and pictures only: no Plotly chart for the browser to run
    bodies = [h.proto.body for h in explore.get("html")]
    shares = [b for b in bodies if 'class="split-bars"' in b]
    assert len(shares) == 1 and shares[0].count('class="col"') == 10
    assert "training (60,000 images)" in shares[0] and "test (10,000 images)" in shares[0]
    histogram = [b for b in bodies if 'class="histogram"' in b]
    assert len(histogram) == 1 and histogram[0].count('class="col"') == HIST_BINS
    browse, means = _image_grids(explore)
    assert len(browse) == 50
    assert means == [str(k) for k in range(10)]


def test_explore_pca_is_a_picture_and_one_toggle_makes_it_the_interactive_chart():
    from PIL import Image

    from ui.pictures import CLASS_COLOURS

    at = _app()
    at.run()
    at.switch_page("pages/explore.py").run()
    assert "explore_pca" not in _charts(at)
    (body,) = [h.proto.body for h in at.get("html") if "principal component 2" in h.proto.body]
    uri = re.search(r'src="data:image/png;base64,([^"]+)"', body).group(1)
    rgb = np.asarray(Image.open(io.BytesIO(base64.b64decode(uri))).convert("RGB"))
    assert rgb.shape == (920, 1520, 3)  # drawn at twice its 760x460 px
    for colour in CLASS_COLOURS:  # each class's colour in the legend
        assert colour in body
    assert 'alt="3,000 training images as dots' in body
    at.toggle(key="explore_pca_interactive").set_value(True).run()
    assert not at.exception
    pca = _charts(at)["explore_pca"]
    assert len(pca["data"]) == 10 and all(t["type"] == "scattergl" for t in pca["data"])
    assert sum(len(_array(t["x"])) for t in pca["data"]) == 3000
    assert not [h for h in at.get("html") if "principal component 2" in h.proto.body]


def test_explore_variance_is_a_picture_on_its_own_scale(explore):
    from core.analysis import pixel_variance
    from core.datasets import load_dataset
    from ui.pictures import VIRIDIS, scale_rgb

    variance = pixel_variance(load_dataset("mnist").train_images).reshape(28, 28)
    rgb, key_text = _pictures(explore)[""]
    top = float(variance.max())
    np.testing.assert_array_equal(rgb, scale_rgb(variance, 0.0, top, VIRIDIS))
    assert key_text == f"0 {top:.3g}"


def test_explore_class_filter_changes_the_grid(explore):
    before = _image_grids(explore)[0]
    explore.selectbox(key="explore_class").set_value(7).run()
    assert not explore.exception
    after = _image_grids(explore)[0]
    assert after != before
    assert len(after) == 50 and all(t.endswith("· 7") for t in after)


def test_explore_test_split_and_paging(explore):
    explore.selectbox(key="explore_class").set_value(-1)
    explore.radio(key="explore_split").set_value("test").run()
    first = _image_grids(explore)[0]
    assert first[0].startswith("#0 ")
    explore.number_input(key="explore_page_test_-1").set_value(200).run()
    assert not explore.exception
    last = _image_grids(explore)[0]
    assert last[0].startswith("#9950 ") and last[-1].startswith("#9999 ")


@pytest.fixture(scope="module")
def weights() -> AppTest:
    at = _app()
    at.switch_page("pages/weights.py").run()
    return at


def _template_grid(at: AppTest, index: int) -> tuple[list[np.ndarray], list[str], str]:
    """The pictures (RGB arrays), captions and colour key text of the page's template grid
    number `index` (ui.figures.templates_grid_html; -1: the last)."""
    from PIL import Image

    grids = [
        h.proto.body
        for h in at.get("html")
        if "linear-gradient" in h.proto.body and "digit-grid" in h.proto.body
    ]
    body = grids[index]
    pictures = [
        np.asarray(Image.open(io.BytesIO(base64.b64decode(uri))).convert("RGB"))
        for uri in re.findall(r'src="data:image/png;base64,([^"]+)"', body)
    ]
    captions = re.findall(r"<figcaption>(.*?)</", body)
    key_text = " ".join(re.findall(r"<span>(.*?)</span>", body))
    return pictures, captions, key_text


def test_weights_page_shows_ten_templates_on_one_symmetric_scale(weights):
    from ui.pictures import diverging_rgb

    assert not weights.exception
    charts = _charts(weights)
    pictures, captions, key_text = _template_grid(weights, 0)
    assert captions == [str(k) for k in range(10)]
    W = SoftmaxRegression.load(DEFAULT_MODEL).W
    limit = float(np.abs(W).max())
    assert key_text == f"−{limit:.3g} +{limit:.3g}"
    for k in (0, 7):  # white at 0, one scale for all: each picture is its template's colours
        np.testing.assert_array_equal(pictures[k], diverging_rgb(W[:, k].reshape(28, 28), limit))
    assert not charts  # the bias bars are HTML, not a chart
    (bias,) = [h.proto.body for h in weights.get("html") if 'class="value-bars"' in h.proto.body]
    b = SoftmaxRegression.load(DEFAULT_MODEL).b.ravel()
    for k in range(10):
        assert f"<b>{k}</b>{b[k]:+.2f}" in bias
    pictures = _pictures(weights)
    np.testing.assert_array_equal(
        pictures["template W[:, 0]"][0], diverging_rgb(W[:, 0].reshape(28, 28), limit)
    )
    assert pictures["mean training image of 0"][1] == "0 1"  # grey, on the 0..1 pixel scale
    assert "mean image × template" in pictures
    # The shipped model has no snapshots: say so and point to the Train page.
    assert any("no per-epoch snapshots" in i.value for i in weights.info)


def test_weights_pair_difference(weights):
    weights.selectbox(key="weights_pair_a").set_value(3)
    weights.selectbox(key="weights_pair_b").set_value(5).run()
    assert not weights.exception
    from ui.pictures import diverging_rgb

    W = SoftmaxRegression.load(DEFAULT_MODEL).W
    diff = (W[:, 3] - W[:, 5]).reshape(28, 28)
    rgb, key_text = _pictures(weights)["W[:, 3] − W[:, 5]"]
    limit = float(np.abs(diff).max())
    np.testing.assert_array_equal(rgb, diverging_rgb(diff, limit))  # white at 0, ±max|diff|
    assert key_text == f"−{limit:.3g} +{limit:.3g}"
    weights.selectbox(key="weights_pair_b").set_value(3).run()
    assert not any(title.startswith("W[:, 3]") for title in _pictures(weights))
    assert any("two different classes" in i.value for i in weights.info)


def test_weights_snapshot_slider_for_a_trained_model():
    from ui.pictures import diverging_rgb

    entry = trained_entry_with_snapshots()
    snapshots = entry.snapshots
    at = use_only_model(_app(), entry)
    at.switch_page("pages/weights.py").run()
    assert not at.exception
    slider = at.select_slider(key="weights_snapshot")
    assert slider.value == 3
    shared = float(np.abs(snapshots[-1][1]).max())
    _pictures, _captions, key_text = _template_grid(at, -1)
    assert key_text == f"−{shared:.3g} +{shared:.3g}"
    slider.set_value(1).run()
    pictures, _captions, key_text = _template_grid(at, -1)
    expected = diverging_rgb(snapshots[0][1][:, 0].reshape(28, 28), shared)
    np.testing.assert_array_equal(pictures[0], expected)
    # The colour scale stays the same for every epoch.
    assert key_text == f"−{shared:.3g} +{shared:.3g}"


def test_weights_without_a_model_points_to_training():
    from ui import state

    at = _app()
    at.session_state[state.MODELS] = {}
    at.session_state[state.CURRENT_MODEL] = None
    at.switch_page("pages/weights.py").run()
    assert not at.exception
    assert any("no model yet" in i.value for i in at.info)
    assert not _charts(at)


def test_weights_maths_expanders_draw_their_text_only_when_opened(weights):
    from ui import state

    labels = ("The maths: how templates", "Where the weights start")
    boxes = [e for e in weights.expander if e.label.startswith(labels)]
    assert len(boxes) == 2 and not any(box.markdown for box in boxes)  # closed: nothing drawn
    weights.session_state[state.MATHS_TEMPLATES] = True
    weights.session_state[state.MATHS_INITIAL_WEIGHTS] = True
    opened = [e for e in weights.run().expander if e.label.startswith(labels)]
    maths, start = (" ".join(m.value for m in box.markdown) for box in opened)
    assert r"\sum_{i=1}^{784} x_i\,W_{ik} + b_k" in maths
    assert "init 0 → 91.20%" in start
