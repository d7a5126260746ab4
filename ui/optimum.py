"""The best softmax regression for a dataset, an L2 weight decay and the deskew choice: the
convex optimum (core.solver's L-BFGS), shown as a dashed reference line on the training charts,
with the gap of a finished run, and its templates on the Weights page.

The notebook's settings (MNIST, L2 0 and 1e-4, with and without deskewing) are shipped in
models/optimum/ (made by ``python -m core.train --solver lbfgs --max-iter 300``, see
models/README.md), so they are ready at once. Any other (dataset, L2, deskew) is computed on
demand, once per process, by one worker thread: each pass over the data waits for a turn of the
process's training scheduler (ui/scheduler.py), so the computation counts against the same cap
as the visitors' runs and never takes a core from them for long.

The store and the worker are Streamlit-free; the functions at the end draw.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import streamlit as st

from core.datasets import Dataset, DatasetError
from core.deskew import deskew_splits
from core.model import SoftmaxRegression
from core.solver import solve_lbfgs
from ui.i18n import N_, _, number, percent
from ui.loaders import REPO_DIR, load_shared_dataset
from ui.scheduler import FairScheduler
from ui.training import training_scheduler

SHIPPED_DIR = REPO_DIR / "models" / "optimum"
# The app's iteration cap. With L2 > 0 on MNIST the solver stops on its gradient test well
# before it (L2 1e-4: 111 iterations); with L2 = 0 there is no minimum and the cap ends the run.
APP_MAX_ITER = 300
# Computations waiting or running at once in a process; more are refused until one is done.
MAX_PENDING = 3
# Computed optima kept per process (about 32 kB each).
MAX_KEPT = 24
# python -m core.train --solver lbfgs --l2 0 with --max-iter 300 and 1000 (the default).
SLOW_WITHOUT_L2 = N_(
    "Measured on MNIST: 1,000 iterations instead of 300 lower the training loss only from "
    "0.2067 to 0.2018, while the weights double (‖W‖ 111 → 236) and the test loss rises from "
    "0.318 to 0.344."
)


class OptimumKey(NamedTuple):
    """What the optimum depends on: the dataset's name, the L2 weight decay, deskewed input."""

    dataset: str
    l2: float
    deskew: bool

    @classmethod
    def of(cls, dataset: str, l2: float, deskew: bool = False) -> OptimumKey:
        """The key with L2 rounded to 6 significant digits (a form's 0.0001 and 1e-4 agree)."""
        return cls(dataset, float(f"{float(l2):.6g}"), bool(deskew))

    @property
    def file_name(self) -> str:
        """Its shipped file's name, e.g. mnist_l2_0.0001_deskew.npz."""
        return f"{self.dataset}_l2_{self.l2:g}{'_deskew' if self.deskew else ''}.npz"


@dataclass(frozen=True)
class Optimum:
    """The solver's model and its numbers: cross-entropy (without the penalty) and accuracy on
    the training and test sets, the objective it minimised (cross-entropy + L2/2 ||W||²),
    iterations, and whether the gradient test stopped it (not the cap)."""

    key: OptimumKey
    model: SoftmaxRegression
    train_loss: float
    test_loss: float
    train_acc: float
    test_acc: float
    objective: float
    iterations: int
    converged: bool

    @classmethod
    def from_model(cls, key: OptimumKey, model: SoftmaxRegression) -> Optimum:
        metrics = model.metrics or {}
        return cls(
            key,
            model,
            train_loss=float(metrics["train_loss"]),
            test_loss=float(metrics["test_loss"]),
            train_acc=float(metrics["train_acc"]),
            test_acc=float(metrics["test_acc"]),
            objective=float(metrics.get("solver_train_loss", metrics["train_loss"])),
            iterations=int(metrics.get("solver_iterations", 0)),
            converged=bool(metrics.get("solver_converged", False)),
        )


class ReferenceLine(NamedTuple):
    """A dashed horizontal line on a chart, e.g. the best softmax regression's loss, labelled."""

    value: float
    label: str


class ReferenceLines(NamedTuple):
    """The dashed lines for the loss charts (training cross-entropy) and the accuracy chart
    (test accuracy); None where there is no optimum (yet)."""

    loss: ReferenceLine | None = None
    acc: ReferenceLine | None = None


def reference_lines(optimum: Optimum | None) -> ReferenceLines:
    """The chart lines of `optimum` (labels in the session's language)."""
    if optimum is None:
        return ReferenceLines()
    return ReferenceLines(
        ReferenceLine(
            optimum.train_loss,
            _("training optimum: train {loss}").format(loss=f"{optimum.train_loss:.4f}"),
        ),
        ReferenceLine(
            optimum.test_acc,
            _("training optimum: test {accuracy}").format(accuracy=percent(optimum.test_acc)),
        ),
    )


class RunGap(NamedTuple):
    """How far a run's last epoch is from the optimum: cross-entropy above it (training set),
    accuracy points below it (test set; negative when the run is better)."""

    train_loss_above: float
    test_points_below: float


def run_gap(optimum: Optimum, last_epoch: dict) -> RunGap:
    """The gap of an epoch record (train_loss, test_acc) to the optimum."""
    return RunGap(
        last_epoch["train_loss"] - optimum.train_loss,
        (optimum.test_acc - last_epoch["test_acc"]) * 100,
    )


def load_shipped(key: OptimumKey, folder: Path = SHIPPED_DIR) -> Optimum | None:
    """The shipped optimum for `key`, None when none is shipped."""
    path = folder / key.file_name
    if not path.exists():
        return None
    model = SoftmaxRegression.load(path)
    model.W.flags.writeable = False  # shared by every session
    model.b.flags.writeable = False
    return Optimum.from_model(key, model)


def compute(
    key: OptimumKey,
    dataset: Dataset,
    on_pass=None,
    max_iter: int = APP_MAX_ITER,
) -> Optimum:
    """Solve for `key` on `dataset` (deskewed first when the key says so)."""
    data = dataset
    if key.deskew:
        train, test, _seconds = deskew_splits(dataset.train_images, dataset.test_images)
        data = (train, dataset.train_labels, test, dataset.test_labels)
    model, _result = solve_lbfgs(
        data,
        key.l2,
        max_iter=max_iter,
        classes=tuple(dataset.class_names),
        source=dataset.name,
        on_pass=on_pass,
    )
    if key.deskew:
        model.preprocessing = "deskew"
    return Optimum.from_model(key, model)


@dataclass(eq=False)  # hashable by identity: the scheduler keys its turns by the job
class Job:
    """One computation: waiting, running (passes done so far), done or failed."""

    key: OptimumKey
    dataset: Dataset
    passes: int = 0
    running: bool = False
    error: str | None = None


class TurnPerPass:
    """An ``on_pass`` that holds one scheduler turn for each pass over the data: it hands the
    previous turn back and waits for the next, so the solver takes turns like a training run."""

    def __init__(self, scheduler: FairScheduler, job: Job) -> None:
        self.scheduler, self.job = scheduler, job
        self.turn = None

    def __call__(self, passes_done: int) -> None:
        self.job.passes = passes_done
        self.release()
        self.turn = self.scheduler.request(self.job)
        self.turn.wait()

    def release(self) -> None:
        if self.turn is not None:
            self.turn.release()
            self.turn = None


class OptimumStore:
    """Optima of one process: shipped ones loaded on first use, others computed one at a time
    by a worker thread, at most MAX_PENDING waiting or running. Thread-safe."""

    def __init__(self, scheduler: FairScheduler, shipped_dir: Path = SHIPPED_DIR, solve=compute):
        self.scheduler = scheduler
        self.shipped_dir = shipped_dir
        self._solve = solve
        self._lock = threading.Lock()
        self._ready: dict[OptimumKey, Optimum | None] = {}  # None: looked, nothing shipped
        self._computed: deque[OptimumKey] = deque()
        self._jobs: dict[OptimumKey, Job] = {}
        self._queue: deque[Job] = deque()
        self._worker: threading.Thread | None = None

    def ready(self, key: OptimumKey) -> Optimum | None:
        """The optimum for `key` if it is shipped or computed, else None (nothing starts)."""
        with self._lock:
            if key not in self._ready:
                self._ready[key] = load_shipped(key, self.shipped_dir)
            return self._ready[key]

    def job(self, key: OptimumKey) -> Job | None:
        with self._lock:
            return self._jobs.get(key)

    def request(self, key: OptimumKey, dataset: Dataset) -> Job | None:
        """Start computing `key` unless it is ready or under way; returns its job (None when it is
        ready, or when MAX_PENDING computations are already waiting or running)."""
        if self.ready(key) is not None:
            return None
        with self._lock:
            if key in self._jobs:
                return self._jobs[key]
            if len(self._jobs) >= MAX_PENDING:
                return None
            job = self._jobs[key] = Job(key, dataset)
            self._queue.append(job)
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._work, name="optimum", daemon=True)
                self._worker.start()
            return job

    def _work(self) -> None:
        while True:
            with self._lock:
                if not self._queue:
                    self._worker = None
                    return
                job = self._queue.popleft()
                job.running = True
            self._run(job)

    def _run(self, job: Job) -> None:
        turns = TurnPerPass(self.scheduler, job)
        try:
            optimum = self._solve(job.key, job.dataset, on_pass=turns)
        except (ValueError, ArithmeticError, MemoryError, OSError) as err:
            job.error = str(err)  # kept in the job, so the page can say it
            return
        finally:
            turns.release()
            job.running = False
        with self._lock:
            self._ready[job.key] = optimum
            self._computed.append(job.key)
            while len(self._computed) > MAX_KEPT:
                self._ready.pop(self._computed.popleft(), None)
            del self._jobs[job.key]

    def forget_failed(self, key: OptimumKey) -> None:
        """Drop a failed job, so a later request tries again."""
        with self._lock:
            job = self._jobs.get(key)
            if job is not None and job.error is not None:
                del self._jobs[key]


# -- Streamlit ------------------------------------------------------------------------------------


@st.cache_resource
def optimum_store() -> OptimumStore:
    """The process's store, taking turns from the training scheduler."""
    return OptimumStore(training_scheduler())


def optimum_for(dataset_name: str, l2: float, deskew: bool = False) -> Optimum | None:
    """The optimum for these settings if ready; otherwise starts computing it (when its dataset
    can be loaded) and returns None."""
    key = OptimumKey.of(dataset_name, l2, deskew)
    store = optimum_store()
    optimum = store.ready(key)
    if optimum is None and store.job(key) is None:
        try:
            store.request(key, load_shared_dataset(dataset_name))
        except DatasetError:
            return None
    return optimum


def key_of(dataset_name: str, config) -> OptimumKey:
    """The key of a run's TrainConfig, or of its dict (a RunRecord's config), on a dataset."""
    settings = config if isinstance(config, dict) else config.to_dict()
    return OptimumKey.of(dataset_name, settings.get("l2", 0.0), settings.get("deskew", False))


def lines_for(dataset_name: str, config) -> ReferenceLines:
    """The chart lines for a run's TrainConfig (or its dict) on `dataset_name`."""
    key = key_of(dataset_name, config)
    return reference_lines(optimum_for(key.dataset, key.l2, key.deskew))


def optimum_note(dataset_name: str, config) -> str:
    """Two sentences under the charts: what the dashed line is, or how far its computation is."""
    key = key_of(dataset_name, config)
    store = optimum_store()
    optimum = store.ready(key)
    if optimum is not None:
        return describe(optimum)
    job = store.job(key)
    if job is None:
        return _(
            "The best softmax regression for these settings is not available now: the server is "
            "computing others. It is computed when you come back to this page later."
        )
    if job.error is not None:
        store.forget_failed(key)
        return _("Computing the best softmax regression failed: {error}").format(error=job.error)
    return _(
        "⏳ Computing the best softmax regression with L2 = {l2} (L-BFGS on all training images, "
        "pass {passes} over the data, at most about {cap}): it takes turns at the CPU with the "
        "training runs, and appears as a dashed line when done."
    ).format(l2=f"{key.l2:g}", passes=number(job.passes), cap=number(APP_MAX_ITER))


def describe(optimum: Optimum) -> str:
    """What the dashed line is, in two sentences (L2 = 0 says why it is not a true optimum)."""
    values = {
        "l2": f"{optimum.key.l2:g}",
        "loss": f"{optimum.train_loss:.4f}",
        "test_loss": f"{optimum.test_loss:.4f}",
        "accuracy": percent(optimum.test_acc),
        "iterations": number(optimum.iterations),
    }
    if optimum.key.l2 > 0:
        return _(
            "Dashed lines: the best any softmax regression with L2 = {l2} reaches, found with "
            "L-BFGS on all training images ({iterations} iterations): training cross-entropy "
            "{loss}, test accuracy {accuracy}. Its loss is convex, so no optimizer or schedule "
            "can beat this on the training objective; only the test accuracy may differ by "
            "chance."
        ).format(**values)
    text = _(
        "Dashed lines: softmax regression without L2, solved with L-BFGS on all training "
        "images and stopped after {iterations} iterations: training cross-entropy {loss}, "
        "test accuracy {accuracy}. Without L2 there is no best model: the weights can grow "
        "for ever along directions that separate training images, so the training loss keeps "
        "falling ever more slowly while the test loss rises ({test_loss} here); the app "
        "stops at {iterations} iterations."
    ).format(**values)
    if optimum.key == OptimumKey.of("mnist", 0.0):
        text += " " + _(SLOW_WITHOUT_L2)
    return text


def gap_text(optimum: Optimum, last_epoch: dict) -> str:
    """A finished run against the optimum, in one sentence."""
    gap = run_gap(optimum, last_epoch)
    values = {
        "loss": f"{gap.train_loss_above:+.4f}",
        "points": f"{gap.test_points_below:.2f}",
        "better": f"{-gap.test_points_below:.2f}",
    }
    if gap.test_points_below >= 0:
        text = _(
            "Against the training optimum with this L2: training cross-entropy {loss}, "
            "test accuracy {points} points below it."
        )
    else:
        text = _(
            "Against the training optimum with this L2: training cross-entropy {loss}, "
            "test accuracy {better} points above it (by chance: the optimum is best on the "
            "training objective, not on the test set)."
        )
    note = (
        _(
            " With L2 > 0 the optimum minimises cross-entropy + penalty, so a run with larger "
            "weights can have the lower cross-entropy."
        )
        if optimum.key.l2 > 0 and gap.train_loss_above < 0
        else ""
    )
    return text.format(**values) + note


def show_gap(record) -> None:
    """Under a finished run's result: its gap to the optimum when that is ready, and what the
    dashed lines are (or how far their computation is)."""
    if not record.history or not math.isfinite(record.history[-1]["train_loss"]):
        return
    key = key_of(record.dataset, record.config)
    optimum = optimum_for(key.dataset, key.l2, key.deskew)
    if optimum is not None:
        st.markdown(gap_text(optimum, record.history[-1]))
    st.caption(optimum_note(record.dataset, record.config))
