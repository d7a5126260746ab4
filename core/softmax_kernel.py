"""The fast path of softmax regression on raw pixels, shared by training and evaluation.

One chunk of uint8 images is cast (by the caller, into a reused float32 buffer) without the
1/255 scaling; these functions fold the 1/255 into the logits and work in place in a caller's
logits buffer, so nothing proportional to the chunk times 784 is allocated. The reference they
are tested against is :func:`core.model.softmax_loss` on ``images / 255``.

Shapes: m rows in the chunk, D = 784 pixels, C = 10 classes.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager

import numpy as np

__all__ = [
    "INV255",
    "pixel_logits",
    "softmax_loss_chunk",
    "BatchGradient",
    "one_blas_thread",
    "rescan_blas_libraries",
]

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


class BatchGradient:
    """Loss and gradient of minibatches of one uint8 training set, in reused buffers.

    ``BatchGradient(images, labels, n_classes, batch_size)`` with images uint8 (N, D)
    C-contiguous and labels int (N,) in 0..C-1. ``compute(W, b, idx)`` gathers the rows
    ``idx`` (B,) a sub-chunk at a time (at most GRAD_CHUNK rows, so even B = N needs no
    (B, D) float copy), and leaves the mean
    cross-entropy's gradient in ``grad_W`` (D, C) and ``grad_b`` (C,): scaled by 1/B, but
    *not* by the 1/255 of the input scale for W (the caller folds it into its step size).
    Nothing proportional to B or N is allocated per call.
    """

    GRAD_CHUNK = 2048

    def __init__(
        self, images: np.ndarray, labels: np.ndarray, n_classes: int, batch_size: int
    ) -> None:
        self.images, self.labels = images, labels
        d, c = images.shape[1], n_classes
        rows = min(batch_size, self.GRAD_CHUNK)
        self._u8 = np.empty((rows, d), dtype=np.uint8)
        self._X = np.empty((rows, d), dtype=np.float32)
        self._G = np.empty((rows, c), dtype=np.float32)
        self.grad_W = np.empty((d, c), dtype=np.float32)
        self.grad_b = np.empty(c, dtype=np.float32)
        self._grad_W_part = np.empty((d, c), dtype=np.float32) if batch_size > rows else None

    def compute(self, W: np.ndarray, b: np.ndarray, idx: np.ndarray) -> tuple[float, int]:
        """W (D, C), b (C,) float32, idx (B,) row indices -> (cross-entropy summed over the
        B rows, number of rows predicted right); the gradient lands in grad_W / grad_b."""
        B = len(idx)
        rows = len(self._u8)
        loss_sum = 0.0
        correct = 0
        for start in range(0, B, rows):
            sub = idx[start : start + rows]
            m = len(sub)
            u8, X, G = self._u8[:m], self._X[:m], self._G[:m]
            np.take(self.images, sub, axis=0, out=u8)  # gather into a reused buffer
            np.copyto(X, u8, casting="unsafe")  # uint8 -> float32, no new array
            sub_loss, sub_correct = softmax_loss_chunk(
                X, W, b, self.labels[sub], G, grad_scale=1.0 / B
            )
            loss_sum += sub_loss
            correct += sub_correct
            if start == 0:
                np.matmul(X.T, G, out=self.grad_W)
                G.sum(axis=0, out=self.grad_b)
            else:
                np.matmul(X.T, G, out=self._grad_W_part)
                self.grad_W += self._grad_W_part
                self.grad_b += G.sum(axis=0)
        return loss_sum, correct


_blas_lock = threading.Lock()
_blas_controller = None
_blas_holders = 0
_blas_limiter = None


@contextmanager
def one_blas_thread():
    """Limit BLAS to 1 thread while inside: these GEMMs are tiny, a second thread gains nothing
    and costs ~3x when the other core is busy.

    The BLAS thread count is one setting for the whole process, so trainers in several threads
    share one limit: the first to enter sets it, the last to leave restores it (each setting
    and restoring its own would undo another's in the middle of its step). The
    ThreadpoolController is built once: building it scans the loaded libraries (~0.2 ms)."""
    global _blas_controller, _blas_holders, _blas_limiter
    with _blas_lock:
        if _blas_holders == 0:
            if _blas_controller is None:
                from threadpoolctl import ThreadpoolController

                _blas_controller = ThreadpoolController()
            _take_blas_control()
            _blas_limiter = _blas_controller.limit(limits=1, user_api="blas")
        _blas_holders += 1
    try:
        yield
    finally:
        with _blas_lock:
            _blas_holders -= 1
            if _blas_holders == 0:
                _take_blas_control()
                _blas_limiter.restore_original_limits()
                _blas_limiter = None


def rescan_blas_libraries() -> None:
    """Make the next :func:`one_blas_thread` look for BLAS libraries again. Call it after
    importing a library that brings its own BLAS (SciPy's wheels bundle an OpenBLAS): the
    controller, built once, would not limit that one. A limit in force keeps its own list and
    is restored as it was set."""
    global _blas_controller
    with _blas_lock:
        _blas_controller = None


def _take_blas_control() -> None:
    """Let this thread set OpenBLAS's limit: with its own (pthreads) pool, threadpoolctl 3.6+
    applies only the limits of the first thread that set one and silently ignores the others'
    until that thread lets go, which a trainer thread that is not the first would never see."""
    from threadpoolctl import OpenBLASController

    clear = getattr(OpenBLASController, "clear_controlling_thread", None)  # 3.6+
    if clear is not None:
        clear(force=True)
