"""Pictures: arrays drawn as PNG images in HTML (28x28 images, weight templates, colour keys),
and the colour scales they share with the Plotly figures of ui/figures.py and ui/charts.py.

No Plotly, no pandas: a page that shows only pictures does not import pandas (about half a
second on a fresh server). Images are given as (784,) rows or (28, 28).
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence

import numpy as np
from PIL import Image

from ui.i18n import _
from ui.images import GRID_STYLE

SIDE = 28

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
# Plotly's (and matplotlib's) Viridis, its ten stops written out: this module needs no Plotly.
VIRIDIS_COLOURS = (
    "#440154",
    "#482878",
    "#3e4989",
    "#31688e",
    "#26828e",
    "#1f9e89",
    "#35b779",
    "#6ece58",
    "#b5de2b",
    "#fde725",
)
VIRIDIS = [[k / 9, colour] for k, colour in enumerate(VIRIDIS_COLOURS)]
# One colour per class: Tableau's ten (matplotlib's tab10), ten clearly different hues.
# Plotly's default cycle gave 4, 7 and 9 (the digits whose clouds overlap most) three pale
# hues alike (orange, light green, yellow); here they are purple, grey and cyan.
CLASS_COLOURS = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)


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


def symmetric_limit(values: np.ndarray) -> float:
    m = float(np.nanmax(np.abs(values))) if np.size(values) else 0.0
    return m if np.isfinite(m) and m > 0 else 1.0


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
    limit = symmetric_limit(W) if zmax is None else float(zmax)
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
        top = symmetric_limit(img) if zmax is None else float(zmax)
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
