"""Update rules and learning-rate schedules for the minibatch trainer (:mod:`core.train`).

Every rule updates the weights W (D, C) and bias b (C,) in place from the gradient of the
minibatch's objective ``mean CE + l2 / 2 * ||W||_F^2`` (bias unpenalised), at step t = 1, 2, ...
with learning rate lr_t from the schedule. Shapes: D = 784 pixels, C = 10 classes; every state
array has the shape of its parameter, all float32.

* SGD (the notebook):   W <- W - lr_t * dW
* momentum (classical): V <- mu * V - lr_t * dW;  W <- W + V                    (V = 0 at first)
* Adam (Kingma & Ba):   M <- b1 M + (1 - b1) dW;  S <- b2 S + (1 - b2) dW**2;
                        W <- W - lr_t * (M / (1 - b1**t)) / (sqrt(S / (1 - b2**t)) + eps)

and the same for b with db. Schedules over T = total steps, t counted from 0 here:

* constant: lr_t = lr
* step:     lr_t = lr * 0.1 ** (number of the milestones T/2, 3T/4 that t has reached)
* cosine:   lr_t = lr * (1 + cos(pi * t / T)) / 2

The trainer's gradient of W comes without the input's 1/255 (it is folded into the step,
see :class:`core.softmax_kernel.BatchGradient`); :func:`sgd_step_folded` is the notebook's rule
on that gradient, unchanged operation for operation, so the notebook's path gives the same
numbers as before; the other rules first make it the true gradient (:func:`true_gradient`).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "ADAM_BETAS",
    "ADAM_EPS",
    "OPTIMIZERS",
    "SCHEDULES",
    "STEP_DECAY",
    "Adam",
    "Momentum",
    "learning_rate",
    "make_update_rule",
    "sgd_step_folded",
    "true_gradient",
]

OPTIMIZERS = ("sgd", "momentum", "adam")
SCHEDULES = ("constant", "step", "cosine")
STEP_DECAY = 0.1  # the step schedule's factor at each milestone (half and three quarters)
ADAM_BETAS = (0.9, 0.999)
ADAM_EPS = 1e-8


def learning_rate(schedule: str, lr: float, step: int, total_steps: int) -> float:
    """lr_t for step index ``step`` (0-based) of ``total_steps`` (module docstring).
    ``constant`` returns ``lr`` itself (the same float: the notebook's path is unchanged)."""
    if schedule == "constant":
        return lr
    if schedule == "step":
        reached = (step >= total_steps / 2) + (step >= 3 * total_steps / 4)
        return lr * STEP_DECAY**reached
    if schedule == "cosine":
        return lr * 0.5 * (1.0 + math.cos(math.pi * step / total_steps))
    raise ValueError(f"schedule must be one of {', '.join(SCHEDULES)}, got {schedule!r}")


def sgd_step_folded(
    W: np.ndarray, b: np.ndarray, dW_pixels: np.ndarray, db: np.ndarray, lr: float, l2: float
) -> None:
    """The notebook's SGD step, in place: W <- W - lr (dW_pixels / 255 + l2 W), b <- b - lr db.

    W, dW_pixels (D, C) float32; b, db (C,) float32; dW_pixels is the mean cross-entropy's
    gradient without the 1/255 of the input scale. The decay and the 1/255 are applied as two
    scalings (no temporary array); dW_pixels and db are overwritten."""
    if l2:
        W *= np.float32(1.0 - lr * l2)  # W - lr*l2*W, gradient at the old W
    dW_pixels *= np.float32(lr / 255.0)  # the folded 1/255 of the input scale
    W -= dW_pixels
    db *= np.float32(lr)
    b -= db


def true_gradient(W: np.ndarray, dW_pixels: np.ndarray, l2: float) -> np.ndarray:
    """Turn dW_pixels (D, C) in place into dW = dW_pixels / 255 + l2 W, the gradient of the
    objective in W (D, C); returns it."""
    dW_pixels *= np.float32(1.0 / 255.0)
    if l2:
        dW_pixels += np.float32(l2) * W
    return dW_pixels


class Momentum:
    """Classical momentum: V <- mu V - lr_t g;  p <- p + V, for p in (W (D, C), b (C,))."""

    def __init__(self, mu: float) -> None:
        self.mu = np.float32(mu)
        self.velocity: list[np.ndarray] | None = None

    def step(self, params: list[np.ndarray], grads: list[np.ndarray], lr: float) -> None:
        """params and grads: [W (D, C), b (C,)] float32; params updated in place, grads
        overwritten (used as scratch)."""
        if self.velocity is None:
            self.velocity = [np.zeros_like(p) for p in params]
        for p, g, v in zip(params, grads, self.velocity, strict=True):
            v *= self.mu
            g *= np.float32(lr)
            v -= g
            p += v


class Adam:
    """Adam with bias correction; state M, S of each parameter's shape; t counts its steps."""

    def __init__(self, betas: tuple[float, float] = ADAM_BETAS, eps: float = ADAM_EPS) -> None:
        self.beta1, self.beta2 = betas
        self.eps = eps
        self.t = 0
        self.moments: list[tuple[np.ndarray, np.ndarray]] | None = None

    def step(self, params: list[np.ndarray], grads: list[np.ndarray], lr: float) -> None:
        """params and grads: [W (D, C), b (C,)] float32; params updated in place."""
        if self.moments is None:
            self.moments = [(np.zeros_like(p), np.zeros_like(p)) for p in params]
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        # Bias corrections folded into the step size and eps (Kingma & Ba, end of section 2).
        step_size = np.float32(lr * math.sqrt(1 - b2**self.t) / (1 - b1**self.t))
        eps = np.float32(self.eps * math.sqrt(1 - b2**self.t))
        for p, g, (m, s) in zip(params, grads, self.moments, strict=True):
            m *= np.float32(b1)
            m += np.float32(1 - b1) * g
            s *= np.float32(b2)
            s += np.float32(1 - b2) * (g * g)
            p -= step_size * m / (np.sqrt(s) + eps)


def make_update_rule(optimizer: str, momentum: float):
    """None for "sgd" (the trainer's folded path), else a fresh Momentum or Adam."""
    if optimizer == "sgd":
        return None
    if optimizer == "momentum":
        return Momentum(momentum)
    if optimizer == "adam":
        return Adam()
    raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {optimizer!r}")
