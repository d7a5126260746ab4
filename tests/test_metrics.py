"""core.metrics: small hand-checked cases and agreement with float64 references."""

from __future__ import annotations

import numpy as np
import pytest

from core.metrics import (
    accuracy,
    confusion_matrix,
    evaluate,
    evaluate_arrays,
    most_confident_mistakes,
    per_class_precision_recall,
    predict_proba_uint8,
)
from core.model import SoftmaxRegression, cross_entropy, softmax


def test_accuracy():
    assert accuracy(np.array([0, 1, 2, 3]), np.array([0, 1, 0, 3])) == 0.75
    with pytest.raises(ValueError):
        accuracy(np.array([0, 1]), np.array([0]))
    with pytest.raises(ValueError, match="zero samples"):
        accuracy(np.array([], int), np.array([], int))


def test_confusion_matrix_matches_a_loop():
    rng = np.random.default_rng(0)
    t, p = rng.integers(0, 10, 500), rng.integers(0, 10, 500)
    cm = confusion_matrix(t, p)
    ref = np.zeros((10, 10), int)
    for a, b in zip(t, p, strict=True):
        ref[a, b] += 1  # rows = true class
    np.testing.assert_array_equal(cm, ref)
    assert cm.sum() == 500
    assert confusion_matrix(np.array([0, 1]), np.array([1, 1]), n_classes=3).shape == (3, 3)
    with pytest.raises(ValueError, match="0..9"):
        confusion_matrix(np.array([10]), np.array([0]))


def test_precision_recall_by_hand_and_zero_division():
    cm = np.array([[3, 1, 0], [0, 2, 0], [1, 0, 0]])  # class 2 never predicted, never right
    precision, recall = per_class_precision_recall(cm)
    np.testing.assert_allclose(precision, [3 / 4, 2 / 3, 0.0])
    np.testing.assert_allclose(recall, [3 / 4, 1.0, 0.0])
    p2, r2 = per_class_precision_recall(np.zeros((3, 3)))  # 0/0 -> 0, no warning
    assert (p2 == 0).all() and (r2 == 0).all()


def test_most_confident_mistakes_order():
    probs = np.array(
        [
            [0.9, 0.1],  # right
            [0.6, 0.4],  # wrong, conf 0.6
            [0.05, 0.95],  # wrong, conf 0.95
            [0.2, 0.8],  # right
            [0.7, 0.3],  # wrong, conf 0.7
        ]
    )
    y = np.array([0, 1, 0, 1, 1])
    np.testing.assert_array_equal(most_confident_mistakes(probs, y, k=16), [2, 4, 1])
    np.testing.assert_array_equal(most_confident_mistakes(probs, y, k=2), [2, 4])
    assert most_confident_mistakes(probs, probs.argmax(1)).size == 0


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(3)
    images = rng.integers(0, 256, (1000, 784), dtype=np.uint8)
    labels = rng.integers(0, 10, 1000)
    W = rng.normal(0, 0.02, (784, 10)).astype(np.float32)
    b = rng.normal(0, 0.1, 10).astype(np.float32)
    return images, labels, W, b


@pytest.mark.parametrize("chunk", [1, 7, 999, 1000, 4096])
def test_evaluate_arrays_matches_float64_reference(data, chunk):
    images, labels, W, b = data
    Z = (images / 255.0) @ W.astype(np.float64) + b
    loss, acc = evaluate_arrays(W, b, images, labels, chunk=chunk)
    assert loss == pytest.approx(cross_entropy(Z, labels), rel=1e-5)
    assert acc == np.mean(Z.argmax(1) == labels)


def test_evaluate_model_and_chunked_probabilities(data):
    images, labels, W, b = data
    model = SoftmaxRegression(W, b)
    loss, acc = evaluate(model, images, labels, chunk=300)
    assert (loss, acc) == pytest.approx(evaluate_arrays(W, b, images, labels))
    P = predict_proba_uint8(model, images, chunk=333)
    np.testing.assert_allclose(P, model.predict_proba(images / np.float32(255)), atol=1e-6)
    np.testing.assert_allclose(P, softmax((images / 255.0) @ W + b), atol=1e-5)
    np.testing.assert_allclose(P.sum(1), 1, rtol=1e-5)
    assert predict_proba_uint8(model, images.reshape(-1, 28, 28)[:3]).shape == (3, 10)


def test_evaluate_rejects_float_images(data):
    images, labels, W, b = data
    with pytest.raises(ValueError, match="uint8"):
        evaluate_arrays(W, b, images / 255.0, labels)
    with pytest.raises(ValueError, match="labels"):
        evaluate_arrays(W, b, images, labels[:-1])
