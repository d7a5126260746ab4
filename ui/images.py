"""Small grey pictures as PNG data URIs, alone (for st.image) or as a grid of digits (st.html).

st.image of an array stores a media file that the browser fetches afterwards, and deletes it
after the next script run: on a busy server a quick second stroke on the canvas can run first,
and the browser then gets a 404 and shows a broken picture. A data URI travels inside the page's
own message instead.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence

import numpy as np
from PIL import Image


def png_bytes(gray: np.ndarray) -> bytes:
    """(H, W) values in [0, 1] (clipped) as an 8-bit greyscale PNG."""
    if gray.ndim != 2 or 0 in gray.shape:
        raise ValueError(f"need a non-empty (H, W) image, got shape {gray.shape}")
    pixels = np.round(np.clip(gray, 0.0, 1.0) * 255).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="PNG")  # a 2-D uint8 array is an "L" image
    return out.getvalue()


def png_data_uri(gray: np.ndarray) -> str:
    """(H, W) values in [0, 1] as a `data:image/png;base64,...` URI."""
    return "data:image/png;base64," + base64.b64encode(png_bytes(gray)).decode("ascii")


# Tiles of at least --tile px, as many a row as fit up to --cols (a tenth of the width each):
# 10 on a laptop, 5 on a phone. Nearest-neighbour scaling keeps the 28 x 28 pixels crisp;
# captions inherit the theme's text colour.
GRID_STYLE = """<style>
.digit-grid {display: grid; gap: 8px 4px; margin: 0 0 1rem; grid-template-columns:
  repeat(auto-fill, minmax(max(var(--tile), (100% - (var(--cols) - 1) * 4px) / var(--cols)), 1fr));}
.digit-grid figure {margin: 0; min-width: 0; text-align: center;}
.digit-grid img {display: block; width: 100%; aspect-ratio: 1; image-rendering: pixelated;}
.digit-grid figcaption {font-size: 12px; line-height: 1.25; opacity: 0.75;
  overflow: hidden; text-overflow: ellipsis; white-space: nowrap;}
.digit-grid.wrapped figcaption {white-space: normal;}
</style>"""


def image_grid_html(
    images: np.ndarray,
    captions: Sequence[str],
    *,
    tooltips: Sequence[str] | None = None,
    tile_px: int = 64,
    max_cols: int = 10,
    wrap_captions: bool = False,
) -> str:
    """N square images (N, 784) as 28 x 28, or (N, S, S), uint8 0..255 or floats 0..1, as an HTML
    grid that reflows to the page's width (tiles of `tile_px` or more, at most `max_cols` a
    row): each tile over its caption (a line per "\n"; long ones cut with "…" unless
    `wrap_captions`), its tooltip on hover. Text is escaped."""
    pictures = np.asarray(images)
    if pictures.ndim == 2:
        pictures = pictures.reshape(len(pictures), 28, 28)
    if len(captions) != len(pictures) or (tooltips is not None and len(tooltips) != len(captions)):
        raise ValueError(f"got {len(pictures)} images for {len(captions)} captions")
    scale = np.float32(255) if pictures.dtype == np.uint8 else np.float32(1)
    tiles = []
    for k, picture in enumerate(pictures):
        caption = "<br>".join(html.escape(line) for line in str(captions[k]).split("\n"))
        tip = html.escape(tooltips[k] if tooltips is not None else str(captions[k]), quote=True)
        uri = png_data_uri(picture / scale)
        tiles.append(
            f'<figure><img src="{uri}" alt="{tip}" title="{tip}">'
            f"<figcaption>{caption}</figcaption></figure>"
        )
    style = f"--tile: {tile_px}px; --cols: {max_cols}"
    kind = "digit-grid wrapped" if wrap_captions else "digit-grid"
    return f'{GRID_STYLE}<div class="{kind}" style="{style}">{"".join(tiles)}</div>'
