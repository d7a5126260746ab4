"""The Train page's sections below the live run: the last run's result, where the current model
goes wrong (confusion matrix and its images), and this session's runs compared."""

from __future__ import annotations

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


def show_result(record: RunRecord) -> None:
    """Summary of a run: how it ended, its final metrics and its curves."""
    st.subheader(f"Result of {record.name}")
    if record.outcome in (RunStatus.DIVERGED, RunStatus.FAILED):
        st.error(f"💥 {record.message}")
    elif record.outcome == RunStatus.STOPPED:
        done = len(record.history)
        st.warning(f"{record.message} after {done} epoch{'s' if done != 1 else ''}.")
    if not record.history:
        st.caption("No epoch finished, so there is no model from this run.")
        return
    last = record.history[-1]
    on_mnist = record.dataset == "mnist"
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
        width=METRIC_PX + 60,
    )
    left, right = st.columns(2)
    left.plotly_chart(epoch_metric_figure(record.history, "loss"), key="result_loss")
    right.plotly_chart(
        epoch_metric_figure(record.history, "acc", on_mnist=on_mnist), key="result_acc"
    )


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
        f"{len(dataset.test_labels):,} test images. Click a cell to see those images."
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
    st.dataframe(
        runs_table(records),
        hide_index=True,
        column_config={
            "test acc (%)": st.column_config.NumberColumn(format="%.2f"),
            "test loss": st.column_config.NumberColumn(format="%.4f"),
        },
    )
