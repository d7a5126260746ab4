"""Plotly line and scatter charts: training curves, the run comparisons, the interactive PCA;
heatmaps (images, templates, the confusion matrix) are in ui/figures.py, charts with nothing for
the browser to run in ui/bars_html.py. Pure functions -> go.Figure."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas  # noqa: F401 - whole before a figure is built: see tests/test_structure.py
import plotly.graph_objects as go

from ui.i18n import N_, _
from ui.i18n import percent as percent_text
from ui.pictures import CLASS_COLOURS

if TYPE_CHECKING:
    from ui.optimum import ReferenceLine

NOTEBOOK_TEST_ACC = 0.9241
TRAIN_COLOR, TEST_COLOR = "#1f77b4", "#d62728"
# Distinct hues per run (Streamlit's theme would draw them in shades of one colour).
RUN_COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2"]
_MARGIN = {"l": 10, "r": 10, "t": 40, "b": 10}
# A hover label that reads on every class colour: dark text on white, edged in the colour.
PCA_HOVER = {"bgcolor": "white", "font": {"color": "#1a1a1a", "size": 14}}
# st.plotly_chart config for charts where zooming has nothing to show (images, live charts that
# redraw within a second) and the toolbar would only cover the title.
NO_TOOLBAR = {"displayModeBar": False}
# The splits' names in legends (the data's keys stay English).
SPLIT_NAMES = {"train": N_("train"), "test": N_("test")}
# runs_overlay_figure's title per metric.
OVERLAY_TITLES = {
    "test_acc": N_("test acc of every run"),
    "train_acc": N_("train acc of every run"),
    "test_loss": N_("test loss of every run"),
    "train_loss": N_("train loss of every run"),
}


REFERENCE_STYLE = {"color": "#2ca02c", "dash": "dash", "width": 2}


def add_reference(fig: go.Figure, reference: ReferenceLine | None) -> go.Figure:
    """Draw `reference` (if any) as a dashed line across the chart, labelled at its right end."""
    if reference is not None:
        fig.add_hline(
            y=reference.value,
            line=REFERENCE_STYLE,
            annotation_text=reference.label,
            annotation_position="bottom right",
            name="reference",
        )
    return fig


def _layout(fig: go.Figure, title: str, height: int = 300) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0, "font": {"size": 15}},
        height=height,
        margin=_MARGIN,
        legend={"orientation": "h", "y": -0.25},
        hovermode="x unified",
    )
    return fig


def step_loss_traces(
    step_losses: Sequence[tuple[int, float]],
    steps_per_epoch: int,
    history: Sequence[dict] = (),
    log_every: int = 50,
) -> list[dict]:
    """step_loss_figure's data: the minibatch line (when there are points) and the train and
    test markers, as plain trace dicts."""
    traces = []
    if step_losses:
        steps, losses = np.asarray(step_losses, dtype=np.float64).T
        traces.append(
            {
                "type": "scatter",
                "x": steps / steps_per_epoch,
                "y": losses,
                "mode": "lines",
                "name": _("last {n} minibatches").format(n=log_every)
                if log_every > 1
                else _("minibatch"),
                "line": {"width": 1.5},
                "hovertemplate": _("epoch %{x:.2f}<br>cross-entropy %{y:.4f}<extra></extra>"),
            }
        )
    whole = {"train": N_("train set"), "test": N_("test set")}
    for split, symbol in (("train", "circle"), ("test", "diamond")):
        traces.append(
            {
                "type": "scatter",
                "x": [h["epoch"] for h in history],
                "y": [h[f"{split}_loss"] for h in history],
                "mode": "markers",
                "name": _(whole[split]),
                "marker": {"symbol": symbol, "size": 8},
            }
        )
    return traces


def step_loss_figure(
    step_losses: Sequence[tuple[int, float]],
    steps_per_epoch: int,
    history: Sequence[dict] = (),
    log_every: int = 50,
    reference: ReferenceLine | None = None,
) -> go.Figure:
    """Cross-entropy: the line is the mean over the last `log_every` minibatches
    (StepEvent.loss), the markers the whole train and test sets after each epoch; both without
    the L2 penalty, so they are the same quantity. `reference`: a dashed line (the optimum's
    training cross-entropy).

    x is in epochs, so the curve lines up with the per-epoch charts.
    """
    fig = go.Figure(step_loss_traces(step_losses, steps_per_epoch, history, log_every))
    fig.update_xaxes(title=_("epoch"), rangemode="tozero")
    fig.update_yaxes(title=_("cross-entropy"), rangemode="tozero")
    add_reference(fig, reference)
    return _layout(fig, _("Cross-entropy: minibatches (line), whole sets (markers)"))


def with_new_data(frame: dict, traces: list[dict]) -> go.Figure:
    """The figure `frame` (a checked figure's to_dict()) with `traces` as its data, built
    without Plotly's checks: a live chart redrawn every 0.75 s keeps its layout, and checking
    it again cost ~40 ms of server time a redraw (~5 ms this way), per visitor watching."""
    return go.Figure({"data": traces, "layout": frame["layout"]}, _validate=False)


def epoch_metric_figure(
    history: Sequence[dict],
    metric: str,
    on_mnist: bool = True,
    reference: ReferenceLine | None = None,
) -> go.Figure:
    """Train and test `metric` ("acc" or "loss") per epoch, over the full sets; accuracy on
    MNIST also shows the notebook's test result; `reference`: a dashed line (the optimum's)."""
    fig = go.Figure()
    epochs = [h["epoch"] for h in history]
    for split, color, dash in (("train", TRAIN_COLOR, None), ("test", TEST_COLOR, "dot")):
        fig.add_scatter(
            x=epochs,
            y=[h[f"{split}_{metric}"] for h in history],
            mode="lines+markers",
            name=_(SPLIT_NAMES[split]),
            line={"dash": dash, "color": color},
        )
    if metric == "acc":
        if on_mnist:
            fig.add_hline(
                y=NOTEBOOK_TEST_ACC,
                line={"color": "grey", "dash": "dash", "width": 1},
                annotation_text=_("notebook {accuracy} (one run)").format(
                    accuracy=percent_text(NOTEBOOK_TEST_ACC)
                ),
                annotation_position="top left",
            )
        fig.update_yaxes(tickformat=".1%")
        if not history:  # nothing yet: a sensible empty frame rather than autorange's guess
            fig.update_yaxes(range=[0.8, 1.0])
    add_reference(fig, reference)
    if not history:
        fig.update_xaxes(range=[0.5, 5.5])
    fig.update_xaxes(title=_("epoch"), dtick=1 if len(epochs) <= 20 else None)
    title = _("Accuracy per epoch") if metric == "acc" else _("Loss per epoch")
    return _layout(fig, title)


def runs_overlay_figure(runs: Sequence, metric: str = "test_acc") -> go.Figure:
    """One line per run of the session: `metric` per epoch, to compare settings."""
    fig = go.Figure()
    for i, run in enumerate(runs):
        fig.add_scatter(
            x=[h["epoch"] for h in run.history],
            y=[h[metric] for h in run.history],
            mode="lines+markers",
            name=run.name,
            line={"color": RUN_COLORS[i % len(RUN_COLORS)]},
        )
    if metric.endswith("acc"):
        fig.update_yaxes(tickformat=".1%")
    longest = max((len(run.history) for run in runs), default=0)
    # Whole epochs only; every run named, even when it is the only one with a curve.
    fig.update_xaxes(title=_("epoch"), dtick=1 if longest <= 20 else None)
    fig.update_layout(showlegend=True)
    title = (
        _(OVERLAY_TITLES[metric])
        if metric in OVERLAY_TITLES
        else _("{metric} of every run").format(metric=metric.replace("_", " "))
    )
    return _layout(fig, title, height=340)


def pca_figure(
    proj: np.ndarray,
    labels: np.ndarray,
    class_names: Sequence[str],
    *,
    indices: np.ndarray | None = None,
    height: int = 520,
) -> go.Figure:
    """2-D projection (N, 2) as WebGL scatter, one trace (legend entry) per class.

    Hover shows the class and the image index (`indices`, default the row number).
    """
    proj = np.asarray(proj)
    labels = np.asarray(labels)
    if proj.ndim != 2 or proj.shape[1] != 2 or len(labels) != len(proj):
        raise ValueError(f"proj must be (N, 2) with N labels, got {proj.shape} and {labels.shape}")
    index = np.arange(len(proj)) if indices is None else np.asarray(indices)
    fig = go.Figure()
    for k, name in enumerate(class_names):
        mask = labels == k
        colour = CLASS_COLOURS[k % len(CLASS_COLOURS)]
        fig.add_trace(
            go.Scattergl(
                x=proj[mask, 0],
                y=proj[mask, 1],
                mode="markers",
                name=str(name),
                customdata=index[mask],
                marker=dict(size=4, opacity=0.7, color=colour),
                hoverlabel={**PCA_HOVER, "bordercolor": colour},
                hovertemplate=_("class {name}<br>image #%{{customdata}}<extra></extra>").format(
                    name=name
                ),
            )
        )
    fig.update_layout(
        height=height,
        margin=dict(l=10, r=10, t=10, b=10),
        xaxis=dict(title=_("principal component 1"), zeroline=False),
        yaxis=dict(title=_("principal component 2"), zeroline=False),
        legend=dict(title=_("class"), itemsizing="constant"),
    )
    return fig
