"""The fast path of softmax regression on raw pixels, shared by training and evaluation.

One chunk of uint8 images is cast (by the caller, into a reused float32 buffer) without the
1/255 scaling; these functions fold the 1/255 into the logits and work in place in a caller's
logits buffer, so nothing proportional to the chunk times 784 is allocated. The reference they
are tested against is :func:`core.model.softmax_loss` on ``images / 255``.

Shapes: m rows in the chunk, D = 784 pixels, C = 10 classes.
"""

from __future__ import annotations

import numpy as np

__all__ = ["INV255", "pixel_logits", "softmax_loss_chunk"]

INV255 = np.float32(1.0 / 255.0)


def pixel_logits(X: np.ndarray, W: np.ndarray, b: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Logits of raw pixels: out (m, C) = (X / 255) @ W + b, returned.

    X (m, D) float32 holding pixel values 0..255, W (D, C) float32, b (C,) float32. The scale
    is applied to the (m, C) product, not to the (m, D) images: (X/255) @ W == (X @ W) / 255.
    """
    np.matmul(X, W, out=out)
    out *= INV255
    out += b
    return out


def softmax_loss_chunk(
    X: np.ndarray,
    W: np.ndarray,
    b: np.ndarray,
    y: np.ndarray,
    Z: np.ndarray,
    *,
    grad_scale: float | None = None,
) -> tuple[float, int]:
    """Cross-entropy sum and correct count of one chunk of raw pixels, computed in Z.

    X (m, D) float32 pixel values 0..255, W (D, C) float32, b (C,) float32, y (m,) int labels,
    Z (m, C) float32 buffer. Returns (sum over rows of logsumexp(z) - z[y], as a float64 sum;
    number of rows whose largest logit is the label's). With ``grad_scale`` Z ends as
    ``(softmax(Z) - onehot(y)) * grad_scale``, the logits' gradient (``1 / B`` for the mean
    over a batch of B); without it, Z's content afterwards is unspecified.

    Matches :func:`core.model.softmax_loss` (reg 0) on ``X / 255`` up to float32 rounding.
    """
    pixel_logits(X, W, b, out=Z)
    correct = int(np.count_nonzero(Z.argmax(axis=1) == y))
    rows = np.arange(len(Z))
    Z -= Z.max(axis=1, keepdims=True)  # the largest exponent is exp(0) = 1: no overflow
    z_label = Z[rows, y]
    np.exp(Z, out=Z)
    sums = Z.sum(axis=1)
    loss_sum = float(np.sum(np.log(sums, dtype=np.float64) - z_label))
    if grad_scale is not None:
        Z /= sums[:, None]
        Z[rows, y] -= 1.0
        Z *= np.float32(grad_scale)
    return loss_sum, correct
