"""Evaluation metrics. Shapes: N samples, D = 784 pixels, C = 10 classes.

``evaluate`` / ``evaluate_arrays`` / ``predict_proba_uint8`` work on the uint8 images directly,
a chunk at a time, through :mod:`core.softmax_kernel`: the chunk is cast into one reused
float32 buffer and the 1/255 is folded into the logits, so a full pass over 60000 images never
materialises a 188 MB float copy.
"""

from __future__ import annotations

import numpy as np

from core.model import softmax
from core.softmax_kernel import pixel_logits, softmax_loss_chunk

__all__ = [
    "EVAL_CHUNK",
    "accuracy",
    "confusion_matrix",
    "per_class_precision_recall",
    "most_confident_mistakes",
    "evaluate",
    "evaluate_arrays",
    "predict_proba_uint8",
]

# 4096 rows: a 12.8 MB float32 buffer; larger chunks are no faster for a 784x10 GEMM.
EVAL_CHUNK = 4096


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Fraction of equal entries. y_true (N,), y_pred (N,) -> float in [0, 1]."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.ndim != 1:
        raise ValueError(
            f"y_true and y_pred must be (N,) alike, got {y_true.shape}, {y_pred.shape}"
        )
    if y_true.size == 0:
        raise ValueError("accuracy of zero samples is undefined")
    return float(np.count_nonzero(y_true == y_pred) / y_true.size)


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int = 10) -> np.ndarray:
    """Counts (C, C) int64: rows = true class, columns = predicted class."""
    y_true = np.asarray(y_true).astype(np.int64, copy=False)
    y_pred = np.asarray(y_pred).astype(np.int64, copy=False)
    if y_true.shape != y_pred.shape or y_true.ndim != 1:
        raise ValueError(
            f"y_true and y_pred must be (N,) alike, got {y_true.shape}, {y_pred.shape}"
        )
    for name, y in (("y_true", y_true), ("y_pred", y_pred)):
        if y.size and (y.min() < 0 or y.max() >= n_classes):
            raise ValueError(f"{name} must be in 0..{n_classes - 1}")
    # One bincount over flat indices true*C + pred: O(N), no Python loop.
    flat = np.bincount(y_true * n_classes + y_pred, minlength=n_classes * n_classes)
    return flat.reshape(n_classes, n_classes)


def per_class_precision_recall(cm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """From a (C, C) confusion matrix (rows = true) -> (precision (C,), recall (C,)) float64.

    A class never predicted has precision 0; a class absent from y_true has recall 0
    (0/0 is reported as 0, not NaN, so tables and charts need no special case).
    """
    cm = np.asarray(cm, dtype=np.float64)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1]:
        raise ValueError(f"confusion matrix must be square (C, C), got {cm.shape}")
    tp = np.diag(cm)
    predicted = cm.sum(axis=0)
    actual = cm.sum(axis=1)
    precision = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    recall = np.divide(tp, actual, out=np.zeros_like(tp), where=actual > 0)
    return precision, recall


def most_confident_mistakes(probs: np.ndarray, y_true: np.ndarray, k: int = 16) -> np.ndarray:
    """Indices (<= k,) of misclassified samples, most confident wrong prediction first.

    probs (N, C), y_true (N,). Confidence = probability of the (wrong) predicted class.
    """
    probs = np.asarray(probs)
    y_true = np.asarray(y_true)
    if probs.ndim != 2 or y_true.shape != (probs.shape[0],):
        raise ValueError(f"probs must be (N, C) and y_true (N,), got {probs.shape}, {y_true.shape}")
    pred = probs.argmax(axis=1)
    wrong = np.flatnonzero(pred != y_true)
    conf = probs[wrong, pred[wrong]]
    # Stable sort on -conf: ties keep dataset order, so the result is deterministic.
    order = np.argsort(-conf, kind="stable")[: max(int(k), 0)]
    return wrong[order]


def _as_u8_images(images: np.ndarray, d: int) -> np.ndarray:
    images = np.asarray(images)
    if images.dtype != np.uint8:
        raise ValueError(f"images must be uint8 pixels 0..255, got dtype {images.dtype}")
    if images.ndim == 3:
        images = images.reshape(len(images), -1)
    if images.ndim != 2 or images.shape[1] != d:
        raise ValueError(f"images must have shape (N, {d}), got {images.shape}")
    return images


def evaluate_arrays(
    W: np.ndarray,
    b: np.ndarray,
    images: np.ndarray,
    labels: np.ndarray,
    *,
    chunk: int = EVAL_CHUNK,
    buffer: np.ndarray | None = None,
) -> tuple[float, float]:
    """Mean cross-entropy and accuracy of weights W (D, C), b (C,) on uint8 images (N, D)
    with labels (N,). ``buffer`` (>= chunk, D) float32 may be passed in to reuse memory.
    Returns (nan, nan)-free numbers for finite W; inf/nan propagate for broken weights."""
    W = np.asarray(W, dtype=np.float32)
    b = np.asarray(b, dtype=np.float32).reshape(-1)
    d, c = W.shape
    images = _as_u8_images(images, d)
    labels = np.asarray(labels)
    n = len(images)
    if labels.shape != (n,) or n == 0:
        raise ValueError(f"labels must have shape ({n},) with N >= 1, got {labels.shape}")
    chunk = max(1, min(int(chunk), n))
    if buffer is None or buffer.shape[0] < chunk or buffer.shape[1] != d:
        buffer = np.empty((chunk, d), dtype=np.float32)
    Z = np.empty((chunk, c), dtype=np.float32)
    total_loss = 0.0
    correct = 0
    for start in range(0, n, chunk):
        stop = min(start + chunk, n)
        X = buffer[: stop - start]
        np.copyto(X, images[start:stop], casting="unsafe")
        loss_sum, chunk_correct = softmax_loss_chunk(X, W, b, labels[start:stop], Z[: stop - start])
        total_loss += loss_sum
        correct += chunk_correct
    return total_loss / n, correct / n


def evaluate(model, images_uint8: np.ndarray, labels: np.ndarray, chunk: int = 10000):
    """(loss, acc) of a fitted SoftmaxRegression on uint8 images (N, 784), labels (N,)."""
    model._require_fitted()
    return evaluate_arrays(model.W, model.b, images_uint8, labels, chunk=chunk)


def predict_proba_uint8(model, images_uint8: np.ndarray, chunk: int = EVAL_CHUNK) -> np.ndarray:
    """Probabilities (N, C) float32 for uint8 images (N, 784), computed chunk by chunk."""
    model._require_fitted()
    W, b = model.W, model.b
    images = _as_u8_images(images_uint8, W.shape[0])
    n = len(images)
    out = np.empty((n, W.shape[1]), dtype=np.float32)
    buf = np.empty((max(1, min(chunk, n)), W.shape[0]), dtype=np.float32)
    for start in range(0, n, len(buf)):
        stop = min(start + len(buf), n)
        X = buf[: stop - start]
        np.copyto(X, images[start:stop], casting="unsafe")
        out[start:stop] = softmax(pixel_logits(X, W, b, out=out[start:stop]))
    return out
