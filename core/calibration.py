"""Calibration: does a confidence of 0.9 mean right 9 times in 10?

* :func:`reliability_bins`: the predictions grouped by confidence (the largest probability)
  into equal-width bins on (0, 1], with each bin's count, mean confidence and accuracy: the
  reliability diagram's data.
* :func:`expected_calibration_error`: ECE = sum_b n_b / N * |accuracy_b - confidence_b|.
* :func:`fit_temperature`: temperature scaling (Guo et al., 2017), the one number T > 0 that
  minimises the cross-entropy of softmax(Z / T) on held-out images; T > 1 softens an
  overconfident model. Predictions (the argmax) do not change. Found by
  :func:`golden_section_minimum`.
* :func:`most_confident_mistakes` (from core.metrics) for the grid of worst errors.

Shapes: N samples, C classes, B bins. Logits Z (N, C), probabilities P (N, C), labels y (N,).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.metrics import EVAL_CHUNK, most_confident_mistakes
from core.model import cross_entropy, softmax
from core.softmax_kernel import pixel_logits

__all__ = [
    "DEFAULT_BINS",
    "TEMPERATURE_RANGE",
    "ReliabilityBins",
    "expected_calibration_error",
    "fit_temperature",
    "golden_section_minimum",
    "logits_uint8",
    "most_confident_mistakes",
    "reliability_bins",
    "split_held_out",
    "temperature_probs",
]

DEFAULT_BINS = 15
TEMPERATURE_RANGE = (0.05, 20.0)  # searched on a log scale


@dataclass(frozen=True)
class ReliabilityBins:
    """edges (B + 1,) from 0 to 1; bin b holds confidences in (edges[b], edges[b + 1]].
    counts (B,) int; confidence (B,) and accuracy (B,): means over the bin, nan when empty."""

    edges: np.ndarray
    counts: np.ndarray
    confidence: np.ndarray
    accuracy: np.ndarray


def _check(probs: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    probs, labels = np.asarray(probs), np.asarray(labels)
    if probs.ndim != 2 or labels.shape != (len(probs),) or len(probs) == 0:
        raise ValueError(
            f"probs must be (N, C), N >= 1, labels (N,); got {probs.shape}, {labels.shape}"
        )
    return probs, labels


def reliability_bins(probs: np.ndarray, labels: np.ndarray, n_bins: int = DEFAULT_BINS):
    """probs (N, C), labels (N,) -> ReliabilityBins with n_bins equal-width bins."""
    probs, labels = _check(probs, labels)
    confidence = probs.max(axis=1).astype(np.float64)
    correct = (probs.argmax(axis=1) == labels).astype(np.float64)
    # Bin b is (b / B, (b + 1) / B]: ceil, minus one; a confidence of 0 joins the first bin.
    which = np.clip(np.ceil(confidence * n_bins).astype(np.intp) - 1, 0, n_bins - 1)
    counts = np.bincount(which, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_conf = np.bincount(which, confidence, minlength=n_bins) / counts
        accuracy = np.bincount(which, correct, minlength=n_bins) / counts
    return ReliabilityBins(np.linspace(0.0, 1.0, n_bins + 1), counts, mean_conf, accuracy)


def expected_calibration_error(
    probs: np.ndarray, labels: np.ndarray, n_bins: int = DEFAULT_BINS
) -> float:
    """ECE of probs (N, C) on labels (N,): the count-weighted mean |accuracy - confidence|
    over the bins of :func:`reliability_bins`, in [0, 1]."""
    bins = reliability_bins(probs, labels, n_bins)
    used = bins.counts > 0
    gaps = np.abs(bins.accuracy[used] - bins.confidence[used])
    return float(np.sum(bins.counts[used] * gaps) / bins.counts.sum())


def logits_uint8(W: np.ndarray, b: np.ndarray, images: np.ndarray) -> np.ndarray:
    """Logits (N, C) float32 of uint8 images (N, D) under W (D, C), b (C,), chunked."""
    W = np.asarray(W, dtype=np.float32)
    b = np.asarray(b, dtype=np.float32)
    images = np.asarray(images).reshape(len(images), -1)
    out = np.empty((len(images), W.shape[1]), dtype=np.float32)
    buffer = np.empty((min(EVAL_CHUNK, len(images)), W.shape[0]), dtype=np.float32)
    for start in range(0, len(images), len(buffer)):
        X = buffer[: min(len(buffer), len(images) - start)]
        np.copyto(X, images[start : start + len(X)], casting="unsafe")
        pixel_logits(X, W, b, out=out[start : start + len(X)])
    return out


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """T in TEMPERATURE_RANGE minimising mean CE(logits / T, labels); logits (N, C), labels
    (N,), ideally of images the model did not train on. The loss is convex in 1/T (a
    log-sum-exp of linear functions), so it has one minimum on log T: a golden-section search
    finds it to 1e-5 in log T. (SciPy's minimize_scalar does the same, but importing
    scipy.optimize costs half a second on a fresh server, before the Confidence page shows.)"""
    logits = np.asarray(logits, dtype=np.float64)
    labels = np.asarray(labels)

    def loss(log_t: float) -> float:
        return cross_entropy(logits / np.exp(log_t), labels)

    low, high = np.log(TEMPERATURE_RANGE)
    return float(np.exp(golden_section_minimum(loss, low, high, tol=1e-5)))


GOLDEN = (np.sqrt(5.0) - 1.0) / 2.0  # 0.618...: the interval shrinks by this each step


def golden_section_minimum(f, low: float, high: float, tol: float) -> float:
    """x in [low, high] (within `tol`) minimising `f`, a function of one variable with a single
    minimum there (else some local one). One evaluation of f per step."""
    a, b = float(low), float(high)
    c, d = b - GOLDEN * (b - a), a + GOLDEN * (b - a)
    fc, fd = f(c), f(d)
    while b - a > tol:
        if fc <= fd:  # the minimum lies in [a, d]
            b, d, fd = d, c, fc
            c = b - GOLDEN * (b - a)
            fc = f(c)
        else:  # in [c, b]
            a, c, fc = c, d, fd
            d = a + GOLDEN * (b - a)
            fd = f(d)
    return (a + b) / 2


def split_held_out(
    n: int, fraction: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Indices (kept, held_out) of a random split of range(n), held_out ~ fraction * n
    (at least 1): train on the first, fit the temperature on the second."""
    if not 0 < fraction < 1 or n < 2:
        raise ValueError(f"need 0 < fraction < 1 and n >= 2, got {fraction}, {n}")
    order = rng.permutation(n)
    n_held = max(1, round(fraction * n))
    return np.sort(order[n_held:]), np.sort(order[:n_held])


def temperature_probs(logits: np.ndarray, temperature: float) -> np.ndarray:
    """softmax(logits / T): (N, C) -> (N, C)."""
    return softmax(np.asarray(logits, dtype=np.float64) / temperature)
