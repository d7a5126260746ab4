"""Nudge a digit towards another class along the cheapest direction for a linear model.

For logits z = x W + b, the gap z_k - z_top between a target class k and the predicted class
changes fastest along w_k - w_top. Moving the image by eps along the unit vector
d = (w_k - w_top) / ||w_k - w_top|| changes the gap by exactly eps * ||w_k - w_top|| (before
pixels are clipped to [0, 1]); clipping only removes parts of the step, and each removed part
would have raised the gap, so the clipped gap still never decreases as eps grows.
Shapes: x (D,) with D = 784, W (D, C), b (C,).
"""

from __future__ import annotations

import numpy as np

__all__ = ["NudgeError", "direction", "flip_eps", "logit_gap", "nudged"]


class NudgeError(ValueError):
    """The two classes are the same, or their templates are identical: no direction exists."""


def direction(W: np.ndarray, top: int, target: int) -> np.ndarray:
    """The unit vector (D,) float32 along W[:, target] - W[:, top]."""
    difference = np.asarray(W[:, target], np.float64) - np.asarray(W[:, top], np.float64)
    size = float(np.linalg.norm(difference))
    if target == top or size == 0.0:
        raise NudgeError(f"no direction from class {top} to class {target}")
    return (difference / size).astype(np.float32)


def nudged(x: np.ndarray, W: np.ndarray, top: int, target: int, eps, clip: bool = True):
    """x + eps * direction, clipped to [0, 1] unless ``clip`` is False.

    x: (D,) float in [0, 1]; eps: a number, or an array (E,) of them -> (E, D). float32.
    """
    step = np.multiply.outer(np.asarray(eps, np.float32), direction(W, top, target))
    moved = np.asarray(x, np.float32) + step
    return np.clip(moved, 0.0, 1.0) if clip else moved


def logit_gap(X: np.ndarray, W: np.ndarray, b: np.ndarray, top: int, target: int) -> np.ndarray:
    """z_target - z_top for images X (D,) or (N, D): a number or (N,). Positive: the target
    scores higher than the class predicted before."""
    Z = np.asarray(X, np.float32) @ np.asarray(W, np.float32) + np.asarray(b, np.float32)
    return Z[..., target] - Z[..., top]


def flip_eps(
    x: np.ndarray,
    W: np.ndarray,
    b: np.ndarray,
    top: int,
    target: int,
    eps_max: float,
    n_steps: int = 400,
) -> float | None:
    """The smallest eps on a grid of ``n_steps`` steps over (0, eps_max] at which the model
    reads the clipped, nudged image as ``target``; None when no eps up to eps_max does."""
    grid = np.linspace(0.0, eps_max, n_steps + 1)[1:]
    Z = nudged(x, W, top, target, grid) @ np.asarray(W, np.float32) + np.asarray(b, np.float32)
    hits = np.flatnonzero(Z.argmax(axis=1) == target)
    return float(grid[hits[0]]) if hits.size else None
