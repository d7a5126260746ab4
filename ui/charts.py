"""Line and bar charts for the Train and Draw pages (heatmaps live in ui/figures.py)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

NOTEBOOK_TEST_ACC = 0.9241
TRAIN_COLOR, TEST_COLOR = "#1f77b4", "#d62728"
# Distinct hues per run (Streamlit's theme would draw them in shades of one colour).
RUN_COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2"]
_MARGIN = {"l": 10, "r": 10, "t": 40, "b": 10}
# st.plotly_chart config for charts where zooming has nothing to show (images, live charts that
# redraw within a second) and the toolbar would only cover the title.
NO_TOOLBAR = {"displayModeBar": False}


def _layout(fig: go.Figure, title: str, height: int = 300) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0, "font": {"size": 15}},
        height=height,
        margin=_MARGIN,
        legend={"orientation": "h", "y": -0.25},
        hovermode="x unified",
    )
    return fig


def step_loss_figure(
    step_losses: Sequence[tuple[int, float]],
    steps_per_epoch: int,
    history: Sequence[dict] = (),
    log_every: int = 50,
) -> go.Figure:
    """Minibatch loss every k steps, with the full train and test loss after each epoch.

    x is in epochs, so the curve lines up with the per-epoch charts.
    """
    fig = go.Figure()
    if step_losses:
        steps, losses = np.asarray(step_losses, dtype=np.float64).T
        fig.add_scatter(
            x=steps / steps_per_epoch,
            y=losses,
            mode="lines",
            name="minibatch loss",
            line={"width": 1.5},
            hovertemplate="epoch %{x:.2f}<br>loss %{y:.4f}<extra></extra>",
        )
    for split, symbol in (("train", "circle"), ("test", "diamond")):
        fig.add_scatter(
            x=[h["epoch"] for h in history],
            y=[h[f"{split}_loss"] for h in history],
            mode="markers",
            name=f"{split} loss (whole set)",
            marker={"symbol": symbol, "size": 8},
        )
    fig.update_xaxes(title="epoch", rangemode="tozero")
    fig.update_yaxes(title="cross-entropy", rangemode="tozero")
    return _layout(fig, f"Loss: minibatches (every {log_every} steps), whole sets per epoch")


def epoch_metric_figure(history: Sequence[dict], metric: str, on_mnist: bool = True) -> go.Figure:
    """Train and test `metric` ("acc" or "loss") per epoch, over the full sets; accuracy on
    MNIST also shows the notebook's test result."""
    fig = go.Figure()
    epochs = [h["epoch"] for h in history]
    for split, color, dash in (("train", TRAIN_COLOR, None), ("test", TEST_COLOR, "dot")):
        fig.add_scatter(
            x=epochs,
            y=[h[f"{split}_{metric}"] for h in history],
            mode="lines+markers",
            name=split,
            line={"dash": dash, "color": color},
        )
    if metric == "acc":
        if on_mnist:
            fig.add_hline(
                y=NOTEBOOK_TEST_ACC,
                line={"color": "grey", "dash": "dash", "width": 1},
                annotation_text="notebook 92.41%",
                annotation_position="top left",
            )
        fig.update_yaxes(tickformat=".1%")
        if not history:  # nothing yet: a sensible empty frame rather than autorange's guess
            fig.update_yaxes(range=[0.8, 1.0])
    if not history:
        fig.update_xaxes(range=[0.5, 5.5])
    fig.update_xaxes(title="epoch", dtick=1 if len(epochs) <= 20 else None)
    title = "Accuracy per epoch" if metric == "acc" else "Loss per epoch"
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
    fig.update_xaxes(title="epoch", dtick=1 if longest <= 20 else None)
    fig.update_layout(showlegend=True)
    return _layout(fig, f"{metric.replace('_', ' ')} of every run", height=340)


def class_bar_figure(
    values: np.ndarray,
    class_names: Sequence[str],
    title: str,
    highlight: int | None = None,
    percent: bool = True,
) -> go.Figure:
    """One bar per class (probabilities, per-class accuracy), optionally one highlighted."""
    colors = ["#1f77b4"] * len(values)
    if highlight is not None:
        colors[highlight] = "#d62728"
    fig = go.Figure(
        go.Bar(
            x=list(class_names),
            y=values,
            marker_color=colors,
            text=[f"{v:.1%}" if percent else f"{v:.3g}" for v in values],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{x}: %{y:.4f}<extra></extra>",
        )
    )
    fig.update_xaxes(type="category")
    if percent:
        fig.update_yaxes(tickformat=".0%", range=[0, 1.12])
    fig = _layout(fig, title)
    fig.update_layout(hovermode="closest")
    return fig


def logit_parts_figure(
    pixel_sum: np.ndarray, bias: np.ndarray, class_names: Sequence[str]
) -> go.Figure:
    """How each logit is made: the pixel evidence x·W[:, k] plus the bias b_k, stacked."""
    fig = go.Figure()
    names = list(class_names)
    fig.add_bar(x=names, y=pixel_sum, name="pixels: x · W[:, k]")
    fig.add_bar(x=names, y=bias, name="bias b_k")
    fig.add_scatter(
        x=names,
        y=pixel_sum + bias,
        mode="markers",
        name="logit",
        marker={"symbol": "diamond", "size": 11, "color": "black"},
    )
    fig.update_layout(barmode="relative")
    fig.update_xaxes(type="category")
    fig = _layout(fig, "Logit of each class = pixel evidence + bias")
    fig.update_layout(hovermode="x unified")
    return fig
