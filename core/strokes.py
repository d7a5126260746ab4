"""Stroke width: measure it, and bring a drawing's stroke width into MNIST's range.

A linear model weighs every pixel, so a digit drawn with a much wider brush (or a thinner pen)
than MNIST's writers used reads like another digit. MNIST's stroke width, relative to the
digit's size, is fairly constant; this module estimates a drawing's relative width the same way
and thickens (grey-scale dilation) or thins (grey-scale erosion) the drawing toward MNIST's.

Width estimate: on the ink binarised at ``BINARY_LEVEL``, a stroke of width w and length l has
area w * l and perimeter about 2 * l, so ``2 * area / perimeter`` is its width. The perimeter is
the number of ink/background pixel edges times pi / 4, which undoes, on average over stroke
directions, the staircase overcount of edge counting. Relative width = that width / the longer
side of the image (the caller's crop to the ink). On MNIST (training set, any resolution from
the 28x28 images to 10x bilinear upscales) the relative width has median 0.125 (2.5 px of the
20 px box), with 10th and 90th percentiles 0.092 and 0.172.

Target: widths between MNIST's 10th and 90th percentiles are left as drawn (so MNIST's own
digits pass almost unchanged). A thinner stroke is thickened to MNIST's median; a thicker one is
thinned to the 90th percentile only. A thick brush merges nearby strokes and fills
small loops, which inflates the estimate beyond the strokes' real width, so thinning all the way
to the median over-thins them: on bench/redrawn_digits.py thinning to the median read thick
strokes 6 points worse than thinning to the 90th percentile; for thin strokes the median works.

Thickening and thinning use a disc: alternate 3x3 cross and 3x3 square steps (an octagon of
radius n after n steps), done as whole-array shifted maxima / minima; a fractional radius blends
the two neighbouring whole radii. Pure NumPy; all images are float32 in [0, 1].
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = [
    "BINARY_LEVEL",
    "MAX_STEPS",
    "MIN_WORK_SIDE",
    "MNIST_STROKE_BAND",
    "MNIST_STROKE_WIDTH",
    "StrokeNormalisation",
    "change_stroke_width",
    "normalise_stroke_width",
    "relative_stroke_width",
    "stroke_width",
]

BINARY_LEVEL = 0.5  # ink at or above this level counts for the width estimate
# Median relative stroke width of the MNIST training digits (see the module docstring).
MNIST_STROKE_WIDTH = 0.125
# Relative widths in this range (MNIST's 10th to 90th percentile) are left as drawn; a thinner
# stroke is thickened to MNIST_STROKE_WIDTH, a thicker one thinned to the upper end only (see the
# module docstring for why).
MNIST_STROKE_BAND = (0.092, 0.172)
# Crops smaller than this (e.g. a 28x28 MNIST image itself) are upscaled before thickening or
# thinning, so that the radius can be set finely: 1 px of a 20 px digit is a lot of stroke.
MIN_WORK_SIDE = 100
# Larger radii are applied to the drawing pooled by a whole factor (max-pooled to thicken,
# min-pooled to thin, which commutes with the filter), so no drawing costs more filter steps.
MAX_STEPS = 16
# Thinning is undone when it leaves less than this share of the ink that thinning a stroke of
# the estimated width should leave: the missing ink was parts of the digit erased outright.
MIN_KEPT_INK = 0.6


@dataclass
class StrokeNormalisation:
    """What ``normalise_stroke_width`` did.

    image:        (h, w) float32 in [0, 1], the drawing after thickening or thinning, cropped
                  to its ink; the input itself when nothing was changed
    width_before: relative stroke width of the input (0 when no pixel reaches BINARY_LEVEL)
    width_after:  relative stroke width of ``image``
    radius:       disc radius applied, in pixels of ``image``: > 0 thickened, < 0 thinned,
                  0 untouched (width already MNIST-like, or thinning would erase the digit)
    """

    image: np.ndarray
    width_before: float
    width_after: float
    radius: float


def stroke_width(image: np.ndarray) -> float:
    """Estimated stroke width in pixels of an (h, w) ink image in [0, 1]: 2 * area / perimeter
    of the ink at or above BINARY_LEVEL. 0.0 when no pixel reaches that level."""
    ink = np.pad(np.asarray(image) >= BINARY_LEVEL, 1)
    area = np.count_nonzero(ink)
    if area == 0:
        return 0.0
    edges = np.count_nonzero(ink[1:] != ink[:-1]) + np.count_nonzero(ink[:, 1:] != ink[:, :-1])
    return 2.0 * area / (edges * math.pi / 4)


def relative_stroke_width(image: np.ndarray) -> float:
    """``stroke_width`` of an (h, w) image cropped to its ink, over its longer side max(h, w)."""
    return stroke_width(image) / max(image.shape)


def interpolation_matrix(n_in: int, n_out: int, method: str = "bilinear") -> np.ndarray:
    """(n_out, n_in) float32 interpolation matrix ("bilinear" or "nearest"), pixel centres
    aligned ((j + 0.5) scaling). Upscales one axis of an image: ``matrix @ column``."""
    source = (np.arange(n_out) + 0.5) * (n_in / n_out) - 0.5  # source coordinate of each output
    matrix = np.zeros((n_out, n_in), dtype=np.float32)
    rows = np.arange(n_out)
    if method == "nearest":
        matrix[rows, np.clip(np.round(source).astype(int), 0, n_in - 1)] = 1.0
        return matrix
    source = np.clip(source, 0, n_in - 1)
    low = np.floor(source).astype(int)
    high = np.minimum(low + 1, n_in - 1)
    frac = (source - low).astype(np.float32)
    np.add.at(matrix, (rows, low), 1 - frac)
    np.add.at(matrix, (rows, high), frac)
    return matrix


def _disc_step(image: np.ndarray, reduce, square: bool) -> np.ndarray:
    """One 3x3 cross (4-neighbour) or square (8-neighbour) max/min filter step of an (h, w)
    image; ``reduce`` is np.maximum or np.minimum. Border pixels see only what is inside."""
    vertical = image.copy()
    reduce(vertical[1:], image[:-1], out=vertical[1:])
    reduce(vertical[:-1], image[1:], out=vertical[:-1])
    # A square step is separable: run the horizontal pass on the vertical result.
    source = vertical if square else image
    out = vertical.copy() if square else vertical
    reduce(out[:, 1:], source[:, :-1], out=out[:, 1:])
    reduce(out[:, :-1], source[:, 1:], out=out[:, :-1])
    return out


def change_stroke_width(image: np.ndarray, radius: float) -> np.ndarray:
    """Thicken (radius > 0, grey-scale dilation) or thin (radius < 0, erosion) the strokes of an
    (h, w) float32 ink image by a disc of |radius| pixels; every stroke grows or shrinks by about
    2 * |radius|. Returns (h + 2p, w + 2p) float32 in [0, 1] with p = ceil(|radius|) + 1 (the
    padding that a thickened stroke may grow into; background beyond the border)."""
    steps = math.ceil(abs(radius))
    pad = steps + 1
    reduce = np.maximum if radius > 0 else np.minimum
    current = np.pad(np.asarray(image, dtype=np.float32), pad)
    previous = current
    for step in range(steps):
        previous = current
        current = _disc_step(current, reduce, square=step % 2 == 1)
    fraction = abs(radius) - (steps - 1) if steps else 0.0
    if 0 < fraction < 1:  # a radius between two whole steps: blend them
        current = previous + np.float32(fraction) * (current - previous)
    # Padding of zeros keeps the erosion's border as background; values stay within [0, 1].
    return current


def _crop_to_ink(image: np.ndarray, ink_threshold: float) -> np.ndarray | None:
    """``image`` cut to the bounding box of its pixels >= ink_threshold; None if there are none."""
    ink = image >= ink_threshold
    rows = np.flatnonzero(ink.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(ink.any(axis=0))
    return image[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def _work_image(cropped: np.ndarray) -> np.ndarray:
    """``cropped`` upscaled (bilinear, aspect kept) when its longer side < MIN_WORK_SIDE."""
    height, width = cropped.shape
    factor = math.ceil(MIN_WORK_SIDE / max(height, width))
    if factor <= 1:
        return cropped
    rows = interpolation_matrix(height, height * factor)
    cols = interpolation_matrix(width, width * factor)
    return np.clip(rows @ cropped @ cols.T, 0.0, 1.0)


def _pool(image: np.ndarray, factor: int, reduce) -> np.ndarray:
    """(h, w) image -> (ceil(h / factor), ceil(w / factor)), each block reduced with ``reduce``
    (np.maximum or np.minimum); the blocks past the border are padded with background."""
    height, width = image.shape
    padded = np.pad(image, ((0, -height % factor), (0, -width % factor)))
    blocks = padded.reshape(padded.shape[0] // factor, factor, padded.shape[1] // factor, factor)
    return reduce.reduce(reduce.reduce(blocks, axis=3), axis=1)


def _radius_for(width: float, side: int, target: float) -> float:
    """Disc radius that brings a stroke of relative ``width`` on an image of longer ``side``
    to relative ``target``: (w + 2r) / (side + 2r) = target, since the box grows with the ink."""
    return (target * side - width * side) / (2 * (1 - target))


def _erased_parts(work: np.ndarray, thinned: np.ndarray, radius: float, width_px: float) -> bool:
    """Whether thinning ``work`` by a disc of -radius erased parts of the digit, not just the
    strokes' edges: less ink left than MIN_KEPT_INK of what thinning strokes of ``width_px``
    leaves, or the ink's longer side shrunk by much more than the 2 * -radius it loses when
    every part survives (a thin part at its end vanished)."""
    expected_share = max(0.0, 1 + 2 * radius / width_px)
    kept_share = float(thinned.sum(dtype=np.float64) / work.sum(dtype=np.float64))
    shrink = max(work.shape) - max(thinned.shape)
    return kept_share < MIN_KEPT_INK * expected_share or shrink > 3 * -radius + 2


def normalise_stroke_width(
    cropped: np.ndarray,
    *,
    ink_threshold: float,
    band: tuple[float, float] = MNIST_STROKE_BAND,
) -> StrokeNormalisation:
    """Bring the stroke width of a drawing into MNIST's range.

    cropped: (h, w) float32 ink in [0, 1], cut to its ink (pixels >= ink_threshold) with at
    least one such pixel. A relative width within ``band`` is left alone; otherwise the drawing
    (upscaled first when small, see MIN_WORK_SIDE) is thickened to MNIST_STROKE_WIDTH or thinned
    to ``band[1]`` and cropped to its ink again. Thinning that would erase parts of the digit
    (see _erased_parts; or no pixel >= ink_threshold left) is not done.
    Returns a StrokeNormalisation; its image is (h', w') float32 in [0, 1] with ink.
    """
    width_before = relative_stroke_width(cropped)
    unchanged = StrokeNormalisation(cropped, width_before, width_before, 0.0)
    if width_before == 0.0 or band[0] <= width_before <= band[1]:
        return unchanged  # too faint to measure, or already MNIST-like
    work = _work_image(cropped)
    side = max(work.shape)
    target = MNIST_STROKE_WIDTH if width_before < band[0] else band[1]
    radius = _radius_for(width_before, side, target)
    factor = math.ceil(abs(radius) / MAX_STEPS)
    if factor > 1:  # bound the cost: pool, then a proportionally smaller disc
        work = _pool(work, factor, np.maximum if radius > 0 else np.minimum)
        radius, side = radius / factor, max(work.shape)
    changed = _crop_to_ink(change_stroke_width(work, radius), ink_threshold)
    if changed is None:
        return unchanged
    if radius < 0 and _erased_parts(work, changed, radius, width_before * side):
        return unchanged
    return StrokeNormalisation(changed, width_before, relative_stroke_width(changed), radius)
