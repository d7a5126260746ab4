"""Tests for core.strokes and the stroke-width step of core.preprocess."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.preprocess import (
    INK_THRESHOLD,
    OUT_SIZE,
    EmptyCanvasError,
    area_resample_matrix,
    canvas_to_mnist,
    digit_to_canvas,
    preprocess_steps,
)
from core.strokes import (
    MNIST_STROKE_BAND,
    MNIST_STROKE_WIDTH,
    change_stroke_width,
    normalise_stroke_width,
    relative_stroke_width,
    stroke_width,
)

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def brush_strokes(segments, width: float, size: int = 280) -> np.ndarray:
    """(size, size) float32 image of line segments ((r0, c0), (r1, c1)) drawn with a round
    brush of diameter ``width``: 1 within width / 2 of a segment, else 0."""
    rows, cols = np.mgrid[0:size, 0:size].astype(np.float64)
    distance = np.full((size, size), np.inf)
    for (r0, c0), (r1, c1) in segments:
        dr, dc = r1 - r0, c1 - c0
        t = np.clip(((rows - r0) * dr + (cols - c0) * dc) / max(dr * dr + dc * dc, 1e-9), 0, 1)
        distance = np.minimum(distance, np.hypot(rows - r0 - t * dr, cols - c0 - t * dc))
    return (distance <= width / 2).astype(np.float32)


SEVEN = [((50, 60), (50, 210)), ((50, 210), (240, 110))]
FOUR = [((40, 90), (160, 60)), ((160, 60), (160, 220)), ((60, 180), (250, 180))]


def rgba(gray: np.ndarray) -> np.ndarray:
    canvas = np.empty(gray.shape + (4,), dtype=np.uint8)
    canvas[:, :, :3] = np.round(np.clip(gray, 0, 1) * 255)[:, :, None]
    canvas[:, :, 3] = 255
    return canvas


def output_width(image: np.ndarray) -> float:
    """Relative stroke width of a (28, 28) output, measured 5x upscaled (nearest)."""
    ink = image >= INK_THRESHOLD
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    crop = image[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    return relative_stroke_width(np.kron(crop, np.ones((5, 5), dtype=np.float32)))


@st.composite
def drawings(draw):
    """(H, W) float32 drawings: 1-3 random round-brush segments of a random width."""
    size = draw(st.integers(20, 280))
    points = st.tuples(st.integers(0, size - 1), st.integers(0, size - 1))
    segments = draw(st.lists(st.tuples(points, points), min_size=1, max_size=3))
    width = draw(st.floats(1.0, max(1.0, size / 4)))
    return brush_strokes(segments, width, size) * np.float32(draw(st.floats(0.3, 1.0)))


# --- Properties -------------------------------------------------------------------------------


@FAST
@given(drawings(), st.sampled_from(["gray", "rgb", "rgba"]), st.booleans())
def test_output_is_28x28_float32_in_unit_range_for_any_drawing(gray, layout, normalise):
    image = {"gray": gray, "rgb": rgba(gray)[:, :, :3], "rgba": rgba(gray)}[layout]
    try:
        steps = preprocess_steps(image, normalise_stroke=normalise)
    except EmptyCanvasError:  # a brush dab smaller than one pixel, or a faint one
        assert (gray >= INK_THRESHOLD).sum() == 0 or (gray >= INK_THRESHOLD).all()
        return
    out = steps.centred
    assert out.shape == (OUT_SIZE, OUT_SIZE) and out.dtype == np.float32
    assert out.min() >= 0 and out.max() <= 1 and out.max() > 0
    normalised = steps.stroke_normalised
    assert normalised.dtype == np.float32 and normalised.min() >= 0 and normalised.max() <= 1
    # Cut to its ink, which thinning never removes entirely.
    assert (normalised >= INK_THRESHOLD).any()
    assert (normalised[0] >= INK_THRESHOLD).any() and (normalised[-1] >= INK_THRESHOLD).any()
    assert steps.stroke_width_before >= 0 and steps.stroke_width_after >= 0


@FAST
@given(st.integers(1, 280), st.integers(1, 280), st.sampled_from([2, 3, 4]), st.integers(0, 99))
def test_a_canvas_without_ink_is_empty_either_way(height, width, channels, seed):
    level = np.random.default_rng(seed).uniform(0, INK_THRESHOLD * 0.99)
    canvas = np.full((height, width), level, dtype=np.float32)
    if channels > 2:
        canvas = np.repeat(canvas[:, :, None], channels, axis=2)
        if channels == 4:
            canvas[:, :, 3] = 1.0
    for normalise in (True, False):
        with pytest.raises(EmptyCanvasError, match="empty"):
            canvas_to_mnist(canvas, normalise_stroke=normalise)


@FAST
@given(drawings())
def test_switched_off_it_is_the_plain_recipe(gray):
    """normalise_stroke=False: the 20 px image is area-averaged from the crop itself."""
    try:
        steps = preprocess_steps(gray, normalise_stroke=False)
    except EmptyCanvasError:
        return
    assert steps.stroke_normalised is steps.cropped and steps.stroke_radius == 0
    height, width = steps.cropped.shape
    new_height, new_width = steps.resized.shape
    expected = (
        area_resample_matrix(height, new_height)
        @ steps.cropped
        @ area_resample_matrix(width, new_width).T
    )
    np.testing.assert_array_equal(steps.resized, np.clip(expected, 0, 1))


@FAST
@given(drawings())
def test_a_width_within_mnists_range_is_left_exactly_as_drawn(gray):
    try:
        steps = preprocess_steps(gray)
    except EmptyCanvasError:
        return
    low, high = MNIST_STROKE_BAND
    if low <= steps.stroke_width_before <= high:
        assert steps.stroke_radius == 0
        np.testing.assert_array_equal(steps.centred, canvas_to_mnist(gray, normalise_stroke=False))


# --- Stroke width comes out like MNIST's ------------------------------------------------------


@pytest.mark.parametrize("shape", [SEVEN, FOUR], ids=["seven", "four"])
@pytest.mark.parametrize("brush", [3, 6, 12, 22, 40, 55])
def test_a_drawing_at_any_brush_width_comes_out_in_mnists_range(shape, brush):
    drawing = rgba(brush_strokes(shape, brush))
    steps = preprocess_steps(drawing)
    low, high = MNIST_STROKE_BAND
    before = steps.stroke_width_before
    if before < low:  # thickened to the median
        assert steps.stroke_radius > 0
        assert steps.stroke_width_after == pytest.approx(MNIST_STROKE_WIDTH, rel=0.15)
    elif before > high:  # thinned to the top of the range
        assert steps.stroke_radius < 0
        assert steps.stroke_width_after == pytest.approx(high, rel=0.15)
    else:
        assert steps.stroke_radius == 0
    # And so does the 28x28 digit, which without the step stays too thin or too thick.
    assert low * 0.8 <= output_width(steps.centred) <= high * 1.2
    plain = output_width(canvas_to_mnist(drawing, normalise_stroke=False))
    if before < 0.8 * low:
        assert plain < low
    elif before > 1.2 * high:
        assert plain > high


def test_the_brushes_cover_thin_default_and_thick():
    widths = [preprocess_steps(brush_strokes(SEVEN, b)).stroke_width_before for b in (3, 22, 55)]
    low, high = MNIST_STROKE_BAND
    assert widths[0] < low and low <= widths[1] <= high and widths[2] > high


def test_stroke_width_of_a_bar_is_its_width():
    bar = np.zeros((300, 300), dtype=np.float32)
    bar[100:110, 20:280] = 1
    assert stroke_width(bar) == pytest.approx(10 * 260 / 270 * 4 / np.pi, rel=1e-6)
    assert stroke_width(np.zeros((5, 5))) == 0.0


def test_change_stroke_width_grows_and_shrinks_a_bar_by_twice_the_radius():
    bar = np.zeros((60, 60), dtype=np.float32)
    bar[25:35, 5:55] = 1
    for radius in (3, 4.5, -2, -3.5):
        changed = change_stroke_width(bar, radius)
        profile = changed[:, changed.shape[1] // 2]
        assert profile.sum() == pytest.approx(10 + 2 * radius, abs=1e-5)
        assert changed.min() >= 0 and changed.max() <= 1


def test_mnist_stroke_width_constants_match_the_data(mnist):
    digits = mnist.train_images[:2000].reshape(-1, 28, 28) / np.float32(255)
    widths = [output_width(d) for d in digits]
    low, high = MNIST_STROKE_BAND
    assert np.median(widths) == pytest.approx(MNIST_STROKE_WIDTH, rel=0.05)
    assert np.percentile(widths, 10) == pytest.approx(low, rel=0.05)
    assert np.percentile(widths, 90) == pytest.approx(high, rel=0.05)


# --- Thinning never erases the digit ----------------------------------------------------------


def test_thinning_that_would_erase_a_thin_part_is_not_done():
    """A big blob with a thin tail measures thick; thinning it would erase the tail."""
    drawing = np.zeros((200, 200), dtype=np.float32)
    drawing[20:110, 20:110] = 1
    drawing[64:67, 110:170] = 1  # a 3 px tail to the right
    cropped = drawing[20:110, 20:170]
    result = normalise_stroke_width(cropped, ink_threshold=INK_THRESHOLD)
    assert result.width_before > MNIST_STROKE_BAND[1]
    assert result.radius == 0 and result.image is cropped


def test_thinning_that_would_leave_nothing_is_not_done():
    cropped = brush_strokes(SEVEN, 8)[46:245, 56:215]
    result = normalise_stroke_width(cropped, ink_threshold=INK_THRESHOLD, band=(0.0, 0.001))
    assert result.radius == 0 and result.image is cropped


# --- Already MNIST-like: little change ----------------------------------------------------------


def test_mnist_digits_are_mostly_left_alone_and_change_little(mnist):
    digits = mnist.test_images[:300].reshape(-1, 28, 28)
    steps = [preprocess_steps(d) for d in digits]
    untouched = np.mean([s.stroke_radius == 0 for s in steps])
    assert 0.7 <= untouched < 1  # the band is MNIST's 10th-90th percentile
    # Those it changes (the thinnest and thickest tenth) still look like themselves.
    correlations = [
        np.corrcoef(s.centred.ravel(), canvas_to_mnist(d, normalise_stroke=False).ravel())[0, 1]
        for s, d in zip(steps, digits, strict=True)
        if s.stroke_radius != 0
    ]
    assert np.median(correlations) > 0.85 and np.percentile(correlations, 10) > 0.75


def test_normalising_twice_changes_little():
    """A thick drawing, once normalised and redrawn at canvas size, needs no second pass."""
    once = canvas_to_mnist(rgba(brush_strokes(FOUR, 50)))
    redrawn = digit_to_canvas(once, 250, 15, 15)
    steps = preprocess_steps(redrawn)
    assert MNIST_STROKE_BAND[0] <= steps.stroke_width_before <= MNIST_STROKE_BAND[1] * 1.1
    assert np.corrcoef(steps.centred.ravel(), once.ravel())[0, 1] > 0.95
