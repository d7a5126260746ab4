"""Plotly heatmaps: weight templates with a hover per pixel (Experiments) and the clickable
confusion matrix. Pure functions -> go.Figure. Pictures (PNG in HTML, nothing for the browser to
lay out) are in ui/pictures.py; bar, line and scatter charts in ui/charts.py.

Weight templates are tiled on one canvas, one heatmap trace per class (so the hover can name the
class) on a single symmetric diverging colour axis: zero is white, positive red, negative blue.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas  # noqa: F401 - whole before a figure is built: see tests/test_structure.py
import plotly.graph_objects as go

from ui.i18n import _
from ui.pictures import DIVERGING, SIDE, symmetric_limit

GAP = 2  # empty pixel columns between tiles
_NO_AXIS = dict(visible=False, showgrid=False, zeroline=False)


def grid_shape(n: int, cols: int) -> tuple[int, int]:
    """(rows, cols) of a grid holding n tiles with at most `cols` per row."""
    if n <= 0:
        return 0, 0
    cols = max(1, min(cols, n))
    return -(-n // cols), cols


def title_band(tile_px: float, title_px: float = 18.0) -> int:
    """Pixel rows (data units) above each tile that leave `title_px` screen pixels for a title
    when a 28-pixel tile is drawn `tile_px` screen pixels tall."""
    return int(np.ceil(title_px * SIDE / tile_px))


class TileLayout:
    """Where tile k of a grid sits on the canvas (data units; y grows downwards).

    Each tile has `band` empty rows above it (for its title) and `gap` empty columns right of it.
    """

    def __init__(self, n: int, cols: int, band: int, gap: int = GAP):
        self.n = n
        self.rows, self.cols = grid_shape(n, cols)
        self.band, self.gap = band, gap
        self.step_y, self.step_x = SIDE + band, SIDE + gap
        self.height = self.rows * self.step_y
        self.width = max(self.cols * self.step_x - gap, 0)

    def origin(self, k: int) -> tuple[int, int]:
        """(top row, left column) of tile k's first pixel."""
        r, c = divmod(k, self.cols)
        return r * self.step_y + self.band, c * self.step_x

    def annotations(self, titles: Sequence[str], size: int = 12) -> list[dict]:
        notes = []
        for k, title in enumerate(titles):
            y, x = self.origin(k)
            notes.append(
                dict(
                    x=x + (SIDE - 1) / 2,
                    y=y - 0.5,
                    text=str(title),
                    showarrow=False,
                    xref="x",
                    yref="y",
                    yanchor="bottom",
                    font=dict(size=size),
                )
            )
        return notes


def _image_layout(
    fig: go.Figure, width: float, height: float, px_per_unit: float, top: int = 0, right: int = 0
) -> None:
    """Equal-aspect, axis-free image layout over data box [0, width) x [0, height), y down."""
    fig.update_layout(
        height=int(round(height * px_per_unit)) + top + 4,
        margin=dict(l=0, r=right, t=top, b=4),
        plot_bgcolor="rgba(0,0,0,0)",
        paper_bgcolor="rgba(0,0,0,0)",
        hoverlabel=dict(namelength=-1),
    )
    fig.update_xaxes(**_NO_AXIS, range=[-0.5, width - 0.5], constrain="domain")
    fig.update_yaxes(
        **_NO_AXIS, range=[height - 0.5, -0.5], scaleanchor="x", scaleratio=1, constrain="domain"
    )


_PIXEL_RC = np.stack(np.meshgrid(np.arange(SIDE), np.arange(SIDE), indexing="ij"), -1).astype(
    np.int8
)  # (28, 28, 2): (row, col) of each pixel, for hovers


def templates_figure(
    W: np.ndarray,
    class_names: Sequence[str],
    cols: int = 5,
    *,
    zmax: float | None = None,
    tile_px: int = 125,
) -> go.Figure:
    """The C templates W[:, k] (W is (784, C)) as 28x28 heatmaps, one shared symmetric scale.

    One heatmap trace per class (named after it, for the hover) on a single colour axis:
    zero is white, limits +-m with m = max |W| (or `zmax`), one colour bar. Builds in a few ms.
    """
    W = np.asarray(W)
    if W.ndim != 2 or W.shape[0] != SIDE * SIDE:
        raise ValueError(f"W must be (784, C), got shape {W.shape}")
    n_classes = W.shape[1]
    if len(class_names) != n_classes:
        raise ValueError(f"W has {n_classes} columns but {len(class_names)} class names")
    m = symmetric_limit(W) if zmax is None else float(zmax)
    grid = TileLayout(n_classes, cols, band=title_band(tile_px, 20))
    templates = W.T.reshape(n_classes, SIDE, SIDE).astype(np.float32, copy=False)
    traces = []
    for k in range(n_classes):
        y0, x0 = grid.origin(k)
        traces.append(
            go.Heatmap(
                z=templates[k],
                x0=x0,
                dx=1,
                y0=y0,
                dy=1,
                customdata=_PIXEL_RC,
                name=str(class_names[k]),
                coloraxis="coloraxis",
                hovertemplate=_(
                    "class %{fullData.name}<br>pixel (row %{customdata[0]}, "
                    "col %{customdata[1]})<br>weight %{z:.4f}<extra></extra>"
                ),
            )
        )
    fig = go.Figure(traces)
    fig.update_layout(
        coloraxis=dict(
            colorscale=DIVERGING,
            cmin=-m,
            cmid=0.0,
            cmax=m,
            colorbar=dict(title=dict(text=_("weight"), side="right"), thickness=12, len=0.9),
        ),
        annotations=grid.annotations(class_names, size=13),
        showlegend=False,
    )
    _image_layout(fig, grid.width, grid.height, tile_px / SIDE, right=10)
    return fig


def _confusion_hover() -> str:
    """A confusion cell's hover: true and predicted class, count and share of the true class."""
    return _(
        "true %{customdata[0]}, predicted %{customdata[1]}<br>"
        "%{customdata[2]} images (%{customdata[3]:.1%} of true %{customdata[0]})"
        "<extra></extra>"
    )


def confusion_figure(cm: np.ndarray, class_names: Sequence[str], *, height: int = 520) -> go.Figure:
    """Annotated confusion matrix: rows true class, columns predicted, cells show counts.

    Colour is log(1 + count) so the few mistakes stay visible beside the big diagonal. Heatmap
    traces are not selectable in Streamlit, so an invisible scatter of cell centres (trace 1)
    carries the hover and the click: a selected point has x = predicted index, y = true index
    (see `confusion_cell_from_selection`). The picked cell stays framed in orange (the
    scatter's selected style) because the figure is the same in the next script run: a figure
    that changed would make Streamlit drop the selection.
    """
    cm = np.asarray(cm)
    n = len(class_names)
    if cm.shape != (n, n):
        raise ValueError(f"confusion matrix must be ({n}, {n}), got {cm.shape}")
    names = [str(c) for c in class_names]
    idx = np.arange(n)
    row_totals = cm.sum(axis=1, keepdims=True)
    share = np.divide(cm, row_totals, out=np.zeros(cm.shape, float), where=row_totals > 0)
    heat = go.Heatmap(
        z=np.log1p(cm.astype(np.float64)),
        x=idx,
        y=idx,
        text=cm,
        texttemplate="%{text}",
        colorscale="Blues",
        showscale=False,
        hoverinfo="skip",
        xgap=1,
        ygap=1,
    )
    cells = _cell_markers(cm, names, share)
    fig = go.Figure([heat, cells])
    axis = dict(tickmode="array", tickvals=idx, ticktext=names, showgrid=False, zeroline=False)
    fig.update_xaxes(
        **axis, title=_("predicted"), side="top", range=[-0.5, n - 0.5], constrain="domain"
    )
    fig.update_yaxes(
        **axis, title=_("true"), range=[n - 0.5, -0.5], scaleanchor="x", constrain="domain"
    )
    fig.update_layout(
        height=height,
        margin=dict(l=10, r=10, t=50, b=10),
        hovermode="closest",
        hoverdistance=-1,
        clickmode="event+select",
        dragmode=False,
    )
    return fig


def _cell_markers(cm: np.ndarray, names: list[str], share: np.ndarray) -> go.Scatter:
    """The invisible scatter of cell centres that carries the hover and the click."""
    idx = np.arange(len(names))
    true_i, pred_i = np.meshgrid(idx, idx, indexing="ij")
    customdata = [
        [names[t], names[p], int(cm[t, p]), float(share[t, p])]
        for t, p in zip(true_i.ravel(), pred_i.ravel(), strict=True)
    ]
    cells = go.Scatter(
        x=pred_i.ravel(),
        y=true_i.ravel(),
        mode="markers",
        customdata=customdata,
        marker=dict(
            symbol="square-open",
            size=28,
            color="rgba(0,0,0,0)",
            opacity=0,
            line=dict(width=3, color="#ff7f0e"),
        ),
        selected=dict(marker=dict(opacity=1)),
        unselected=dict(marker=dict(opacity=0)),
        hovertemplate=_confusion_hover(),
        showlegend=False,
    )
    return cells


def confusion_cell_from_selection(selection) -> tuple[int, int] | None:
    """(true, predicted) of the cell picked in a confusion_figure chart, else None.

    `selection` is the `.selection` of st.plotly_chart's return value (or that dict itself).
    """
    if selection is None:
        return None
    if hasattr(selection, "selection"):
        selection = selection.selection
    points = selection.get("points", []) if hasattr(selection, "get") else []
    for point in points:
        if point.get("curve_number", point.get("curveNumber")) == 1:
            return int(point["y"]), int(point["x"])
    return None
