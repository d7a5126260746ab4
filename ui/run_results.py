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
from ui.charts import NOTEBOOK_TEST_ACC, class_bar_figure, epoch_metric_figure, runs_overlay_figure
from ui.figures import confusion_cell_from_selection, confusion_figure
from ui.images import image_grid_html
from ui.live_panel import METRIC_PX
from ui.state import ModelEntry, RunRecord

# Test images shown for one confusion-matrix cell.
MAX_EXAMPLES = 40
# The settings in the runs table: TrainConfig field -> column.
SETTING_COLUMNS = {
    "lr": "learning rate",
    "batch_size": "batch size",
    "epochs": "epochs",
    "init_scale": "init scale",
    "l2": "L2",
    "seed": "seed",
}
# ln 10: the loss of giving all ten classes probability 1/10.
UNIFORM_GUESS_LOSS = math.log(10)
NOTEBOOK_SPREAD_HELP = (
    "The notebook's 92.41% is one run with an unknown seed. The same settings with seeds 0–19 end "
    "at 92.14–92.41%, and one run moves by up to 0.4 points between late epochs: differences of a "
    "few tenths of a point are noise."
)
VALIDATION_NOTE = (
    "**Test accuracy is shown to watch, not to choose with.** If you pick the learning rate, the "
    "number of epochs or the run by its test accuracy, the test set has become part of training "
    "and its number is optimistic: picking the best of several noisy numbers favours a lucky "
    "one. Choose settings on a *validation* set (part of the training images held out) and look "
    "at the test set once, at the end."
)
LOSS_VS_ACCURACY = (
    "Accuracy counts the images whose most probable class is the right one; the loss averages "
    r"$-\log p_{\text{true}}$, so it also charges for *how sure* the model was. A model can be "
    "right as often as another and still have a much larger loss, if its mistakes give the true "
    r"class a probability near 0 ($-\log 10^{-20} \approx 46$)."
)


def is_overconfident(last: dict) -> bool:
    """An epoch whose train loss is worse than guessing uniformly while most answers are right."""
    return last["train_loss"] > UNIFORM_GUESS_LOSS and last["train_acc"] >= 0.5


def show_result(record: RunRecord) -> None:
    """Summary of a run: how it ended, its final metrics and its curves."""
    st.subheader(f"Result of {record.name}")
    if record.outcome in (RunStatus.DIVERGED, RunStatus.FAILED):
        st.error(f"💥 {record.message}")
    elif record.outcome == RunStatus.STOPPED:
        done = len(record.history)
        st.warning(f"{record.message}. Epochs finished: {done}.")
    if not record.history:
        st.caption("No epoch finished, so there is no model from this run.")
        return
    last = record.history[-1]
    on_mnist = record.dataset == "mnist"
    if record.outcome != RunStatus.DIVERGED and is_overconfident(last):
        st.warning(
            f"**Overconfident, but learning.** {last['train_acc']:.1%} of the training images are "
            f"right, yet the loss {last['train_loss']:.3g} is above ln 10 ≈ 2.3, the loss of "
            "guessing all ten classes equally: a large learning rate made the weights large, so "
            "the model is almost certain of every answer, and each mistake gives the true class a "
            "probability near 0, whose $-\\log$ is huge."
        )
    metrics = st.container(horizontal=True)
    metrics.metric("Time", f"{record.seconds:.1f} s", width=METRIC_PX)
    metrics.metric("Train loss", f"{last['train_loss']:.4f}", width=METRIC_PX)
    metrics.metric("Train accuracy", f"{last['train_acc']:.2%}", width=METRIC_PX)
    metrics.metric("Test loss", f"{last['test_loss']:.4f}", width=METRIC_PX)
    metrics.metric(
        "Test accuracy",
        f"{last['test_acc']:.2%}",
        delta=f"{(last['test_acc'] - NOTEBOOK_TEST_ACC) * 100:+.2f} pts vs notebook"
        if on_mnist
        else None,
        help=NOTEBOOK_SPREAD_HELP if on_mnist else None,
        width=METRIC_PX + 60,
    )
    left, right = st.columns(2)
    left.plotly_chart(epoch_metric_figure(record.history, "loss"), key="result_loss")
    left.caption(LOSS_VS_ACCURACY)
    right.plotly_chart(
        epoch_metric_figure(record.history, "acc", on_mnist=on_mnist), key="result_acc"
    )
    right.caption(VALIDATION_NOTE)


def predicted_classes(model: SoftmaxRegression, dataset: Dataset) -> np.ndarray:
    """The class the model predicts for each test image (N,)."""
    return predict_proba_uint8(model, dataset.test_images).argmax(axis=1)


def cell_examples(
    labels: np.ndarray, predicted: np.ndarray, true_class: int, predicted_class: int
) -> np.ndarray:
    """Indices of the images of `true_class` that were predicted as `predicted_class`."""
    return np.flatnonzero((labels == true_class) & (predicted == predicted_class))


def show_confusion(entry: ModelEntry, dataset: Dataset) -> None:
    """The current model's confusion matrix on the test set; a clicked cell shows its images."""
    st.subheader("Where it goes wrong")
    st.caption(
        f"Confusion matrix of the current model, {entry.name}, on the "
        f"{len(dataset.test_labels):,} test images. The colour is on a log scale, "
        "log(1 + count), so the few mistakes stay visible beside the diagonal. Click a cell to "
        "see those images."
    )
    predicted = predicted_classes(entry.model, dataset)
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
    _, recall = per_class_precision_recall(cm)
    right.plotly_chart(
        class_bar_figure(recall, names, "Accuracy per class (recall)"), key="per_class"
    )
    cell = confusion_cell_from_selection(picked)
    if cell is None:
        return
    true_k, pred_k = cell
    matches = cell_examples(dataset.test_labels, predicted, true_k, pred_k)
    st.markdown(
        f"**{len(matches)} test images of {names[true_k]} predicted as {names[pred_k]}**"
        + (f" (the first {MAX_EXAMPLES})" if len(matches) > MAX_EXAMPLES else "")
    )
    if len(matches):
        shown = matches[:MAX_EXAMPLES]
        st.container(key="confusion_examples").html(
            image_grid_html(
                dataset.test_images[shown],
                [f"#{i}" for i in shown],
                tooltips=[f"test image #{i}" for i in shown],
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
            **{column: r.config[key] for key, column in SETTING_COLUMNS.items()},
            "epochs done": len(r.history),
            "test acc (%)": 100 * r.history[-1]["test_acc"] if r.history else nan,
            "test loss": r.history[-1]["test_loss"] if r.history else nan,
            "seconds": round(r.seconds, 1),
        }
        for r in records
    ]


def show_runs(records: list[RunRecord]) -> None:
    """This session's runs: their curves overlaid (from two runs on), and a table."""
    if len(records) > 1:
        st.subheader("Compare this session's runs")
        st.plotly_chart(runs_overlay_figure(records), key="runs_overlay")
        st.caption(
            "Comparing is for learning how the settings act. Picking the winner by its test "
            "accuracy would make that number optimistic: choose on a validation set."
        )
    st.dataframe(
        runs_table(records),
        hide_index=True,
        column_config={
            "test acc (%)": st.column_config.NumberColumn(format="%.2f"),
            "test loss": st.column_config.NumberColumn(format="%.4f"),
        },
    )
