"""A 2-D scatter of many points as one picture: drawn in NumPy, sent as a PNG.

Explore's PCA shows 3,000 points. As a Plotly chart (WebGL or SVG) it cost about 0.5-0.9 s of
the browser's time on every visit of the page; as a picture about as much as one image. The
Plotly chart stays one toggle away, for hovering a point and hiding classes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

import numpy as np

from ui.pictures import rgb_data_uri, rgb_triplet

PAD = 0.03  # of each side, so that the outermost dots are whole


def scatter_rgb(
    points: np.ndarray,
    labels: np.ndarray,
    colours: Sequence[str],
    width: int,
    height: int,
    radius: float = 4.0,
    alpha: float = 0.7,
) -> np.ndarray:
    """Points (N, 2) as dots of radius `radius` px on white, in their class's colour
    (colours[label % len(colours)]), blended with `alpha` in the order given; y points up.
    Returns (height, width, 3) uint8."""
    points = np.asarray(points, dtype=np.float64)
    labels = np.asarray(labels)
    if points.ndim != 2 or points.shape[1] != 2 or len(labels) != len(points):
        raise ValueError(f"points must be (N, 2) with N labels, got {points.shape}, {labels.shape}")
    low, high = points.min(axis=0), points.max(axis=0)
    span = np.where(high > low, high - low, 1.0)
    unit = (points - low) / span  # (N, 2) in [0, 1]
    x = np.round(PAD * width + unit[:, 0] * (1 - 2 * PAD) * (width - 1)).astype(int)
    y = np.round((1 - PAD) * (height - 1) - unit[:, 1] * (1 - 2 * PAD) * (height - 1)).astype(int)
    reach = math.ceil(radius)
    dy, dx = np.mgrid[-reach : reach + 1, -reach : reach + 1]
    inside = dx**2 + dy**2 <= radius**2
    dy, dx = dy[inside], dx[inside]
    rgb = np.array([rgb_triplet(c) for c in colours], dtype=np.float32)[labels % len(colours)]
    canvas = np.full((height, width, 3), 255.0, dtype=np.float32)
    for xi, yi, colour in zip(x, y, rgb, strict=True):
        rows, cols = yi + dy, xi + dx
        keep = (rows >= 0) & (rows < height) & (cols >= 0) & (cols < width)
        rows, cols = rows[keep], cols[keep]
        canvas[rows, cols] = canvas[rows, cols] * (1 - alpha) + colour * alpha
    return np.round(canvas).astype(np.uint8)


def scatter_uri(points, labels, colours: Sequence[str], width: int, height: int) -> str:
    """The scatter (see scatter_rgb) as a PNG data URI, drawn at twice width x height so that it
    stays sharp on high-density screens."""
    return rgb_data_uri(scatter_rgb(points, labels, colours, 2 * width, 2 * height))


def scatter_picture_html(
    uri: str,
    class_names: Sequence[str],
    colours: Sequence[str],
    *,
    axis_titles: tuple[str, str],
    legend_title: str,
    alt: str,
    width: int,
) -> str:
    """The picture `uri` (from scatter_uri) with its axis titles and a legend of the class
    colours, as HTML at most `width` px wide."""
    x_title, y_title = (escape(t) for t in axis_titles)
    legend = "".join(
        f'<span style="white-space: nowrap"><span style="display: inline-block; width: 10px; '
        f"height: 10px; border-radius: 50%; background: {colours[k % len(colours)]}; "
        f'margin-right: 4px"></span>{escape(str(name))}</span>'
        for k, name in enumerate(class_names)
    )
    return (
        f'<figure style="margin: 0; max-width: {width + 24}px; font-size: 13px; color: #31333f">'
        '<div style="display: flex; align-items: center; gap: 4px">'
        # Sideways glyphs: Chinese titles read bottom to top like Latin ones, not upside down.
        '<div style="writing-mode: vertical-rl; text-orientation: sideways; '
        'transform: rotate(180deg); white-space: nowrap">'
        f"{y_title}</div>"
        f'<img src="{uri}" alt="{escape(alt)}" '
        'style="width: 100%; min-width: 0; border: 1px solid #d5d5d8"></div>'
        f'<div style="text-align: center">{x_title}</div>'
        '<figcaption style="display: flex; flex-wrap: wrap; gap: 4px 14px; margin-top: 6px">'
        f"<strong>{escape(legend_title)}</strong>{legend}</figcaption></figure>"
    )
