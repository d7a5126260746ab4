"""The student's original notebook loop, written out faithfully: the baseline.

This module is the *reference* that tests compare against (same numbers on the same inputs)
and that ``bench/train_speed.py`` times against :class:`core.train.Trainer`. It deliberately
keeps the notebook's operations, including the costly ones:

* images converted once to a (N, 784) float32 array divided by 255, float32 one-hot targets;
* ``W = randn(784, 10) * 0.01`` and ``b = zeros((1, 10))`` are float64 (as ``np.random.randn``
  and ``np.zeros`` return), so every matmul upcasts the float32 batch to float64;
* each epoch ``X[perm]`` makes a full shuffled copy of the training set (188 MB on MNIST);
* the per-epoch loss/accuracy is computed on the whole training set in one go.

The only change from the notebook: randomness comes from a ``np.random.Generator`` passed in
(the notebook used the global ``np.random``); the call order is unchanged, so
``rng.standard_normal`` is the first draw and one ``rng.permutation(N)`` follows per epoch.
Shapes: N samples, D = 784 pixels, C = 10 classes.
"""

from __future__ import annotations

import gzip
import struct
from collections.abc import Callable

import numpy as np

__all__ = [
    "load_images",
    "load_labels",
    "one_hot",
    "prepare",
    "softmax",
    "cross_entropy",
    "cross_entropy_labels",
    "forward",
    "backward",
    "evaluate",
    "round_line",
    "final_result_line",
    "train",
]


def _read(path: str) -> bytes:
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as f:
        return f.read()


def load_images(path: str) -> np.ndarray:
    """Read an IDX image file with ``struct`` -> (N, 784) float32 in [0, 1]."""
    data = _read(path)
    magic, n, rows, cols = struct.unpack(">IIII", data[:16])
    assert magic == 2051, f"bad magic {magic}"
    images = np.frombuffer(data, dtype=np.uint8, offset=16)
    return images.reshape(n, rows * cols).astype(np.float32) / 255


def load_labels(path: str) -> np.ndarray:
    """Read an IDX label file with ``struct`` -> (N,) uint8."""
    data = _read(path)
    magic, n = struct.unpack(">II", data[:8])
    assert magic == 2049, f"bad magic {magic}"
    return np.frombuffer(data, dtype=np.uint8, offset=8)


def one_hot(y: np.ndarray, n_classes: int = 10) -> np.ndarray:
    """(N,) int labels -> (N, C) float32 one-hot rows."""
    Y = np.zeros((len(y), n_classes), dtype=np.float32)
    Y[np.arange(len(y)), y] = 1
    return Y


def prepare(images_u8: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """What the notebook did after reading: (N, 784) uint8 -> X (N, 784) float32 / 255,
    labels (N,) -> Y (N, C) float32 one-hot."""
    X = images_u8.reshape(len(images_u8), -1).astype(np.float32) / 255
    return X, one_hot(labels)


def softmax(Z: np.ndarray) -> np.ndarray:
    """(N, C) logits -> (N, C) probabilities, row max subtracted first."""
    Z = Z - Z.max(axis=1, keepdims=True)
    E = np.exp(Z)
    return E / E.sum(axis=1, keepdims=True)


def cross_entropy(probs: np.ndarray, Y: np.ndarray) -> float:
    """Mean cross-entropy from (N, C) probabilities and (N, C) one-hot targets."""
    return float(-np.sum(Y * np.log(probs)) / len(Y))


def cross_entropy_labels(probs: np.ndarray, y: np.ndarray) -> float:
    """Mean cross-entropy from (N, C) probabilities and (N,) integer labels."""
    return float(-np.mean(np.log(probs[np.arange(len(y)), y])))


def forward(X: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    """X (N, D), W (D, C), b (1, C) -> probabilities (N, C)."""
    Z = X @ W + b
    return softmax(Z)


def backward(X: np.ndarray, probs: np.ndarray, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Gradients of the mean cross-entropy: grad_W (D, C), grad_b (C,)."""
    G = (probs - Y) / len(X)
    return X.T @ G, G.sum(axis=0)


def evaluate(X: np.ndarray, Y: np.ndarray, W: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Loss and accuracy over the whole set in one forward pass (as the notebook did)."""
    probs = forward(X, W, b)
    loss = cross_entropy(probs, Y)
    acc = float(np.mean(probs.argmax(axis=1) == Y.argmax(axis=1)))
    return loss, acc


def round_line(epoch_number: int, loss: float, acc: float) -> str:
    """The notebook's line after each epoch, numbered from 1: ``round 1: loss=0.4021, ...``."""
    return f"round {epoch_number}: loss={loss:.4f}, acc={acc:.4f}"


def final_result_line(loss: float, acc: float) -> str:
    """The notebook's last line (format spec ``4f``: six decimals), after a blank line:
    ``test result: loss: 0.270412, acc: 0.924100.``"""
    return f"test result: loss: {loss:4f}, acc: {acc:4f}."


def train(
    X: np.ndarray,
    Y: np.ndarray,
    rng: np.random.Generator,
    *,
    epochs: int = 20,
    lr: float = 0.1,
    batch_size: int = 128,
    X_test: np.ndarray | None = None,
    Y_test: np.ndarray | None = None,
    log: Callable[[str], None] | None = print,
    on_epoch: Callable[[int], None] | None = None,
) -> tuple[np.ndarray, np.ndarray, list[tuple[float, float]]]:
    """The notebook's minibatch SGD loop.

    X (N, D) float32 in [0, 1], Y (N, C) float32 one-hot. Returns W (D, C) float64,
    b (1, C) float64 and the per-epoch (loss, acc) over the full training set. Logs
    :func:`round_line` per epoch (``round 1`` first) and, when a test set is given, a blank
    line and :func:`final_result_line` at the end. ``on_epoch(k)`` (k = 0, 1, ...) is a hook
    for timing.
    """
    n, d = X.shape
    c = Y.shape[1]
    W = rng.standard_normal((d, c)) * 0.01
    b = np.zeros((1, c))
    history = []
    for k in range(epochs):
        perm = rng.permutation(n)
        X_shuf, Y_shuf = X[perm], Y[perm]  # full shuffled copy every epoch
        for start in range(0, n, batch_size):
            Xb = X_shuf[start : start + batch_size]
            Yb = Y_shuf[start : start + batch_size]
            probs = forward(Xb, W, b)
            grad_W, grad_b = backward(Xb, probs, Yb)
            W -= lr * grad_W
            b -= lr * grad_b
        loss, acc = evaluate(X, Y, W, b)
        history.append((loss, acc))
        if log is not None:
            log(round_line(k + 1, loss, acc))
        if on_epoch is not None:
            on_epoch(k)
    if X_test is not None and Y_test is not None:
        test_loss, test_acc = evaluate(X_test, Y_test, W, b)
        if log is not None:
            log("")
            log(final_result_line(test_loss, test_acc))
    return W, b, history
