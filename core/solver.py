"""The convex optimum of L2-regularised softmax regression, by full-batch L-BFGS.

The objective, over the whole training set (N images, raw pixels x_i in 0..255, scaled by
1/255 as everywhere in the app):

    f(W, b) = mean_i CE(x_i / 255 @ W + b, y_i) + l2 / 2 * ||W||_F^2      (bias unpenalised)

is convex, and strictly convex in W for l2 > 0, so it has one minimiser: the best a linear
model with this penalty can do on these images. :func:`solve_lbfgs` finds it with SciPy's
L-BFGS-B on our own loss and gradient (:func:`l2_softmax_loss_uint8`), in float64, a chunk of
images at a time, so memory stays that of the SGD trainer (the uint8 images plus a 1.6 MB
buffer), with BLAS on one thread as the trainer has it. The optimiser works in centred
coordinates (logits = (x - mean) / 255 @ W + c, with b = c - mean / 255 @ W): the same problem
and the same W (the penalty is on W alone), only better conditioned, because the mean image no
longer couples every weight with the bias (on 10,000 MNIST images with l2 = 1e-4: 98
iterations to the gradient test instead of 206).

With l2 = 0 the minimum need not exist: where the classes are linearly separable in some
direction, the loss keeps falling as the weights grow along it. The iteration cap then ends the
run, and the result says so.

Shapes: N samples, D = 784 pixels, C = 10 classes.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from core.datasets import training_arrays
from core.metrics import evaluate_arrays
from core.model import N_CLASSES, SoftmaxRegression
from core.softmax_kernel import one_blas_thread, rescan_blas_libraries

__all__ = [
    "DEFAULT_GTOL",
    "DEFAULT_L2",
    "DEFAULT_MAX_ITER",
    "SOLVER_CHUNK",
    "SolverResult",
    "l2_softmax_loss_uint8",
    "solve_lbfgs",
]

# Largest |gradient entry| at which the run counts as converged. At 1e-5 the test accuracy
# and the training loss (4 decimals) no longer change on MNIST.
DEFAULT_GTOL = 1e-5
DEFAULT_MAX_ITER = 1000
# The CLI's --l2 for the solver: small enough not to cost accuracy, large enough for a minimum.
DEFAULT_L2 = 1e-4
# 256 float64 rows of 784 pixels (1.6 MB) stay in cache between the two products of a chunk
# (X @ W, then X.T @ G): measured 0.22 s of CPU per pass over MNIST, 0.36 s with 2048 rows.
SOLVER_CHUNK = 256


@dataclass(frozen=True)
class SolverResult:
    """How a solver run ended.

    iterations: L-BFGS iterations; evaluations: loss-and-gradient passes over the data;
    converged: True when the gradient test stopped it (not the cap, not a failed line search);
    reason: why it stopped, in words; train_loss: the objective f at the end (cross-entropy +
    penalty), cross_entropy: its cross-entropy part; grad_norm: largest |entry| of the gradient
    of f in W (D, C) and b (C,) at the end (the projected gradient: there are no bounds);
    weight_norm: ||W||_F; seconds: wall time of the optimisation."""

    iterations: int
    evaluations: int
    converged: bool
    reason: str
    train_loss: float
    cross_entropy: float
    grad_norm: float
    weight_norm: float
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def l2_softmax_loss_uint8(
    W: np.ndarray,
    b: np.ndarray,
    images: np.ndarray,
    labels: np.ndarray,
    l2: float = 0.0,
    *,
    offset: np.ndarray | None = None,
    buffer: np.ndarray | None = None,
) -> tuple[float, np.ndarray, np.ndarray]:
    """Full-batch loss and gradients, float64, over uint8 images a chunk at a time.

    W (D, C), b (C,), images uint8 (N, D), labels int (N,) in 0..C-1. ``offset`` (D,) pixel
    values subtracted from every image first (the centring; default none). ``buffer``
    (m, D) float64: the chunk buffer (default: SOLVER_CHUNK rows, allocated here).
    Returns (loss, dW (D, C), db (C,)) of
        loss = mean_i CE((x_i - offset) / 255 @ W + b, y_i) + l2 / 2 * ||W||_F^2,
    the same numbers as :func:`core.model.softmax_loss` on ``(images - offset) / 255``.
    """
    n, d = images.shape
    W = np.asarray(W, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if buffer is None:
        buffer = np.empty((min(SOLVER_CHUNK, n), d), dtype=np.float64)
    W_pixels = W / 255.0  # (x / 255) @ W == x @ (W / 255): the scale on a (D, C) array
    # (x - offset) @ W_pixels == x @ W_pixels - offset @ W_pixels: centring costs a (C,) row.
    shift = b - (offset @ W_pixels if offset is not None else 0.0)
    dW_pixels = np.zeros_like(W)
    sum_G = np.zeros_like(b)
    ce_sum = 0.0
    for start in range(0, n, len(buffer)):
        X = buffer[: min(len(buffer), n - start)]
        np.copyto(X, images[start : start + len(X)], casting="unsafe")
        y = labels[start : start + len(X)]
        Z = X @ W_pixels + shift
        Z -= Z.max(axis=1, keepdims=True)  # no overflow in exp
        rows = np.arange(len(X))
        log_sums = np.log(np.exp(Z).sum(axis=1))
        ce_sum += float(np.sum(log_sums - Z[rows, y]))
        G = np.exp(Z - log_sums[:, None])  # softmax probabilities
        G[rows, y] -= 1.0
        dW_pixels += X.T @ G
        sum_G += G.sum(axis=0)
    db = sum_G / n
    dW = dW_pixels / (255.0 * n)
    if offset is not None:
        dW -= np.outer(offset / 255.0, db)
    loss = ce_sum / n + 0.5 * l2 * float(np.sum(W * W))
    dW += l2 * W
    return loss, dW, db


def _stop_reason(result: Any, max_iter: int, l2: float) -> tuple[bool, str]:
    """(converged, reason in words) from SciPy's OptimizeResult. converged means the gradient
    test ended the run; with l2 = 0 that is no proof of a minimum (see the reason)."""
    message = str(result.message)
    if "PROJECTED GRADIENT" in message.upper():
        if l2 == 0:
            # On separable data the gradient fades as the loss goes to 0 with ever larger
            # weights: the test is met far from any minimiser (there is none).
            return True, (
                "largest |gradient entry| <= gtol, but with l2 = 0 that need not be a minimum"
            )
        return True, "converged: largest |gradient entry| <= gtol"
    if result.nit >= max_iter or "ITERATIONS" in message.upper():
        return False, (
            f"stopped at the iteration cap ({max_iter}) before the gradient test was met"
        )
    if "ABNORMAL" in message.upper():
        # Typically at a loss that float64 can no longer lower (e.g. ~0 with l2 = 0).
        return False, f"stopped early: the line search found no decrease (SciPy: {message})"
    return False, f"stopped early: {message}"


def _check_settings(l2: float, max_iter: int) -> None:
    if not (isinstance(l2, (int, float)) and math.isfinite(l2) and l2 >= 0):
        raise ValueError(f"l2 must be a finite number >= 0, got {l2!r}")
    if not (isinstance(max_iter, int) and max_iter >= 1):
        raise ValueError(f"max_iter must be an integer >= 1, got {max_iter!r}")


def solve_lbfgs(
    data: Any,
    l2: float = DEFAULT_L2,
    *,
    max_iter: int = DEFAULT_MAX_ITER,
    gtol: float = DEFAULT_GTOL,
    classes: tuple[str, ...] | None = None,
    source: str = "",
    on_pass: Callable[[int], None] | None = None,
) -> tuple[SoftmaxRegression, SolverResult]:
    """Minimise f(W, b) (module docstring) from W = 0, b = 0 with L-BFGS-B.

    ``data``: a ``core.datasets.Dataset`` or a 4-tuple (train_images uint8 (N, D),
    train_labels (N,), test_images uint8 (M, D), test_labels (M,)). Stops when the largest
    |entry| of the gradient is <= ``gtol`` (converged) or after ``max_iter`` iterations.
    Returns the model (W (D, C), b (C,) float32; config: the solver's settings; metrics: the
    train/test loss and accuracy of the float32 weights and the SolverResult's fields) and the
    SolverResult. ``on_pass(passes_done)`` is called before each pass over the data (progress,
    or waiting for a turn at the CPU)."""
    from scipy.optimize import minimize  # the solver's one SciPy function

    rescan_blas_libraries()  # so that one_blas_thread limits SciPy's own OpenBLAS too
    _check_settings(l2, max_iter)

    Xtr, ytr, Xte, yte = training_arrays(data)
    n_classes = len(getattr(data, "class_names", ()) or ()) or N_CLASSES
    d, c = Xtr.shape[1], n_classes
    mean_image = Xtr.mean(axis=0, dtype=np.float64)  # (D,) pixel values
    buffer = np.empty((min(SOLVER_CHUNK, len(Xtr)), d), dtype=np.float64)
    evaluations = 0

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        nonlocal evaluations
        if on_pass is not None:
            on_pass(evaluations)
        evaluations += 1
        W, bias = theta[: d * c].reshape(d, c), theta[d * c :]
        loss, dW, db = l2_softmax_loss_uint8(
            W, bias, Xtr, ytr, l2, offset=mean_image, buffer=buffer
        )
        return loss, np.concatenate([dW.ravel(), db])

    t0 = time.perf_counter()
    # One BLAS thread: these skinny products gain nothing from a second one, and lose ~3x
    # when the other core is busy (measured: 0.54 s of CPU per pass with two threads).
    with one_blas_thread():
        result = minimize(
            objective,
            np.zeros(d * c + c),
            jac=True,
            method="L-BFGS-B",
            # ftol 0: only the gradient test (or the cap) ends a run, never a stalling loss.
            options={"maxiter": max_iter, "gtol": gtol, "ftol": 0.0, "maxcor": 20},
        )
    seconds = time.perf_counter() - t0
    W = result.x[: d * c].reshape(d, c)
    b = result.x[d * c :] - mean_image @ W / 255.0  # back from centred coordinates
    final = l2_softmax_loss_uint8(W, b, Xtr, ytr, l2, buffer=buffer)
    solver_result = _result_of(result, final, W, l2, max_iter, evaluations, seconds)
    model = _solved_model(W, b, (Xtr, ytr, Xte, yte), solver_result, l2, max_iter, gtol)
    model.classes = classes or (tuple(getattr(data, "class_names", ())) or None)
    model.source = source or str(getattr(data, "name", "") or "")
    return model, solver_result


def _result_of(result, final, W, l2, max_iter, evaluations, seconds) -> SolverResult:
    """The SolverResult of SciPy's ``result``; ``final``: (loss, dW, db) at the end."""
    loss, dW, db = final
    converged, reason = _stop_reason(result, max_iter, l2)
    return SolverResult(
        iterations=int(result.nit),
        evaluations=evaluations,
        converged=converged,
        reason=reason,
        train_loss=loss,
        cross_entropy=loss - 0.5 * l2 * float(np.sum(W * W)),
        grad_norm=float(max(np.abs(dW).max(), np.abs(db).max())),
        weight_norm=float(np.linalg.norm(W)),
        seconds=seconds,
    )


def _solved_model(W, b, arrays, result: SolverResult, l2, max_iter, gtol) -> SoftmaxRegression:
    """The float32 model with the metrics the SGD trainer's models carry (same names)."""
    Xtr, ytr, Xte, yte = arrays
    model = SoftmaxRegression(W, b)
    train_loss, train_acc = evaluate_arrays(model.W, model.b, Xtr, ytr)
    test_loss, test_acc = evaluate_arrays(model.W, model.b, Xte, yte)
    model.config = {"solver": "lbfgs", "l2": l2, "max_iter": max_iter, "gtol": gtol}
    model.metrics = {
        **{f"solver_{k}": v for k, v in result.to_dict().items()},
        "train_loss": train_loss,
        "train_acc": train_acc,
        "test_loss": test_loss,
        "test_acc": test_acc,
        "status": "finished" if result.converged else "stopped",
        "message": result.reason,
    }
    return model
