"""core.softmax_kernel, the fast path on raw pixels, against core.model.softmax_loss."""

from __future__ import annotations

import numpy as np
import pytest

from core.model import softmax_loss
from core.softmax_kernel import pixel_logits, softmax_loss_chunk


@pytest.fixture
def chunk():
    rng = np.random.default_rng(5)
    X = rng.integers(0, 256, (37, 784)).astype(np.float32)  # raw pixel values, not / 255
    W = (rng.standard_normal((784, 10)) * 0.05).astype(np.float32)
    b = (rng.standard_normal(10) * 0.1).astype(np.float32)
    y = rng.integers(0, 10, 37)
    return X, W, b, y


def test_loss_correct_count_and_gradient_match_the_reference(chunk):
    X, W, b, y = chunk
    Z = np.empty((37, 10), dtype=np.float32)
    loss_sum, correct = softmax_loss_chunk(X, W, b, y, Z, grad_scale=1 / 37)
    X64 = X.astype(np.float64) / 255
    loss, grads = softmax_loss(W.astype(np.float64), b.astype(np.float64), X64, y)
    assert loss_sum / 37 == pytest.approx(loss, rel=1e-5)
    logits = X64 @ W + b
    assert correct == np.count_nonzero(logits.argmax(axis=1) == y)
    # Z is now the logits' gradient: X.T @ Z / 255 is dW, its column sums db.
    np.testing.assert_allclose(X.T @ Z / 255, grads["W"], atol=1e-6)
    np.testing.assert_allclose(Z.sum(axis=0), grads["b"], atol=1e-6)


def test_pixel_logits_fold_the_1_over_255_into_the_logits(chunk):
    X, W, b, _ = chunk
    Z = pixel_logits(X, W, b, out=np.empty((37, 10), dtype=np.float32))
    np.testing.assert_allclose(Z, (X / 255) @ W + b, rtol=1e-5, atol=1e-6)


def test_huge_logits_give_a_finite_loss(chunk):
    X, W, b, y = chunk
    Z = np.empty((37, 10), dtype=np.float32)
    loss_sum, _ = softmax_loss_chunk(X, W * 1e4, b, y, Z)
    assert np.isfinite(loss_sum) and loss_sum > 0
