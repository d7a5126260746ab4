"""The Train page's sections below the live run: the last run's result, where the current model
goes wrong (confusion matrix and its images), and this session's runs compared."""

from __future__ import annotations

import math

import numpy as np
import streamlit as st

from core.datasets import Dataset
from core.metrics import confusion_matrix, per_class_precision_recall, predict_proba_uint8
from core.model import SoftmaxRegression
from core.train import RunStatus
from ui import optimum, state
from ui.bars_html import share_bars_html
from ui.charts import NOTEBOOK_TEST_ACC, epoch_metric_figure, runs_overlay_figure
from ui.figures import confusion_cell_from_selection, confusion_figure
from ui.i18n import N_, _, number, percent
from ui.images import image_grid_html
from ui.live_panel import METRIC_PX
from ui.state import ModelEntry, RunRecord, display_model_name, fingerprint
from ui.training import status_word

# Test images shown for one confusion-matrix cell.
MAX_EXAMPLES = 40
# The settings in the runs table: TrainConfig field -> column.
SETTING_COLUMNS = {
    "lr": N_("learning rate"),
    "batch_size": N_("batch size"),
    "epochs": N_("epochs"),
    "init_scale": N_("init scale"),
    "l2": N_("L2"),
    "seed": N_("seed"),
    "optimizer": N_("update rule"),
    "momentum": N_("momentum"),
    "schedule": N_("schedule"),
    "deskew": N_("deskewed"),
}
# The runs table's other columns (runs_table's keys stay English; the table shows them translated).
RUN_COLUMNS = (
    N_("run"),
    N_("dataset"),
    N_("outcome"),
    N_("epochs done"),
    N_("test acc (%)"),
    N_("test loss"),
    N_("seconds computing"),
    N_("seconds on the clock"),
)
# Settings that only one update rule uses: shown for runs with that rule, a dash for the others.
RULE_SETTINGS = {"momentum": "momentum"}
NOT_USED = "–"
TIME_HELP = N_(
    "Computing: the seconds the server spent on this run's steps and epoch-end evaluations. On "
    "the clock: from Start to the end, as you watched it, with the pauses, the watchable pace's "
    "waits and any waits for a turn on a busy server."
)
# BackgroundRun's messages (ui.background) for a run stopped by its visitor and a failed thread.
STOPPED_BY_YOU = "Stopped by you"
FAILED_PREFIX = "Training failed: "
# ln 10: the loss of giving all ten classes probability 1/10.
UNIFORM_GUESS_LOSS = math.log(10)
NOTEBOOK_SPREAD_HELP = N_(
    "The notebook's 92.41% is one run with an unknown seed. The same settings with seeds 0–19 end "
    "at 92.14–92.41%, and one run moves by up to 0.4 points between late epochs: differences of a "
    "few tenths of a point are noise."
)
VALIDATION_NOTE = N_(
    "**Test accuracy is shown to watch, not to choose with.** If you pick the learning rate, the "
    "number of epochs or the run by its test accuracy, the test set has become part of training "
    "and its number is optimistic: picking the best of several noisy numbers favours a lucky "
    "one. Choose settings on a *validation* set (part of the training images held out) and look "
    "at the test set once, at the end."
)
LOSS_VS_ACCURACY = N_(
    "Accuracy counts the images whose most probable class is the right one; the loss averages "
    r"$-\log p_\text{true}$, so it also charges for *how sure* the model was. A model can be "
    "right as often as another and still have a much larger loss, if its mistakes give the true "
    r"class a probability near 0 ($-\log 10^{-20} \approx 46$)."
)


def is_overconfident(last: dict) -> bool:
    """An epoch whose train loss is worse than guessing uniformly while most answers are right."""
    return last["train_loss"] > UNIFORM_GUESS_LOSS and last["train_acc"] >= 0.5


def ending_message(record: RunRecord) -> tuple[str, str] | None:
    """How a run that did not simply finish ended: ("error" or "warning", the sentence), from its
    status and epochs done; core's own detail (English) follows where only core has it."""
    done = len(record.history)
    if record.outcome == RunStatus.DIVERGED:
        return "error", _("💥 {divergence}").format(divergence=record.message)
    if record.outcome == RunStatus.FAILED:
        error = record.message.removeprefix(FAILED_PREFIX)
        return "error", _("💥 Training failed: {error}").format(error=error)
    if record.outcome == RunStatus.STOPPED:
        if record.message == STOPPED_BY_YOU:
            return "warning", _("Stopped by you. Epochs finished: {done}.").format(done=done)
        # The trainer's safety stop (the loss ran away): its detail says where and why.
        return "warning", _("{safety_stop}. Epochs finished: {done}.").format(
            safety_stop=record.message, done=done
        )
    return None


def show_result(record: RunRecord) -> None:
    """Summary of a run: how it ended, its final metrics and its curves."""
    st.subheader(_("Result of {name}").format(name=record.name))
    ending = ending_message(record)
    if ending is not None:
        kind, text = ending
        (st.error if kind == "error" else st.warning)(text)
    current = state.current_model()
    if record.model_name and current is not None and current.name == record.model_name:
        st.success(
            _(
                "🏁 {name} is now the current model: Weights, Draw and Confidence use it, and the "
                "confusion matrix below is its own. The sidebar's Current model picks another."
            ).format(name=record.name)
        )
    if not record.history:
        st.caption(_("No epoch finished, so there is no model from this run."))
        return
    last = record.history[-1]
    on_mnist = record.dataset == "mnist"
    if record.outcome != RunStatus.DIVERGED and is_overconfident(last):
        st.warning(
            _(
                "**Overconfident, but learning.** {accuracy} of the training images are right, "
                "yet the loss {loss} is above ln 10 ≈ 2.3, the loss of guessing all ten classes "
                "equally: a large learning rate made the weights large, so the model is almost "
                "certain of every answer, and each mistake gives the true class a probability "
                "near 0, whose $-\\log$ is huge."
            ).format(accuracy=percent(last["train_acc"], 1), loss=f"{last['train_loss']:.3g}")
        )
    metrics = st.container(horizontal=True)
    for label, seconds in (
        (_("Computing time"), record.seconds),
        (_("Time on the clock"), record.wall_seconds),
    ):
        value = _("{seconds} s").format(seconds=f"{seconds:.1f}")
        metrics.metric(label, value, help=_(TIME_HELP), width=METRIC_PX)
    metrics.metric(_("Train loss"), f"{last['train_loss']:.4f}", width=METRIC_PX)
    metrics.metric(_("Train accuracy"), percent(last["train_acc"]), width=METRIC_PX)
    metrics.metric(_("Test loss"), f"{last['test_loss']:.4f}", width=METRIC_PX)
    points = (last["test_acc"] - NOTEBOOK_TEST_ACC) * 100
    metrics.metric(
        _("Test accuracy"),
        percent(last["test_acc"]),
        delta=_("{points} pts vs notebook").format(points=f"{points:+.2f}") if on_mnist else None,
        help=_(NOTEBOOK_SPREAD_HELP) if on_mnist else None,
        width=METRIC_PX + 60,
    )
    optimum.show_gap(record)
    lines = optimum.lines_for(record.dataset, record.config)
    left, right = st.columns(2)
    left.plotly_chart(
        epoch_metric_figure(record.history, "loss", True, lines.loss), key="result_loss"
    )
    left.caption(_(LOSS_VS_ACCURACY))
    right.plotly_chart(
        epoch_metric_figure(record.history, "acc", on_mnist, lines.acc), key="result_acc"
    )
    right.caption(_(VALIDATION_NOTE))


def predicted_classes(model: SoftmaxRegression, dataset: Dataset) -> np.ndarray:
    """The class the model predicts for each test image (N,)."""
    return predict_proba_uint8(model, model.preprocess(dataset.test_images)).argmax(axis=1)


@st.cache_resource(show_spinner=False, max_entries=32)
def _shared_predictions(key: str, _model: SoftmaxRegression, _dataset: Dataset) -> np.ndarray:
    """predicted_classes once per process for each model fingerprint (read-only): the page
    reruns every second while a run is live, and scoring 10,000 images is most of a rerun."""
    predicted = predicted_classes(_model, _dataset)
    predicted.flags.writeable = False
    return predicted


def cell_examples(
    labels: np.ndarray, predicted: np.ndarray, true_class: int, predicted_class: int
) -> np.ndarray:
    """Indices of the images of `true_class` that were predicted as `predicted_class`."""
    return np.flatnonzero((labels == true_class) & (predicted == predicted_class))


def show_confusion(entry: ModelEntry, dataset: Dataset) -> None:
    """The current model's confusion matrix on the test set; a clicked cell shows its images."""
    st.subheader(_("Where it goes wrong"))
    st.caption(
        _(
            "Confusion matrix of the current model, {name}, on the {count} test images. The "
            "colour is on a log scale, log(1 + count), so the few mistakes stay visible beside "
            "the diagonal. Click a cell to see those images."
        ).format(name=display_model_name(entry.name), count=number(len(dataset.test_labels)))
    )
    predicted = _shared_predictions(fingerprint(entry.model, dataset.name), entry.model, dataset)
    names = dataset.class_names
    cm = confusion_matrix(dataset.test_labels, predicted, len(names))
    left, right = st.columns([3, 2])
    with left:
        picked = st.plotly_chart(
            confusion_figure(cm, names),
            key="confusion",
            on_select="rerun",
            selection_mode="points",
        )
    _precision, recall = per_class_precision_recall(cm)
    right.container(key="per_class").html(
        share_bars_html(recall, names, _("Accuracy per class (recall)"), _("{name}: {value}"))
    )
    cell = confusion_cell_from_selection(picked)
    if cell is None:
        return
    true_k, pred_k = cell
    matches = cell_examples(dataset.test_labels, predicted, true_k, pred_k)
    if len(matches) > MAX_EXAMPLES:
        heading = _(
            "**{count} test images of {true} predicted as {predicted}** (the first {shown})"
        )
    else:
        heading = _("**{count} test images of {true} predicted as {predicted}**")
    st.markdown(
        heading.format(
            count=len(matches), true=names[true_k], predicted=names[pred_k], shown=MAX_EXAMPLES
        )
    )
    if len(matches):
        shown = matches[:MAX_EXAMPLES]
        st.container(key="confusion_examples").html(
            image_grid_html(
                dataset.test_images[shown],
                [f"#{i}" for i in shown],
                tooltips=[_("test image #{index}").format(index=i) for i in shown],
            )
        )


def runs_table(records: list[RunRecord]) -> list[dict]:
    """One row per run: name, dataset, outcome, settings, epochs done, final test metrics, time."""
    nan = float("nan")
    return [
        {
            "run": r.name,
            "dataset": r.dataset,
            "outcome": str(r.outcome),
            **{column: setting_shown(r.config, key) for key, column in SETTING_COLUMNS.items()},
            "epochs done": len(r.history),
            "test acc (%)": 100 * r.history[-1]["test_acc"] if r.history else nan,
            "test loss": r.history[-1]["test_loss"] if r.history else nan,
            "seconds computing": round(r.seconds, 1),
            "seconds on the clock": round(r.wall_seconds, 1),
        }
        for r in records
    ]


def setting_shown(config: dict, key: str):
    """A run's setting as its table cell: a dash where its update rule does not use it
    (momentum's μ in an SGD or Adam run). A text column, so a dash can stand beside numbers."""
    if key in RULE_SETTINGS:
        used = config.get("optimizer", "sgd") == RULE_SETTINGS[key]
        return f"{config.get(key):g}" if used else NOT_USED
    return config.get(key)


def show_runs(records: list[RunRecord]) -> None:
    """This session's runs: their curves overlaid (from two runs on), and a table."""
    if len(records) > 1:
        st.subheader(_("Compare this session's runs"))
        st.plotly_chart(runs_overlay_figure(records), key="runs_overlay")
        st.caption(
            _(
                "Comparing is for learning how the settings act. Picking the winner by its test "
                "accuracy would make that number optimistic: choose on a validation set."
            )
        )
    rows = [
        {
            _(column): status_word(value) if column == "outcome" else value
            for column, value in row.items()
        }
        for row in runs_table(records)
    ]
    st.dataframe(
        rows,
        hide_index=True,
        column_config={
            _("test acc (%)"): st.column_config.NumberColumn(format="%.2f"),
            _("test loss"): st.column_config.NumberColumn(format="%.4f"),
        },
    )
