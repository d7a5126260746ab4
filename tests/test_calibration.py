"""core.calibration: reliability bins and ECE against a slow loop, temperature scaling on data
with a known temperature."""

from __future__ import annotations

import numpy as np
import pytest

from core.calibration import (
    expected_calibration_error,
    fit_temperature,
    golden_section_minimum,
    logits_uint8,
    most_confident_mistakes,
    reliability_bins,
    split_held_out,
    temperature_probs,
)
from core.model import cross_entropy, softmax


def _random_probs(rng, n, c=10, sharpness=3.0):
    return softmax(rng.normal(0, sharpness, (n, c)))


def test_bins_and_ece_against_a_loop():
    rng = np.random.default_rng(0)
    probs = _random_probs(rng, 500)
    labels = rng.integers(0, 10, 500)
    bins = reliability_bins(probs, labels, n_bins=10)
    assert bins.counts.sum() == 500 and bins.edges[0] == 0 and bins.edges[-1] == 1
    ece = 0.0
    for b in range(10):
        lo, hi = b / 10, (b + 1) / 10
        members = [i for i in range(500) if lo < probs[i].max() <= hi]
        assert bins.counts[b] == len(members)
        if members:
            conf = np.mean([probs[i].max() for i in members])
            acc = np.mean([probs[i].argmax() == labels[i] for i in members])
            assert bins.confidence[b] == pytest.approx(conf)
            assert bins.accuracy[b] == pytest.approx(acc)
            ece += len(members) / 500 * abs(acc - conf)
        else:
            assert np.isnan(bins.confidence[b]) and np.isnan(bins.accuracy[b])
    assert expected_calibration_error(probs, labels, n_bins=10) == pytest.approx(ece)


def test_ece_of_hand_made_cases():
    probs = np.tile([0.9, 0.1], (10, 1))
    right_9_of_10 = np.array([0] * 9 + [1])
    assert expected_calibration_error(probs, right_9_of_10) == pytest.approx(0.0)
    assert expected_calibration_error(probs, np.zeros(10, int)) == pytest.approx(0.1)
    with pytest.raises(ValueError, match="probs"):
        reliability_bins(probs, np.zeros(3, int))


def test_temperature_scaling_recovers_a_known_temperature():
    rng = np.random.default_rng(1)
    true_logits = rng.normal(0, 2.0, (20000, 10))
    # Labels drawn from softmax(true_logits): those probabilities are calibrated.
    cumulative = softmax(true_logits).cumsum(axis=1)
    labels = (rng.random((20000, 1)) > cumulative).sum(axis=1).clip(0, 9)
    overconfident = 3.0 * true_logits
    temperature = fit_temperature(overconfident, labels)
    assert temperature == pytest.approx(3.0, rel=0.05)
    before = expected_calibration_error(softmax(overconfident), labels)
    after = expected_calibration_error(temperature_probs(overconfident, temperature), labels)
    assert after < 0.02 < before
    scaled = temperature_probs(overconfident, temperature)
    np.testing.assert_array_equal(scaled.argmax(axis=1), overconfident.argmax(axis=1))


@pytest.mark.parametrize(
    ("f", "low", "high", "expected"),
    [
        (lambda x: (x - 0.3) ** 2, -2.0, 5.0, 0.3),
        (lambda x: abs(x + 1.7), -3.0, 3.0, -1.7),  # a kink, no derivative
        (lambda x: np.exp(x) - 2 * x, -1.0, 4.0, np.log(2.0)),
        (lambda x: x, -1.0, 1.0, -1.0),  # the minimum at an end of the interval
        (lambda x: -x, -1.0, 1.0, 1.0),
    ],
)
def test_golden_section_finds_the_minimum_of_a_function_with_one(f, low, high, expected):
    assert golden_section_minimum(f, low, high, tol=1e-7) == pytest.approx(expected, abs=1e-6)


def test_the_fitted_temperature_is_the_best_on_a_fine_grid():
    rng = np.random.default_rng(4)
    logits = rng.normal(0, 4.0, (3000, 10))
    labels = np.argmax(logits + rng.gumbel(0, 2.0, logits.shape), axis=1)  # softmax(logits / 2)
    temperature = fit_temperature(logits, labels)
    assert 1.5 < temperature < 2.5
    grid = np.exp(np.linspace(np.log(temperature) - 0.01, np.log(temperature) + 0.01, 201))
    losses = [cross_entropy(logits / t, labels) for t in grid]
    assert cross_entropy(logits / temperature, labels) <= min(losses) + 1e-12


def test_logits_of_uint8_images_and_the_held_out_split():
    rng = np.random.default_rng(2)
    images = rng.integers(0, 256, (50, 784), dtype=np.uint8)
    W, b = rng.normal(0, 0.01, (784, 10)), rng.normal(0, 1, 10)
    np.testing.assert_allclose(logits_uint8(W, b, images), images / 255 @ W + b, atol=1e-4)
    kept, held = split_held_out(100, 0.2, np.random.default_rng(3))
    assert len(held) == 20 and len(kept) == 80
    assert np.array_equal(np.sort(np.concatenate([kept, held])), np.arange(100))
    with pytest.raises(ValueError, match="fraction"):
        split_held_out(100, 1.0, rng)


def test_most_confident_mistakes_is_at_hand():
    probs = np.array([[0.9, 0.1], [0.6, 0.4], [0.2, 0.8], [0.3, 0.7]])
    assert list(most_confident_mistakes(probs, np.array([1, 1, 1, 0]))) == [0, 3, 1]
