"""Minibatch SGD training for softmax regression, as a steppable iterator of events.

The schedule is the notebook's (core/notebook.py): ``W = randn(D, C) * init_scale`` as the
first draw of ``np.random.default_rng(seed)``, one ``rng.permutation(N)`` per epoch, batches of
``batch_size`` in that order (the last one smaller), plain SGD. Same seed -> same batches as the
notebook. TrainConfig's optimizer/schedule pick another update rule (core/optimizers.py) and
``deskew`` trains on deskewed images (core/deskew.py); the defaults are the notebook's. What
differs is *how* (see the speed/memory notes in the README / bench):

* images stay uint8 (N, 784); each batch is gathered with ``np.take(..., out=)`` into a reused
  uint8 buffer and cast into a reused float32 buffer (no 188 MB shuffled copy per epoch);
* the 1/255 is folded into the logits and the gradient scale (no float image copy at all);
* float32 weights and arithmetic; chunked evaluation; one kernel for the loss and gradient
  (:func:`core.softmax_kernel.softmax_loss_chunk`, checked against
  :func:`core.model.softmax_loss`);
* BLAS pinned to one thread while stepping (:func:`core.softmax_kernel.one_blas_thread`).

The settings, status and events are defined in :mod:`core.run` and re-exported here; the
command line (``python -m core.train``) is :mod:`core.cli`.

Shapes: N samples, D = 784 pixels, C = 10 classes.
"""

from __future__ import annotations

import math
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import numpy as np

from core import run as run_vocabulary
from core.datasets import training_arrays
from core.deskew import deskew_splits
from core.metrics import EVAL_CHUNK, evaluate_arrays
from core.model import N_CLASSES, SoftmaxRegression
from core.optimizers import learning_rate, make_update_rule, sgd_step_folded, true_gradient
from core.run import *  # noqa: F403 (re-exported: core.run.__all__ is their one list)
from core.run import (  # the ones used below
    SAFETY_STOP_LOSS,
    DoneEvent,
    EpochEvent,
    Event,
    RunStatus,
    StepEvent,
    TrainConfig,
    TrainerProgress,
    TrainingDiverged,
    divergence_advice,
    keeps_doubling,
)
from core.softmax_kernel import BatchGradient, one_blas_thread

__all__ = [*run_vocabulary.__all__, "Trainer"]


class Trainer:
    """Steppable SGD trainer.

    ``Trainer(config, dataset)`` where dataset is a ``core.datasets.Dataset`` or a tuple
    (train_images uint8 (N, D), train_labels (N,), test_images uint8 (M, D), test_labels (M,)).

    * ``step()`` runs one minibatch and returns the events it produced (possibly none);
      not calling it is how a UI pauses.
    * ``for ev in trainer:`` runs to the end, yielding every event (ends with a DoneEvent).
    * ``stop()`` ends the run between steps (safe from another thread); ``progress()`` a
      consistent copy of where it is (safe from another thread); ``model`` the weights.
    * ``keep_snapshots``: how many per-epoch weight copies to keep (None: all; 0: none; k >= 2:
      at most k, on an even grid of epochs 1, 1 + s, 1 + 2s, ... plus the latest one, the
      stride s doubling whenever they would be more than k).
    * ``raise_on_diverge=True`` makes a diverging run raise TrainingDiverged (after the
      DoneEvent state is recorded and the last finite weights restored).
    """

    def __init__(
        self,
        config: TrainConfig | None = None,
        data: Any = None,
        *,
        classes: tuple[str, ...] | None = None,
        source: str = "",
        raise_on_diverge: bool = False,
        keep_snapshots: int | None = None,
    ) -> None:
        if data is None:
            raise TypeError("Trainer needs training data (a Dataset or a 4-tuple of arrays)")
        self.config = config = (config or TrainConfig()).validate()
        Xtr, ytr, Xte, yte = training_arrays(data)
        config.validate(n_train=len(Xtr))
        # Deskewed once per run, into uint8 copies (the caller's arrays stay as they are).
        Xtr, Xte, self.deskew_seconds = (
            deskew_splits(Xtr, Xte) if config.deskew else (Xtr, Xte, 0.0)
        )
        # C = 10 (the app's classes) unless the dataset names its classes.
        n_classes = len(getattr(data, "class_names", ()) or ()) or N_CLASSES
        if ytr.min() < 0 or ytr.max() >= n_classes or yte.min() < 0 or yte.max() >= n_classes:
            raise ValueError(f"labels must be in 0..{n_classes - 1}")
        self._Xtr, self._ytr, self._Xte, self._yte = Xtr, ytr, Xte, yte
        self.classes = classes or (tuple(getattr(data, "class_names", ())) or None)
        self.source = source or str(getattr(data, "name", "") or "")
        self.raise_on_diverge = raise_on_diverge
        if keep_snapshots is not None and keep_snapshots not in (0,) and keep_snapshots < 2:
            raise ValueError(f"keep_snapshots must be None, 0 or >= 2, got {keep_snapshots}")
        self.keep_snapshots = keep_snapshots
        self._snapshot_stride = 1

        n, d = Xtr.shape
        c = n_classes
        self.n_train = n
        self.steps_per_epoch = math.ceil(n / config.batch_size)
        self.total_steps = self.steps_per_epoch * config.epochs

        self._rng = np.random.default_rng(config.seed)
        # Same first draw as the notebook's randn(784, 10) * 0.01, then float32.
        self.W = (self._rng.standard_normal((d, c)) * config.init_scale).astype(np.float32)
        self.b = np.zeros(c, dtype=np.float32)
        self._W_prev = self.W.copy()
        self._b_prev = self.b.copy()

        # Reused buffers: nothing proportional to N is allocated while training.
        self._gradient = BatchGradient(Xtr, ytr, c, config.batch_size)
        self._eval_buf = np.empty((min(EVAL_CHUNK, max(n, len(Xte))), d), dtype=np.float32)
        self._perm: np.ndarray | None = None
        self._update_rule = make_update_rule(config.optimizer, config.momentum)  # None: SGD

        self._start_counting()

    # -- public API ----------------------------------------------------------------------------

    @property
    def done(self) -> bool:
        return self.done_event is not None

    def progress(self, with_snapshots: bool = False) -> TrainerProgress:
        """Where the run is after its latest step; never waits for a step in progress."""
        status, message, step, epoch, batch, seconds, loss, history, snaps = self._published
        return TrainerProgress(
            status=status,
            message=message,
            global_step=step,
            epoch=epoch,
            batch_in_epoch=batch,
            steps_per_epoch=self.steps_per_epoch,
            total_steps=self.total_steps,
            seconds=seconds,
            last_batch_loss=loss,
            history=history,
            snapshots=snaps if with_snapshots else (),
        )

    def _publish(self) -> None:
        self._published = (
            self.status,
            self.done_event.message if self.done_event else "",
            self.global_step,
            self.epoch,
            self.batch_in_epoch,
            self.seconds,
            self.last_batch_loss,
            self._history_copy,
            tuple(self.snapshots),
        )

    @property
    def model(self) -> SoftmaxRegression:
        """A SoftmaxRegression, the config and the metrics of the same weights: those at the end
        of the last finished epoch, with that epoch's metrics, also for a run stopped or diverged
        in the middle of the next one. Before the first epoch ends: copies of the current weights
        (after divergence, the last finite ones) and no epoch metrics."""
        metrics: dict[str, Any] = dict(self.history[-1]) if self.history else {}
        W, b = self._epoch_end_weights or (self.W, self.b)
        metrics.update(
            status=self.status.value,
            global_step=self.global_step,
            message=self.done_event.message if self.done_event else "",
            history=[dict(h) for h in self.history],  # learning curves travel with the model
        )
        return SoftmaxRegression(
            W.copy(),
            b.copy(),
            config=self.config.to_dict(),
            metrics=metrics,
            classes=self.classes,
            source=self.source,
            preprocessing="deskew" if self.config.deskew else "",
        )

    def step(self) -> list[Event]:
        """Run one minibatch. Returns the events it produced: maybe a StepEvent, an
        EpochEvent at the end of an epoch, a DoneEvent when the run ends. [] once done."""
        with one_blas_thread():
            return self._step()

    def __iter__(self) -> Iterator[Event]:
        while True:
            if self.done:
                if not self._done_emitted:
                    self._done_emitted = True
                    yield self.done_event
                return
            # Hold the BLAS limit across the (event-free) steps between two events.
            with one_blas_thread():
                events: list[Event] = []
                while not events and not self.done:
                    events = self._step()
            for ev in events:
                if isinstance(ev, DoneEvent):
                    self._done_emitted = True
                yield ev

    def run(self) -> SoftmaxRegression:
        """Train to the end (ignoring events) and return the model."""
        for _ in self:
            pass
        return self.model

    def stop(self) -> DoneEvent:
        """End the run between steps (safe from another thread). Returns the DoneEvent."""
        with self._lock:
            if not self.done:
                self._finish(
                    RunStatus.STOPPED,
                    f"stopped at step {self.global_step} of {self.total_steps} "
                    f"(epoch {self.epoch + 1})",
                )
                self._publish()
            return self.done_event

    def _start_counting(self) -> None:
        """Counters, histories and what progress() reads, for a run that has not stepped."""
        self.global_step = 0
        self.epoch = 0  # completed epochs
        self.batch_in_epoch = 0
        self.status = RunStatus.READY
        self.done_event: DoneEvent | None = None
        self._done_emitted = False
        self._lock = threading.Lock()
        self.history: list[dict[str, Any]] = []
        self.snapshots: list[tuple[int, np.ndarray, np.ndarray]] = []
        # What progress() reads: one tuple, replaced whole after each step (an atomic
        # assignment), so a reader in another thread never waits for a step nor sees half of one.
        self._history_copy: tuple[dict[str, Any], ...] = ()
        self._published: tuple = ()
        # Weights at the end of the last finished epoch: what `model` gives, with its metrics.
        self._epoch_end_weights: tuple[np.ndarray, np.ndarray] | None = None
        # Whole-training-set cross-entropy + L2 penalty after each epoch (the divergence test).
        self._objectives: list[float] = []
        # Cross-entropy of the latest minibatch (StepEvents average over log_every steps).
        self.last_batch_loss: float | None = None
        self._reset_window()
        self._epoch_time = 0.0
        self.seconds = 0.0  # total compute time
        self._publish()

    # -- internals -----------------------------------------------------------------------------

    def _reset_window(self) -> None:
        """Start a new StepEvent window: the sums its means are computed from."""
        self._win_loss = self._win_time = 0.0
        self._win_correct = self._win_seen = self._win_steps = 0

    def _finish(self, reason: RunStatus, message: str) -> DoneEvent:
        self.status = reason
        self.done_event = DoneEvent(reason, message)
        return self.done_event

    def _step(self) -> list[Event]:
        with self._lock:
            if self.done:
                return []
            self.status = RunStatus.RUNNING
            t0 = time.perf_counter()
            # Overflow in a diverging run is expected; we detect it explicitly below.
            with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
                events = self._sgd_step()
            dt = time.perf_counter() - t0
            self.seconds += dt
            self._publish()
            return events

    def _diverged(self, what: str, step: int | None = None, rollback: bool = True) -> list[Event]:
        if rollback:  # to the weights before the update that produced the bad loss/weights
            np.copyto(self.W, self._W_prev)
            np.copyto(self.b, self._b_prev)
        step = self.global_step + 1 if step is None else step
        epoch = self.epoch + 1 if rollback else self.epoch
        advice = divergence_advice(self.config.lr, self.config.l2)
        msg = f"diverged at step {step} (epoch {epoch}): {what} — {advice}"
        ev = self._finish(RunStatus.DIVERGED, msg)
        if self.raise_on_diverge:
            self._done_emitted = True
            raise TrainingDiverged(msg, step=step, epoch=epoch)
        return [ev]

    def _sgd_step(self) -> list[Event]:
        cfg = self.config
        if self.batch_in_epoch == 0:
            self._perm = self._rng.permutation(self.n_train)  # the notebook's per-epoch shuffle
            self._epoch_time = 0.0
        t0 = time.perf_counter()
        start = self.batch_in_epoch * cfg.batch_size
        idx = self._perm[start : start + cfg.batch_size]
        B = len(idx)
        loss_sum, correct = self._gradient.compute(self.W, self.b, idx)
        loss = loss_sum / B  # cross-entropy only, like the epoch losses
        l2_penalty = 0.5 * cfg.l2 * float(np.dot(self.W.ravel(), self.W.ravel())) if cfg.l2 else 0.0
        if not math.isfinite(loss + l2_penalty):
            return self._diverged(f"loss became {loss + l2_penalty}")
        if loss + l2_penalty > SAFETY_STOP_LOSS:
            return [self._safety_stop(loss + l2_penalty)]

        # The update, remembering the previous weights for a clean rollback.
        np.copyto(self._W_prev, self.W)
        np.copyto(self._b_prev, self.b)
        self._update_weights()
        if not (np.isfinite(self.W).all() and np.isfinite(self.b).all()):
            return self._diverged("weights overflowed to inf/nan")

        self.global_step += 1
        self.batch_in_epoch += 1
        self.last_batch_loss = loss
        self._win_loss += loss
        self._win_correct += correct
        self._win_seen += B
        self._win_steps += 1
        dt = time.perf_counter() - t0
        self._win_time += dt
        self._epoch_time += dt

        events: list[Event] = []
        if self.global_step % cfg.log_every == 0:
            ev = StepEvent(
                step=self.global_step,
                epoch=self.epoch + 1,
                batch_in_epoch=self.batch_in_epoch,
                loss=self._win_loss / self._win_steps,
                running_acc=self._win_correct / self._win_seen,
                steps_per_sec=self._win_steps / max(self._win_time, 1e-9),
                l2_penalty=l2_penalty,
            )
            events.append(ev)
            self._reset_window()

        if self.batch_in_epoch == self.steps_per_epoch:
            events.extend(self._end_epoch())
        return events

    def _safety_stop(self, objective: float) -> DoneEvent:
        return self._finish(
            RunStatus.STOPPED,
            f"safety stop at step {self.global_step + 1} (epoch {self.epoch + 1}): the minibatch "
            f"loss (cross-entropy + L2 penalty) reached {objective:.3g}, and this demo stops runs "
            f"above {SAFETY_STOP_LOSS:,.0f}; the weights were still finite",
        )

    def _update_weights(self) -> None:
        """One step of the configured rule at this step's learning rate (core.optimizers);
        sgd + constant is the notebook's step, operation for operation."""
        cfg = self.config
        lr = learning_rate(cfg.schedule, cfg.lr, self.global_step, self.total_steps)
        grad_W, grad_b = self._gradient.grad_W, self._gradient.grad_b
        if self._update_rule is None:
            sgd_step_folded(self.W, self.b, grad_W, grad_b, lr, cfg.l2)
        else:
            true_gradient(self.W, grad_W, cfg.l2)
            self._update_rule.step([self.W, self.b], [grad_W, grad_b], lr)

    def _keep_snapshot(self, ev: EpochEvent) -> None:
        if self.keep_snapshots == 0:
            return
        # The previous latest epoch stays only if it lies on the grid.
        if self.snapshots and (self.snapshots[-1][0] - 1) % self._snapshot_stride:
            self.snapshots.pop()
        self.snapshots.append((ev.epoch, ev.W, ev.b))
        while self.keep_snapshots is not None and len(self.snapshots) > self.keep_snapshots:
            self._snapshot_stride *= 2
            on_grid = [s for s in self.snapshots[:-1] if (s[0] - 1) % self._snapshot_stride == 0]
            self.snapshots = [*on_grid, self.snapshots[-1]]

    def _end_epoch(self) -> list[Event]:
        t0 = time.perf_counter()
        tr_loss, tr_acc = evaluate_arrays(
            self.W, self.b, self._Xtr, self._ytr, buffer=self._eval_buf
        )
        te_loss, te_acc = evaluate_arrays(
            self.W, self.b, self._Xte, self._yte, buffer=self._eval_buf
        )
        self._epoch_time += time.perf_counter() - t0
        if not (math.isfinite(tr_loss) and math.isfinite(te_loss)):
            bad = tr_loss if not math.isfinite(tr_loss) else te_loss
            return self._diverged(f"the epoch's loss became {bad}", step=self.global_step)
        self.epoch += 1
        self.batch_in_epoch = 0
        ev = EpochEvent(
            epoch=self.epoch,
            train_loss=tr_loss,
            train_acc=tr_acc,
            test_loss=te_loss,
            test_acc=te_acc,
            seconds=self._epoch_time,
            W=self.W.copy(),
            b=self.b.copy(),
            step=self.global_step,
        )
        self.history.append(ev.to_dict())
        self._history_copy = (*self._history_copy, ev.to_dict())
        self._keep_snapshot(ev)
        self._epoch_end_weights = (ev.W, ev.b)
        events: list[Event] = [ev]
        penalty = 0.5 * self.config.l2 * float(np.dot(self.W.ravel(), self.W.ravel()))
        self._objectives.append(tr_loss + penalty)
        if keeps_doubling(self._objectives):
            a, b, c = self._objectives[-3:]
            what = (
                "the training loss (cross-entropy + L2 penalty) more than doubled two epochs in a "
                f"row ({a:.3g} → {b:.3g} → {c:.3g})"
            )
            return events + self._diverged(what, step=self.global_step, rollback=False)
        if self.epoch == self.config.epochs:
            events.append(
                self._finish(
                    RunStatus.FINISHED,
                    f"finished {self.epoch} epochs ({self.global_step} steps): "
                    f"test acc {te_acc:.4f}, test loss {te_loss:.4f}",
                )
            )
        return events


if __name__ == "__main__":
    from core.cli import main

    sys.exit(main())
