"""The Experiments page's queue and comparison: an experiment's runs start one after another in the
session's one training slot (ui.training.start_run), the next only when the previous has ended;
what they leave is kept here for the comparison.

The queue moves on in every script run of the page and, while it is busy, in a fragment that
polls once a second; it stays put while the visitor is on another page (the running run goes on).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace

import numpy as np
import pandas  # noqa: F401 - whole before a figure is built: see tests/test_structure.py
import plotly.graph_objects as go
import streamlit as st

from core.datasets import DATASET_TITLES, Dataset
from core.metrics import evaluate_arrays
from core.train import RunStatus, TrainConfig
from ui import state, training
from ui.background import BackgroundRun, RunView, SessionRuns
from ui.charts import NO_TOOLBAR, RUN_COLORS, runs_overlay_figure
from ui.experiment_catalog import BY_KEY, Experiment, choices, validation_split
from ui.figures import templates_figure
from ui.i18n import _, percent


@dataclass
class RunResult:
    """What one of an experiment's runs left: history as RunRecord's (for validation runs
    val_acc / val_loss are the held-out images, test_acc / test_loss the test set);
    final_W (784, C) or None without a finished epoch."""

    label: str
    name: str
    config: TrainConfig
    status: RunStatus
    history: list[dict]
    step_losses: list[tuple[int, float]]
    steps_per_epoch: int
    seconds: float
    final_W: np.ndarray | None


@dataclass
class ExperimentQueue:
    """One experiment in progress or done: runs[:next_index] were started; `running` names the
    run started last while it has not ended. cancelled: by the visitor; interrupted: another
    run (a Start on the Train page) took the training slot."""

    key: str
    dataset: str
    next_index: int = 0
    running: str | None = None
    results: list[RunResult] = field(default_factory=list)
    cancelled: bool = False
    interrupted: bool = False

    @property
    def experiment(self) -> Experiment:
        return BY_KEY[self.key]

    @property
    def busy(self) -> bool:
        """Whether runs are still to come or to finish."""
        if self.cancelled or self.interrupted:
            return False
        return self.running is not None or self.next_index < len(self.experiment.runs)


def result_of(view: RunView, label: str, n_train: int) -> RunResult:
    return RunResult(
        label=label,
        name=view.name,
        config=view.config,
        status=view.status,
        history=[dict(h) for h in view.history],
        step_losses=list(view.step_losses),
        steps_per_epoch=-(-n_train // view.config.batch_size),
        seconds=view.elapsed,
        final_W=view.snapshots[-1][1] if view.snapshots else None,
    )


def advance(
    queue: ExperimentQueue,
    session: SessionRuns,
    start: Callable[[TrainConfig], BackgroundRun],
    finish: Callable[[RunView, str], RunResult],
) -> bool:
    """Move the queue on: keep the result of its run once that run has ended, then start the
    next run; True when anything changed. Nothing starts while the queue's run goes on."""
    changed = False
    if queue.running is not None:
        run = session.current
        if run is None or run.name != queue.running:
            queue.running, queue.interrupted = None, True
            return True
        view = run.view(with_snapshots=True)
        if not view.is_final:
            return False
        label = queue.experiment.runs[queue.next_index - 1].label
        queue.results.append(finish(view, label))
        queue.running, changed = None, True
    if queue.busy and queue.next_index < len(queue.experiment.runs):
        config = queue.experiment.runs[queue.next_index].config
        queue.running = start(config).name
        queue.next_index += 1
        changed = True
    return changed


def cancel(queue: ExperimentQueue, session: SessionRuns) -> None:
    """Stop the queue and its run (which lands in the session's runs as stopped)."""
    queue.cancelled = True
    run = session.current
    if queue.running is not None and run is not None and run.name == queue.running:
        training.stop_live_run()
    queue.running = None


# Streamlit side.


@st.cache_resource(show_spinner=False)
def _validation_dataset(name: str, _dataset: Dataset) -> Dataset:
    return validation_split(_dataset)


def training_data(experiment: Experiment, dataset: Dataset) -> Dataset:
    """What the experiment's runs train on: the dataset, or its 50,000 / 10,000 split."""
    return _validation_dataset(dataset.name, dataset) if experiment.validation else dataset


def queues() -> dict[str, ExperimentQueue]:
    """This session's last queue of each experiment, by key."""
    return st.session_state[state.EXPERIMENTS]


def active() -> ExperimentQueue | None:
    """The queue with runs still to come or to finish (at most one: one training slot)."""
    return next((q for q in queues().values() if q.busy), None)


def begin(experiment: Experiment, dataset: Dataset) -> None:
    """A new queue for `experiment` and its first run (which ends the live run, keeping its
    record)."""
    queues()[experiment.key] = ExperimentQueue(experiment.key, dataset.name)
    move_on(dataset)


def move_on(dataset: Dataset) -> bool:
    """advance() the busy queue with the app's runs; True when anything changed."""
    current = active()
    if current is None:
        return False
    data = training_data(current.experiment, dataset)

    def finish(view: RunView, label: str) -> RunResult:
        training.collect_finished_run()  # lands in the session's runs, unless it already has
        result = result_of(view, label, len(data.train_labels))
        if current.experiment.validation:
            add_test_metrics(result, view.snapshots, dataset)
        return result

    return advance(current, training.session_runs(), lambda c: training.start_run(c, data), finish)


def add_test_metrics(result: RunResult, snapshots, dataset: Dataset) -> None:
    """A validation run evaluated on its held-out images: move those numbers to val_* and put
    each epoch's test-set numbers (from its weight snapshots) in test_*, here and in the
    session's record and model of the run, so the Train page's "test" means the test set."""
    images = dataset.test_images
    if result.config.deskew:
        from core.deskew import deskew

        images = deskew(images)
    tested = {e: evaluate_arrays(W, b, images, dataset.test_labels) for e, W, b in snapshots}
    for record in [result, *[r for r in st.session_state[state.RUNS] if r.name == result.name]]:
        for h in record.history:
            if "val_acc" in h or h["epoch"] not in tested:
                continue
            h["val_loss"], h["val_acc"] = h["test_loss"], h["test_acc"]
            h["test_loss"], h["test_acc"] = tested[h["epoch"]]
    if result.history:
        rename_model(result.name, result.history[-1]["test_acc"])


def rename_model(run_name: str, test_acc: float) -> None:
    """The run's model with its test accuracy, in its entry and in its name (which named the
    validation accuracy), still current if it was."""
    kept = state.models()
    prefix = f"{run_name} ("
    for old in [k for k, e in kept.items() if e.origin == "trained" and k.startswith(prefix)]:
        entry = kept.pop(old)
        entry.test_acc = test_acc
        entry.name = state.unique_name(
            f"{run_name} ({DATASET_TITLES[entry.dataset]}, {test_acc:.2%})"
        )
        kept[entry.name] = entry
        if st.session_state[state.CURRENT_MODEL] == old:
            st.session_state[state.CURRENT_MODEL] = entry.name


def status_line(current: ExperimentQueue) -> str:
    """Where the queue is, in a sentence."""
    total = len(current.experiment.runs)
    if current.cancelled:
        return _("Cancelled after {done} of {total} runs.").format(
            done=len(current.results), total=total
        )
    if current.interrupted:
        return _(
            "Interrupted after {done} of {total} runs: another run took the training slot."
        ).format(done=len(current.results), total=total)
    if current.busy:
        return _("Run {number} of {total}: {label}.").format(
            number=current.next_index,
            total=total,
            label=_(current.experiment.runs[current.next_index - 1].label),
        )
    return _("All {total} runs ended.").format(total=total)


def results_table(results: list[RunResult]) -> list[dict]:
    """One row per run: its label, outcome, epochs, final losses and accuracy, seconds."""
    rows = []
    for r in results:
        last = r.history[-1] if r.history else {}
        row = {
            _("run"): _(r.label),
            _("outcome"): training.status_word(r.status),
            _("epochs done"): len(r.history),
            _("train loss"): last.get("train_loss", float("nan")),
            _("test loss"): last.get("test_loss", float("nan")),
            _("test acc"): percent(last["test_acc"]) if last else "–",
            _("seconds"): round(r.seconds, 1),
        }
        if "val_acc" in last:
            row[_("validation acc")] = percent(last["val_acc"])
        rows.append(row)
    return rows


# The comparison.


def _named(results: list[RunResult]) -> list:
    """Results as runs_overlay_figure reads runs: a name (the label, translated) and a history."""
    return [SimpleNamespace(name=_(r.label), history=r.history) for r in results]


def step_loss_overlay(results: list[RunResult]) -> go.Figure:
    """Each run's minibatch cross-entropy (mean of the last log_every) against epochs."""
    fig = go.Figure()
    for i, r in enumerate(results):
        if not r.step_losses:
            continue
        steps, losses = np.asarray(r.step_losses, dtype=np.float64).T
        fig.add_scatter(
            x=steps / r.steps_per_epoch,
            y=losses,
            mode="lines+markers" if len(steps) < 10 else "lines",
            name=_(r.label),
            line={"width": 1, "color": RUN_COLORS[i % len(RUN_COLORS)]},
        )
    fig.update_xaxes(title=_("epoch"), rangemode="tozero")
    fig.update_yaxes(title=_("cross-entropy"), rangemode="tozero")
    fig.update_layout(
        title={"text": _("Minibatch loss during training"), "x": 0, "font": {"size": 15}},
        height=340,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        legend={"orientation": "h", "y": -0.25},
    )
    return fig


def show_comparison(current: ExperimentQueue, class_names: tuple[str, ...]) -> None:
    """The runs' curves side by side, their templates or the validation choice, and a table."""
    experiment, results = current.experiment, current.results
    if not results:
        return
    named = _named(results)
    left, right = st.columns(2)
    left.plotly_chart(runs_overlay_figure(named, "train_loss"), key="experiment_loss")
    right.plotly_chart(runs_overlay_figure(named, "test_acc"), key="experiment_acc")
    if experiment.step_curves:
        st.plotly_chart(step_loss_overlay(results), key="experiment_steps")
    if experiment.validation:
        show_validation_choice(results)
    if experiment.templates:
        for i, r in enumerate(results):
            if r.final_W is not None:
                st.caption(_(r.label))
                st.plotly_chart(
                    templates_figure(r.final_W, class_names, cols=10, tile_px=48),
                    key=f"experiment_templates_{i}",
                    config=NO_TOOLBAR,
                )
    st.dataframe(results_table(results), hide_index=True)


def show_validation_choice(results: list[RunResult]) -> None:
    """The candidate (run, epoch) chosen by validation accuracy and the one chosen by test
    accuracy, each with its test accuracy."""
    with_epochs = [r for r in results if r.history]
    if not with_epochs:
        return
    by_validation, by_test = choices(
        [[h["val_acc"] for h in r.history] for r in with_epochs],
        [[h["test_acc"] for h in r.history] for r in with_epochs],
    )
    left, right = st.columns(2)
    for column, title, choice in (
        (left, _("Chosen by validation accuracy"), by_validation),
        (right, _("Chosen by test accuracy"), by_test),
    ):
        column.metric(
            title,
            percent(choice.test_acc),
            help=_("{run}, epoch {epoch}: validation {validation}, test {test}").format(
                run=_(with_epochs[choice.run].label),
                epoch=choice.epoch,
                validation=percent(choice.validation_acc),
                test=percent(choice.test_acc),
            ),
        )
        column.caption(
            _("{run}, epoch {epoch}").format(
                run=_(with_epochs[choice.run].label), epoch=choice.epoch
            )
        )
    figure = runs_overlay_figure(_named(with_epochs), "val_acc")
    figure.update_layout(title_text=_("validation acc of every run"))
    st.plotly_chart(figure, key="experiment_val")
