"""A training run's vocabulary: its settings (TrainConfig), status (RunStatus), the events a
run produces (StepEvent, EpochEvent, DoneEvent) and a snapshot of where it is (TrainerProgress).

:mod:`core.train` produces these and re-exports them; the UI reads them. Shapes: D = 784
pixels, C = 10 classes.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any

import numpy as np

from core.optimizers import OPTIMIZERS, SCHEDULES

__all__ = [
    "MAX_EPOCHS",
    "SAFETY_STOP_LOSS",
    "keeps_doubling",
    "divergence_advice",
    "ConfigError",
    "RunStatus",
    "TrainingDiverged",
    "TrainConfig",
    "StepEvent",
    "EpochEvent",
    "DoneEvent",
    "Event",
    "TrainerProgress",
]

MAX_EPOCHS = 100

# With l2 = 0 a step moves a weight by at most lr (|P - Y| <= 1, pixels <= 1) and the loss,
# logsumexp(z) - z_y, is finite for finite logits: a huge lr makes an overconfident model with
# a huge loss that still learns (lr 300 on MNIST: loss ~40, ~90% test accuracy). Runaway needs
# lr * l2 > 2. A minibatch objective (cross-entropy + L2 penalty) above SAFETY_STOP_LOSS ends
# the run as STOPPED, a safety stop for the hosted demo: l2 = 0 runs with lr <= 1000 peak near
# 5 x lr (<= 5,100 on MNIST); runs with lr * l2 >= 1.8 pass it within 10 steps.
SAFETY_STOP_LOSS = 1e5
# Diverged: the whole-training-set objective grows by more than GROWTH_FACTOR in each of
# GROWTH_EPOCHS epochs in a row (or a loss or weight is nan/inf).
GROWTH_FACTOR = 2.0
GROWTH_EPOCHS = 2


def keeps_doubling(
    objectives: list[float], factor: float = GROWTH_FACTOR, times: int = GROWTH_EPOCHS
) -> bool:
    """Whether the last ``times`` epoch-to-epoch changes of the objective each multiplied it by
    more than ``factor``: a loss that keeps growing, not one that fluctuates."""
    if len(objectives) <= times:
        return False
    recent = objectives[-times - 1 :]
    pairs = zip(recent[:-1], recent[1:], strict=True)
    return all(later > factor * earlier for earlier, later in pairs)


def divergence_advice(lr: float, l2: float) -> str:
    """What to change when a run diverged, from the update W <- (1 - lr*l2) W - lr * grad."""
    decay = lr * l2
    if decay > 2:
        return (
            f"lr × l2 = {decay:.3g} > 2: every step multiplies the weights by 1 − lr × l2 = "
            f"{1 - decay:.3g}, more than 1 in size, so they grow without limit; make lr × l2 "
            "smaller than 1"
        )
    if decay >= 1:
        return f"lr × l2 = {decay:.3g} ≥ 1 flips the weights' sign every step; make it below 1"
    return "try a smaller learning rate"


class RunStatus(str, Enum):
    """Where a run is. The trainer itself is READY, RUNNING or one of the final four; QUEUED
    and PAUSED are a background run's (ui.background), FAILED one whose thread raised. A str, so
    it compares equal to its value and saves as plain text in a model file."""

    READY = "ready"
    QUEUED = "queued"
    RUNNING = "running"
    PAUSED = "paused"
    FINISHED = "finished"
    STOPPED = "stopped"
    DIVERGED = "diverged"
    FAILED = "failed"

    @property
    def is_final(self) -> bool:
        return self in (RunStatus.FINISHED, RunStatus.STOPPED, RunStatus.DIVERGED, RunStatus.FAILED)

    def __str__(self) -> str:
        return self.value


class ConfigError(ValueError):
    """A training setting is out of range (message names the setting)."""


class TrainingDiverged(RuntimeError):
    """A loss or weight became nan/inf, or the training loss kept doubling; the model keeps the
    last finite weights."""

    def __init__(self, message: str, step: int = 0, epoch: int = 0) -> None:
        super().__init__(message)
        self.step = step
        self.epoch = epoch


def _is_int(x: Any) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, bool)


def _is_num(x: Any) -> bool:
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool)


@dataclass(frozen=True)
class TrainConfig:
    """Training settings; defaults are the notebook's."""

    lr: float = 0.1
    batch_size: int = 128
    epochs: int = 20
    init_scale: float = 0.01
    l2: float = 0.0
    seed: int = 0
    log_every: int = 50
    # The update rule and the learning-rate schedule (core/optimizers.py); the defaults are the
    # notebook's plain SGD at a constant rate. momentum: mu of the "momentum" rule only.
    optimizer: str = "sgd"
    momentum: float = 0.9
    schedule: str = "constant"
    # Train and evaluate on deskewed images (core.deskew); the model remembers it.
    deskew: bool = False

    def validate(self, n_train: int | None = None) -> TrainConfig:
        """Raise ConfigError for absurd settings; returns self. Large-but-finite values
        (lr 1e3, batch 1, batch = n_train, huge l2) are accepted on purpose."""
        if not _is_num(self.lr) or not math.isfinite(self.lr) or self.lr <= 0:
            raise ConfigError(f"lr (learning rate) must be a finite number > 0, got {self.lr!r}")
        if not _is_int(self.batch_size) or self.batch_size < 1:
            raise ConfigError(f"batch_size must be an integer >= 1, got {self.batch_size!r}")
        if n_train is not None and self.batch_size > n_train:
            raise ConfigError(
                f"batch_size {self.batch_size} is larger than the training set ({n_train})"
            )
        if not _is_int(self.epochs) or not 1 <= self.epochs <= MAX_EPOCHS:
            raise ConfigError(f"epochs must be an integer in 1..{MAX_EPOCHS}, got {self.epochs!r}")
        for name in ("init_scale", "l2"):
            v = getattr(self, name)
            if not _is_num(v) or not math.isfinite(v) or v < 0:
                raise ConfigError(f"{name} must be a finite number >= 0, got {v!r}")
        if not _is_int(self.seed) or self.seed < 0:
            raise ConfigError(f"seed must be an integer >= 0, got {self.seed!r}")
        if not _is_int(self.log_every) or self.log_every < 1:
            raise ConfigError(f"log_every must be an integer >= 1, got {self.log_every!r}")
        self._validate_options()
        return self

    def _validate_options(self) -> None:
        if self.optimizer not in OPTIMIZERS:
            raise ConfigError(f"optimizer must be one of {OPTIMIZERS}, got {self.optimizer!r}")
        if not _is_num(self.momentum) or not 0 <= self.momentum < 1:
            raise ConfigError(f"momentum must be a number in [0, 1), got {self.momentum!r}")
        if self.schedule not in SCHEDULES:
            raise ConfigError(f"schedule must be one of {SCHEDULES}, got {self.schedule!r}")
        if not isinstance(self.deskew, (bool, np.bool_)):
            raise ConfigError(f"deskew must be True or False, got {self.deskew!r}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class StepEvent:
    """Every ``log_every`` steps.

    loss: mean minibatch cross-entropy over the steps since the previous StepEvent (smoother
    than one batch), each batch scored with the weights before its update; the same quantity
    as EpochEvent's train_loss / test_loss, without the L2 penalty. running_acc: accuracy over
    those batches. l2_penalty: ``l2 / 2 * ||W||_F^2`` of the weights before this event's step
    (0.0 when l2 is 0); loss + l2_penalty is the objective SGD minimises. steps_per_sec:
    compute time only (pauses excluded)."""

    step: int
    epoch: int
    batch_in_epoch: int
    loss: float
    running_acc: float
    steps_per_sec: float
    l2_penalty: float = 0.0


@dataclass(frozen=True)
class EpochEvent:
    """End of an epoch (1-based): full train/test loss and accuracy, compute seconds,
    copies of W (D, C) and b (C,)."""

    epoch: int
    train_loss: float
    train_acc: float
    test_loss: float
    test_acc: float
    seconds: float
    W: np.ndarray = field(repr=False)
    b: np.ndarray = field(repr=False)
    step: int = 0

    def to_dict(self) -> dict[str, Any]:
        """The numbers without the weights (for history tables / JSON)."""
        return {
            "epoch": self.epoch,
            "step": self.step,
            "train_loss": self.train_loss,
            "train_acc": self.train_acc,
            "test_loss": self.test_loss,
            "test_acc": self.test_acc,
            "seconds": self.seconds,
        }


@dataclass(frozen=True)
class DoneEvent:
    """The run ended: reason is FINISHED, STOPPED or DIVERGED."""

    reason: RunStatus
    message: str


Event = StepEvent | EpochEvent | DoneEvent


@dataclass(frozen=True)
class TrainerProgress:
    """Where a run is, all fields from the same moment between two steps (so they agree).

    last_batch_loss: the latest minibatch's cross-entropy (without the L2 penalty). history:
    one ``EpochEvent.to_dict()`` per finished epoch. snapshots: (epoch, W (D, C), b (C,)) as
    kept by the trainer's ``keep_snapshots`` (empty unless asked for)."""

    status: RunStatus
    message: str
    global_step: int
    epoch: int
    batch_in_epoch: int
    steps_per_epoch: int
    total_steps: int
    seconds: float
    last_batch_loss: float | None
    history: tuple[dict[str, Any], ...]
    snapshots: tuple[tuple[int, np.ndarray, np.ndarray], ...] = ()

    @property
    def fraction_done(self) -> float:
        return min(1.0, self.global_step / max(1, self.total_steps))
