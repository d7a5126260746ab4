"""Heatmaps: arrays drawn cell by cell (28x28 images, weight templates, the confusion matrix);
bar, line and scatter charts of numbers are in ui/charts.py. Pure functions -> go.Figure, or
HTML with PNG pictures where hovering a cell would add nothing (the browser draws a picture at
once; a Plotly heatmap costs it tens of milliseconds on every page switch).

Images are given as (784,) rows or (28, 28). Weight templates are tiled on one canvas, one
heatmap trace per class (so the hover can name the class) on a single symmetric diverging colour
axis: zero is white, positive red, negative blue.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence

import numpy as np
import pandas  # noqa: F401 - whole before a figure is built: see tests/test_structure.py
import plotly.colors as pc
import plotly.graph_objects as go
from PIL import Image

from ui.i18n import _
from ui.images import GRID_STYLE

SIDE = 28
GAP = 2  # empty pixel columns between tiles

# ColorBrewer RdBu reversed (blue = negative, red = positive) with an exactly white middle.
DIVERGING = [
    [0.0, "rgb(5,48,97)"],
    [0.1, "rgb(33,102,172)"],
    [0.2, "rgb(67,147,195)"],
    [0.3, "rgb(146,197,222)"],
    [0.4, "rgb(209,229,240)"],
    [0.5, "rgb(255,255,255)"],
    [0.6, "rgb(253,219,199)"],
    [0.7, "rgb(244,165,130)"],
    [0.8, "rgb(214,96,77)"],
    [0.9, "rgb(178,24,43)"],
    [1.0, "rgb(103,0,31)"],
]
GREYS = [[0.0, "rgb(0,0,0)"], [1.0, "rgb(255,255,255)"]]
VIRIDIS = [[k / 9, colour] for k, colour in enumerate(pc.sequential.Viridis)]  # 10 stops
_NO_AXIS = dict(visible=False, showgrid=False, zeroline=False)


def as_images(images: np.ndarray) -> np.ndarray:
    """(N, 784) or (N, 28, 28) or a single (784,) / (28, 28) -> (N, 28, 28) view."""
    arr = np.asarray(images)
    if arr.ndim == 1 or (arr.ndim == 2 and arr.shape == (SIDE, SIDE)):
        arr = arr.reshape(1, -1)
    if arr.ndim == 2:
        if arr.shape[1] != SIDE * SIDE:
            raise ValueError(f"images must have {SIDE * SIDE} pixels per row, got {arr.shape}")
        return arr.reshape(-1, SIDE, SIDE)
    if arr.ndim == 3 and arr.shape[1:] == (SIDE, SIDE):
        return arr
    raise ValueError(f"images must be (N, 784) or (N, 28, 28), got shape {arr.shape}")


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


def _symmetric_limit(values: np.ndarray) -> float:
    m = float(np.nanmax(np.abs(values))) if np.size(values) else 0.0
    return m if np.isfinite(m) and m > 0 else 1.0


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
    m = _symmetric_limit(W) if zmax is None else float(zmax)
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


def rgb_triplet(colour: str) -> list[int]:
    """ "rgb(r,g,b)" or "#rrggbb" -> [r, g, b]."""
    if colour.startswith("#"):
        return [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    return [int(c) for c in colour[4:-1].split(",")]


def scale_rgb(values: np.ndarray, low: float, high: float, scale: list) -> np.ndarray:
    """Values (...) coloured on `scale` ([[stop, colour], ...]) over [low, high] (clipped):
    uint8 (..., 3)."""
    stops = np.array([stop for stop, _colour in scale], dtype=float)
    colours = np.array([rgb_triplet(colour) for _stop, colour in scale], dtype=float)
    position = np.clip((np.asarray(values, dtype=np.float64) - low) / (high - low), 0, 1)
    channels = [np.interp(position, stops, colours[:, c]) for c in range(3)]
    return np.round(np.stack(channels, axis=-1)).astype(np.uint8)


def diverging_rgb(values: np.ndarray, limit: float) -> np.ndarray:
    """Values (...) coloured on DIVERGING over [-limit, +limit] (white at 0, clipped outside):
    uint8 (..., 3)."""
    return scale_rgb(values, -limit, limit, DIVERGING)


def rgb_data_uri(rgb: np.ndarray) -> str:
    """(H, W, 3) uint8 as a PNG data URI."""
    out = io.BytesIO()
    Image.fromarray(rgb).save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def templates_grid_html(
    W: np.ndarray,
    class_names: Sequence[str],
    *,
    zmax: float | None = None,
    tile_px: int = 60,
    cols: int = 5,
) -> str:
    """The C templates W[:, k] (W is (784, C)) as coloured pictures in a grid that reflows to the
    page (tiles at least `tile_px` wide, at most `cols` a row), each over its class name, on one
    symmetric scale ±zmax (default max |W|), with a colour key under them. Pictures, not
    heatmaps: a phone gets tiles it can read, and the page has no chart to lay out."""
    W = np.asarray(W)
    if W.ndim != 2 or W.shape[0] != SIDE * SIDE or W.shape[1] != len(class_names):
        raise ValueError(f"W must be (784, {len(class_names)}), got shape {W.shape}")
    limit = _symmetric_limit(W) if zmax is None else float(zmax)
    tiles = []
    for k, name in enumerate(class_names):
        picture = W[:, k].reshape(SIDE, SIDE)
        tip = html.escape(
            _("class {name}: weights from {low} to {high}").format(
                name=name, low=f"{picture.min():+.3g}", high=f"{picture.max():+.3g}"
            ),
            quote=True,
        )
        tiles.append(
            f'<figure><img src="{rgb_data_uri(diverging_rgb(picture, limit))}" alt="{tip}" '
            f'title="{tip}"><figcaption>{html.escape(str(name))}</figcaption></figure>'
        )
    style = f"--tile: {tile_px}px; --cols: {cols}"
    return (
        f'{GRID_STYLE}<div class="digit-grid" style="{style}">{"".join(tiles)}</div>'
        f"{colour_key_html(limit)}"
    )


def colour_key_html(limit: float) -> str:
    """A horizontal colour bar from -limit (blue) through 0 (white) to +limit (red)."""
    return _key_html(f"−{limit:.3g}", f"+{limit:.3g}", DIVERGING)


def _key_html(low: str, high: str, scale: list, max_px: int = 420) -> str:
    gradient = ", ".join(colour for _stop, colour in scale)
    return (
        '<div style="display:flex; align-items:center; gap:6px; font-size:13px; '
        f'margin:-0.5rem 0 0.5rem; max-width:{max_px}px">'
        f"<span>{low}</span>"
        f'<div style="flex:1; height:10px; border:1px solid #999; '
        f'background:linear-gradient(to right, {gradient})"></div>'
        f"<span>{high}</span></div>"
    )


PICTURE_STYLE = """<style>
.picture28 {margin: 0 0 1rem; width: 100%;}
.picture28 figcaption {text-align: center; font-size: 14px; margin-bottom: 4px;}
.picture28 img {display: block; width: 100%; aspect-ratio: 1; image-rendering: pixelated;}
</style>"""


def picture_html(
    image: np.ndarray,
    title: str = "",
    *,
    diverging: bool = False,
    zmax: float | None = None,
    scale: list | None = None,
    max_px: int = 280,
) -> str:
    """One 28x28 image (784,) or (28, 28) as a coloured picture under its title, with its colour
    key; at most `max_px` wide. diverging=True: ±zmax (default max |image|) on DIVERGING, white
    at zero. Otherwise 0..zmax (default the maximum) on `scale` (default GREYS). A picture, not a
    heatmap: nothing for the browser to lay out, and it stays readable on a phone."""
    img = as_images(image)[0].astype(np.float64)
    if diverging:
        top = _symmetric_limit(img) if zmax is None else float(zmax)
        low, scale, ends = -top, scale or DIVERGING, (f"−{top:.3g}", f"+{top:.3g}")
    else:
        top = float(np.nanmax(img)) if zmax is None else float(zmax)
        top = top if top > 0 else 1.0
        low, scale, ends = 0.0, scale or GREYS, ("0", f"{top:.3g}")
    ends_of_values = {"low": f"{img.min():.3g}", "high": f"{img.max():.3g}"}
    if title:
        tip = _("{title}: values from {low} to {high}").format(title=title, **ends_of_values)
    else:
        tip = _("Values from {low} to {high}").format(**ends_of_values)
    tip = html.escape(tip, quote=True)
    caption = f"<figcaption>{html.escape(title)}</figcaption>" if title else ""
    return (
        f'{PICTURE_STYLE}<figure class="picture28" style="max-width:{max_px}px">{caption}'
        f'<img src="{rgb_data_uri(scale_rgb(img, low, top, scale))}" alt="{tip}" title="{tip}">'
        f"</figure>{_key_html(*ends, scale, max_px)}"
    )
