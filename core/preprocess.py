"""Turn a drawing-canvas image into an MNIST-style 28x28 digit.

MNIST digits were made like this (LeCun et al.): the anti-aliased digit was cropped to its
bounding box, scaled so that its longer side is 20 px (aspect ratio kept), pasted into a 28x28
field and translated (by whole pixels) so that its centre of mass sits at the centre of the field.
On the MNIST test set the centre of mass, in pixel-index coordinates, is (14.0, 14.0) with a
spread of 0.29 px, which is exactly what rounding to whole-pixel shifts gives; we do the same.

Canvas convention (streamlit-drawable-canvas 0.13 with a black background): white strokes on
black, alpha is 255 everywhere, so the ink is taken from the colour channels (max of R, G, B).
Alpha is multiplied in, so a transparent background (alpha 0) also counts as no ink.

Accepted inputs: (H, W), (H, W, 3) or (H, W, 4) arrays of
  * uint8 (0..255), other integer types with values in 0..255, bool (True = ink), or
  * floating point with finite values in [0, 1].
Anything else raises ``ValueError``; a canvas without ink raises ``EmptyCanvasError``.

Decision for a canvas that is ink everywhere (e.g. all white): there is no background, so no
digit can be told apart from it; it raises ``EmptyCanvasError("the canvas is completely
filled: ...")`` instead of producing a meaningless full square.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.deskew import deskew
from core.strokes import interpolation_matrix, normalise_stroke_width, relative_stroke_width

__all__ = [
    "deskew",
    "BOX_SIZE",
    "INK_THRESHOLD",
    "MAX_SIDE",
    "OUT_SIZE",
    "TARGET_CENTRE",
    "EmptyCanvasError",
    "PreprocessSteps",
    "area_resample_matrix",
    "canvas_to_mnist",
    "centre_of_mass",
    "digit_to_canvas",
    "preprocess_steps",
    "to_ink",
]

OUT_SIZE = 28  # side of the output image, as in MNIST
BOX_SIZE = 20  # the longer side of the digit is scaled to this many pixels
# Centre of mass target in pixel-index coordinates (row, col): measured on MNIST itself.
TARGET_CENTRE = (14.0, 14.0)
# Ink below this level (in [0, 1]) is treated as noise: it is ignored for the bounding box and
# cleared, so stray anti-aliasing specks do not stretch the crop or pull the centre of mass.
INK_THRESHOLD = 0.1
MAX_SIDE = 4096  # larger canvases are refused: no drawing widget produces them


class EmptyCanvasError(ValueError):
    """The canvas holds no digit: nothing drawn, or ink everywhere."""


@dataclass
class PreprocessSteps:
    """Every intermediate image of ``preprocess_steps``, for display.

    gray:    (H, W) float32 ink in [0, 1] (noise below INK_THRESHOLD cleared)
    cropped: (h, w) float32, ``gray`` cut to ``bbox``
    resized: (h', w') float32 with max(h', w') == 20, area-averaged from ``stroke_normalised``
    centred: (28, 28) float32 in [0, 1], the final MNIST-style image
    bbox:    (top, left, bottom, right) of the ink in ``gray``; bottom/right exclusive
    shift:   (dy, dx) whole-pixel translation applied after pasting ``resized`` in the middle of
             the 28x28 field, to bring its centre of mass to TARGET_CENTRE
    stroke_normalised: (h'', w'') float32 in [0, 1], ``cropped`` with its strokes thickened or
             thinned to MNIST's width and cut to its ink again (upscaled first when small, see
             core.strokes); ``cropped`` itself when switched off or already MNIST-like
    stroke_width_before, stroke_width_after: relative stroke widths (stroke px / longer side)
             of ``cropped`` and ``stroke_normalised``; MNIST's is core.strokes.MNIST_STROKE_WIDTH
    stroke_radius: disc radius applied, in px of ``stroke_normalised``: > 0 thickened,
             < 0 thinned, 0 untouched
    """

    gray: np.ndarray
    cropped: np.ndarray
    resized: np.ndarray
    centred: np.ndarray
    bbox: tuple[int, int, int, int]
    shift: tuple[int, int]
    stroke_normalised: np.ndarray
    stroke_width_before: float
    stroke_width_after: float
    stroke_radius: float


def to_ink(image) -> np.ndarray:
    """Validate a canvas image and return its ink, (H, W) float32 in [0, 1].

    image: (H, W), (H, W, 3) or (H, W, 4); see the module docstring for dtypes and ranges.
    Raises ValueError naming the problem.
    """
    try:
        array = np.asarray(image)
    except (TypeError, ValueError) as exc:  # ragged nested lists and the like
        raise ValueError(f"canvas image is not an array: {exc}") from None
    if array.ndim not in (2, 3):
        raise ValueError(
            f"canvas image must have shape (H, W), (H, W, 3) or (H, W, 4); got {array.shape}"
        )
    if array.ndim == 3 and array.shape[2] not in (3, 4):
        raise ValueError(
            f"canvas image must have 3 (RGB) or 4 (RGBA) channels; got shape {array.shape}"
        )
    height, width = array.shape[:2]
    if height == 0 or width == 0:
        raise ValueError(f"canvas image is empty (shape {array.shape})")
    if height > MAX_SIDE or width > MAX_SIDE:
        raise ValueError(
            f"canvas image is too large: {height}x{width} (at most {MAX_SIDE}x{MAX_SIDE})"
        )

    kind = array.dtype.kind
    if kind == "b":
        values = array.astype(np.float32)
    elif kind in "ui":
        if array.dtype != np.uint8 and (array.min() < 0 or array.max() > 255):
            raise ValueError(
                f"integer canvas values must be in 0..255; got {array.min()}..{array.max()}"
            )
        values = array.astype(np.float32) * np.float32(1 / 255)
    elif kind == "f":
        if not np.isfinite(array).all():
            raise ValueError("canvas image contains NaN or infinite values")
        if array.min() < 0 or array.max() > 1:
            raise ValueError(
                "floating-point canvas values must be in [0, 1] (divide 0..255 data by 255); "
                f"got {array.min():g}..{array.max():g}"
            )
        values = array.astype(np.float32)
    else:
        raise ValueError(f"canvas image has unsupported dtype {array.dtype}")

    if values.ndim == 2:
        return values
    # White strokes: any bright colour channel is ink. Two element-wise maxima, not
    # .max(axis=2): a reduction over a 3-long last axis took 3-5 ms for a 280x280 canvas.
    ink = np.maximum(np.maximum(values[:, :, 0], values[:, :, 1]), values[:, :, 2])
    if values.shape[2] == 4:
        ink *= values[:, :, 3]  # transparent pixels carry no ink whatever their colour
    return ink


def area_resample_matrix(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in) float32 matrix resampling a 1-D signal by area averaging (box filter).

    Output pixel j covers the input interval [j * n_in / n_out, (j + 1) * n_in / n_out); its
    value is the coverage-weighted mean of the input pixels it overlaps, so every row sums to 1
    and a thin stroke keeps a grey level proportional to the ink it contributes.
    Applied separably: ``rows @ image @ cols.T``.
    """
    step = n_in / n_out
    out_start = np.arange(n_out)[:, None] * step  # (n_out, 1)
    in_start = np.arange(n_in)[None, :]  # (1, n_in)
    overlap = np.minimum(in_start + 1, out_start + step) - np.maximum(in_start, out_start)
    return (np.clip(overlap, 0.0, None) / step).astype(np.float32)


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    """(row, col) centre of mass of a (h, w) non-negative image in pixel-index coordinates.

    Requires a positive total mass.
    """
    total = float(image.sum(dtype=np.float64))
    row = float(image.sum(axis=1, dtype=np.float64) @ np.arange(image.shape[0])) / total
    col = float(image.sum(axis=0, dtype=np.float64) @ np.arange(image.shape[1])) / total
    return row, col


def _ink_bbox(mask: np.ndarray) -> tuple[int, int, int, int]:
    """(top, left, bottom, right) of the True cells of a non-empty (H, W) mask; exclusive ends."""
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    return int(rows[0]), int(cols[0]), int(rows[-1]) + 1, int(cols[-1]) + 1


def preprocess_steps(rgba, *, normalise_stroke: bool = True) -> PreprocessSteps:
    """Run the MNIST recipe on a canvas image and keep every intermediate image.

    rgba: (H, W, 4) uint8 canvas (also (H, W) or (H, W, 3); see module docstring).
    normalise_stroke: bring a stroke width outside MNIST's range to MNIST's before scaling
    (core.strokes); False skips that step and gives the plain recipe's result.
    Returns PreprocessSteps; ``.centred`` is the (28, 28) float32 result in [0, 1].
    Raises EmptyCanvasError if there is no ink (or only ink), ValueError for bad input.
    """
    ink = to_ink(rgba)
    is_ink = ink >= INK_THRESHOLD
    n_ink = int(np.count_nonzero(is_ink))
    if n_ink == 0:
        raise EmptyCanvasError("the canvas is empty: draw a digit")
    if n_ink == is_ink.size:
        raise EmptyCanvasError(
            "the canvas is completely filled: there is no background to tell a digit from; "
            "clear it and draw a digit"
        )
    gray = np.where(is_ink, ink, np.float32(0))

    top, left, bottom, right = _ink_bbox(is_ink)
    cropped = gray[top:bottom, left:right]
    if normalise_stroke:
        stroke = normalise_stroke_width(cropped, ink_threshold=INK_THRESHOLD)
        source, radius = stroke.image, stroke.radius
        width_before, width_after = stroke.width_before, stroke.width_after
    else:
        source, radius = cropped, 0.0
        width_before = width_after = relative_stroke_width(cropped)

    # Longer side -> BOX_SIZE, aspect ratio kept; the shorter side never rounds to 0.
    height, width = source.shape
    scale = BOX_SIZE / max(height, width)
    new_height = min(BOX_SIZE, max(1, round(height * scale)))
    new_width = min(BOX_SIZE, max(1, round(width * scale)))
    resized = (
        area_resample_matrix(height, new_height) @ source @ area_resample_matrix(width, new_width).T
    )
    # Rows of the matrices sum to 1, so values stay in [0, 1] up to rounding.
    np.clip(resized, 0.0, 1.0, out=resized)

    # Paste so the centre of mass lands on TARGET_CENTRE (whole pixels, as MNIST did), but never
    # past the border: a lopsided digit ends up off-centre rather than cut.
    com_row, com_col = centre_of_mass(resized)
    top_out = int(np.clip(round(TARGET_CENTRE[0] - com_row), 0, OUT_SIZE - new_height))
    left_out = int(np.clip(round(TARGET_CENTRE[1] - com_col), 0, OUT_SIZE - new_width))
    centred = np.zeros((OUT_SIZE, OUT_SIZE), dtype=np.float32)
    centred[top_out : top_out + new_height, left_out : left_out + new_width] = resized

    shift = (top_out - (OUT_SIZE - new_height) // 2, left_out - (OUT_SIZE - new_width) // 2)
    return PreprocessSteps(
        gray=gray,
        cropped=cropped,
        resized=resized,
        centred=centred,
        bbox=(top, left, bottom, right),
        shift=shift,
        stroke_normalised=source,
        stroke_width_before=width_before,
        stroke_width_after=width_after,
        stroke_radius=radius,
    )


def is_a_dot(steps: PreprocessSteps, stroke_px: float) -> bool:
    """Whether the ink is no bigger than one dab of a `stroke_px` brush (a click, not a digit):
    its longer side at most 1.5 stroke widths. Scaled to the 20 px box, such a dot becomes a
    round blob that the model still reads, confidently, as some digit."""
    top, left, bottom, right = steps.bbox
    return max(bottom - top, right - left) <= 1.5 * stroke_px


def canvas_to_mnist(rgba, *, normalise_stroke: bool = True) -> np.ndarray:
    """Canvas image -> (28, 28) float32 in [0, 1], made the way MNIST digits were made.

    rgba: (H, W, 4) uint8 (also (H, W) / (H, W, 3)). Flatten with ``.reshape(1, 784)`` for a
    model. normalise_stroke: see ``preprocess_steps`` (False: the plain recipe).
    Raises EmptyCanvasError (a ValueError) when nothing is drawn.
    """
    return preprocess_steps(rgba, normalise_stroke=normalise_stroke).centred


def _morph(image: np.ndarray, radius: int, reduce) -> np.ndarray:
    """Separable (2r+1)x(2r+1) max (dilation) or min (erosion) filter of an (H, W) image.

    reduce: np.maximum or np.minimum. Pixels beyond the border count as background (0).
    Done as 2r+1 whole-array shifted comparisons per axis (strided window views are slower).
    """
    height, width = image.shape
    window = 2 * radius + 1
    padded = np.pad(image, ((radius, radius), (0, 0)))
    vertical = padded[0:height].copy()
    for k in range(1, window):
        reduce(vertical, padded[k : k + height], out=vertical)
    padded = np.pad(vertical, ((0, 0), (radius, radius)))
    out = padded[:, 0:width].copy()
    for k in range(1, window):
        reduce(out, padded[:, k : k + width], out=out)
    return out


def digit_to_canvas(
    digit,
    size: int,
    top: int,
    left: int,
    *,
    canvas_size: int = 280,
    method: str = "bilinear",
    stroke: int = 0,
    binarize: bool = False,
) -> np.ndarray:
    """Redraw a 28x28 digit onto a black RGBA canvas, as a user might have drawn it.

    The inverse direction of ``canvas_to_mnist``, for tests and benchmarks: the digit
    (28, 28) or (784,) (uint8 0..255 or float in [0, 1]) is upscaled to (size, size) with
    ``method`` "nearest" or "bilinear" and placed with its top-left corner at (top, left)
    (the part outside the canvas is cut). ``stroke`` > 0 thickens strokes by that many canvas
    pixels (dilation), < 0 thins them (erosion); ``binarize`` turns grey ramps into hard white
    strokes (threshold 0.5) like a drawing widget's.
    Returns (canvas_size, canvas_size, 4) uint8, white ink on black, alpha 255.
    """
    if method not in ("nearest", "bilinear"):
        raise ValueError(f"method must be 'nearest' or 'bilinear'; got {method!r}")
    image = np.asarray(digit).reshape(OUT_SIZE, OUT_SIZE)
    image = image.astype(np.float32) / (255 if image.dtype.kind in "ui" else 1)
    up = interpolation_matrix(OUT_SIZE, size, method)
    big = up @ image @ up.T
    if stroke > 0:
        big = _morph(big, stroke, np.maximum)
    elif stroke < 0:
        big = _morph(big, -stroke, np.minimum)
    if binarize:
        big = (big >= 0.5).astype(np.float32)

    canvas = np.zeros((canvas_size, canvas_size, 4), dtype=np.uint8)
    canvas[:, :, 3] = 255
    # Intersection of the placed digit with the canvas.
    row0, col0 = max(top, 0), max(left, 0)
    row1, col1 = min(top + size, canvas_size), min(left + size, canvas_size)
    if row0 < row1 and col0 < col1:
        patch = big[row0 - top : row1 - top, col0 - left : col1 - left]
        canvas[row0:row1, col0:col1, :3] = np.round(np.clip(patch, 0, 1) * 255).astype(np.uint8)[
            :, :, None
        ]
    return canvas
