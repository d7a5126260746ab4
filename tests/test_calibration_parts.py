"""The Confidence page's pure parts on a small synthetic model."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from core.calibration import expected_calibration_error, temperature_probs
from core.deskew import deskew
from core.model import SoftmaxRegression, softmax
from ui.calibration_parts import (
    compute_calibration,
    mistakes,
    over_ninety_wrong,
)
from ui.state import fingerprint


def _model_and_data(preprocessing=""):
    rng = np.random.default_rng(1)
    model = SoftmaxRegression(preprocessing=preprocessing)
    model.set_weights(rng.normal(0, 0.05, (784, 10)).astype(np.float32), np.zeros(10, np.float32))
    images = rng.integers(0, 256, (301, 784), dtype=np.uint8)
    labels = rng.integers(0, 10, 301)
    return model, SimpleNamespace(test_images=images, test_labels=labels)


def test_calibration_agrees_with_core_on_the_preprocessed_images():
    model, data = _model_and_data("deskew")
    result = compute_calibration(model, data)
    logits = deskew(data.test_images).astype(np.float32) / 255 @ model.W + model.b
    probs = softmax(logits)
    assert np.allclose(result.probs, probs, atol=1e-5)
    assert np.isclose(result.ece, expected_calibration_error(probs, data.test_labels), atol=1e-5)
    assert (result.n_fit, result.n_judged) == (151, 150)
    after = temperature_probs(logits[1::2], result.temperature)
    assert np.isclose(result.ece_after, expected_calibration_error(after, data.test_labels[1::2]))
    assert result.half_before.counts.sum() == result.half_after.counts.sum() == 150


def test_fingerprint_follows_the_weights_preprocessing_and_dataset():
    model, _data = _model_and_data()
    key = fingerprint(model, "mnist")
    assert fingerprint(model, "mnist") == key and fingerprint(model, "fashion-mnist") != key
    model.preprocessing = "deskew"
    assert fingerprint(model, "mnist") != key
    model.preprocessing = ""
    model.W[0, 0] += 1
    assert fingerprint(model, "mnist") != key


def test_mistakes_are_wrong_and_sorted_by_confidence():
    model, data = _model_and_data()
    result = compute_calibration(model, data)
    indices, predicted, confidence = mistakes(result, data.test_labels, k=5)
    assert len(indices) == 5 and np.all(predicted != data.test_labels[indices])
    assert np.all(np.diff(confidence) <= 0)
    sure, wrong = over_ninety_wrong(result, data.test_labels)
    assert wrong == np.count_nonzero(result.probs.argmax(1) != data.test_labels) and sure <= wrong


def test_the_reliability_diagram_draws_the_used_bins_the_diagonal_and_the_counts():
    import base64
    import re

    from ui.calibration_parts import reliability_html

    model, data = _model_and_data()
    bins = compute_calibration(model, data).bins
    page = reliability_html(bins, "t", height=200)
    used = np.flatnonzero(bins.counts > 0)
    bars = re.findall(
        r'title="([^"]*)" style="left: ([\d.]+)%; width: [\d.]+%; height: ([\d.]+)px', page
    )
    assert len(bars) == 2 * len(used)  # an accuracy bar and a count bar per used bin
    accuracy_bars, count_bars = bars[: len(used)], bars[len(used) :]
    heights = np.array([float(h) for *_rest, h in accuracy_bars])
    np.testing.assert_allclose(heights, bins.accuracy[used] * 200, atol=0.06)
    lefts = np.array([float(left) for _tip, left, _h in accuracy_bars])
    np.testing.assert_allclose(lefts, bins.edges[used] * 100, atol=0.006)
    counts = [int(re.search(r"([\d,]+) images", tip)[1].replace(",", "")) for tip, *_ in count_bars]
    assert counts == list(bins.counts[used]) and sum(counts) == 301
    # Counts on a log axis: a bin with ten times the images stands a decade higher.
    count_px = np.array([float(h) for *_rest, h in count_bars])
    assert np.all(np.diff(count_px[np.argsort(bins.counts[used])]) >= -0.06)
    diagonal = re.search(r'class="diagonal" alt="" src="data:image/svg\+xml;base64,([^"]+)"', page)
    assert 'x1="0" y1="1" x2="1" y2="0"' in base64.b64decode(diagonal[1]).decode()
