"""Numbers the pages state about the shipped model (models/default/model.npz), recomputed from it.

Each test reads the sentence from the page's source and checks its numbers against the model
and MNIST, so a retrained shipped model cannot leave a page stating stale numbers.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.analysis import mean_images
from core.metrics import predict_proba_uint8
from core.model import SoftmaxRegression

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def shipped() -> SoftmaxRegression:
    return SoftmaxRegression.load(REPO / "models" / "default" / "model.npz")


def _page(name: str, *parts: str) -> str:
    """The text of pages/<name> and of the ui modules that draw its parts, on one line."""
    files = [REPO / "pages" / name, *(REPO / "ui" / part for part in parts)]
    return " ".join(" ".join(f.read_text(encoding="utf-8").split()) for f in files)


def test_confident_wrong_answers_of_the_shipped_model(shipped, mnist):
    P = predict_proba_uint8(shipped, mnist.test_images)
    wrong = P.argmax(axis=1) != mnist.test_labels
    confident = int((P[wrong].max(axis=1) > 0.9).sum())
    assert f"{confident} of its {int(wrong.sum())} wrong answers" in _page(
        "draw.py", "draw_view.py"
    ).replace('" "', "")


def test_templates_resemble_class_mean_minus_overall_mean(shipped, mnist):
    means = mean_images(mnist.train_images, mnist.train_labels, 10)  # (10, 784)
    counts = np.bincount(mnist.train_labels, minlength=10)
    overall = counts @ means / counts.sum()
    W = np.asarray(shipped.W)

    def corr(k: int, target: np.ndarray) -> float:
        return float(np.corrcoef(W[:, k], target)[0, 1])

    centred = [round(corr(k, means[k] - overall), 2) for k in range(10)]
    raw = [round(corr(k, means[k]), 2) for k in range(10)]
    text = _page("explore.py").replace('" "', "")
    assert f"{min(centred):.2f}–{max(centred):.2f}" in text
    assert f"{min(raw):.2f}–{max(raw):.2f}" in text


def test_bias_of_the_shipped_model_balances_average_evidence(shipped, mnist):
    b, W = np.asarray(shipped.b), np.asarray(shipped.W)
    counts = np.bincount(mnist.train_labels, minlength=10)
    overall = counts @ mean_images(mnist.train_images, mnist.train_labels, 10) / counts.sum()
    # The biases are not the class frequencies: those would differ by at most ±0.12.
    log_prior = np.log(counts / counts.sum())
    assert np.abs(log_prior - log_prior.mean()).max() == pytest.approx(0.12, abs=0.005)
    assert "at most ±0.12" in _page("weights.py", "weights_parts.py").replace('" "', "")
    assert np.abs(b - b.mean()).max() > 1.5  # far wider than frequency alone explains
    assert np.corrcoef(b, overall @ W)[0, 1] < -0.5  # high average score -> low bias
    # Class 5 is the rarest, yet has the largest bias.
    assert int(np.argmin(counts)) == int(np.argmax(b)) == 5
