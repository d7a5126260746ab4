"""Tests for core.preprocess: canvas image -> MNIST-style 28x28 digit."""

from __future__ import annotations

import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from core.preprocess import (
    BOX_SIZE,
    INK_THRESHOLD,
    OUT_SIZE,
    TARGET_CENTRE,
    EmptyCanvasError,
    area_resample_matrix,
    canvas_to_mnist,
    centre_of_mass,
    digit_to_canvas,
    is_a_dot,
    preprocess_steps,
)

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def rgba(gray: np.ndarray) -> np.ndarray:
    """(H, W) float ink in [0, 1] -> (H, W, 4) uint8 white-on-black canvas with alpha 255."""
    canvas = np.empty(gray.shape + (4,), dtype=np.uint8)
    canvas[:, :, :3] = np.round(np.clip(gray, 0, 1) * 255)[:, :, None]
    canvas[:, :, 3] = 255
    return canvas


@st.composite
def inked_canvases(draw, max_side: int = 300):
    """(H, W) float32 ink images with at least one ink pixel and at least one background pixel.

    Ink is a few random rectangles (strokes, blobs, dots) of random strength >= INK_THRESHOLD.
    """
    height = draw(st.integers(1, max_side))
    width = draw(st.integers(1 if height > 1 else 2, max_side))
    gray = np.zeros((height, width), dtype=np.float32)
    for _ in range(draw(st.integers(1, 4))):
        top = draw(st.integers(0, height - 1))
        left = draw(st.integers(0, width - 1))
        bottom = draw(st.integers(top + 1, min(height, top + 60)))
        right = draw(st.integers(left + 1, min(width, left + 60)))
        gray[top:bottom, left:right] = draw(st.floats(0.15, 1.0))
    if (gray >= INK_THRESHOLD).all():  # keep some background: "all ink" is its own case
        gray[draw(st.integers(0, height - 1)), draw(st.integers(0, width - 1))] = 0
    return gray


def ink_extent(image: np.ndarray) -> tuple[int, int]:
    """(rows, cols) spanned by the non-zero pixels of a (28, 28) image."""
    rows = np.flatnonzero(image.any(axis=1))
    cols = np.flatnonzero(image.any(axis=0))
    return int(rows[-1] - rows[0] + 1), int(cols[-1] - cols[0] + 1)


# --- Properties over arbitrary non-empty canvases ------------------------------------------


@FAST
@given(inked_canvases())
def test_output_is_28x28_float32_in_unit_range(gray):
    started = time.perf_counter()
    out = canvas_to_mnist(rgba(gray))
    elapsed = time.perf_counter() - started
    assert out.shape == (OUT_SIZE, OUT_SIZE)
    assert out.dtype == np.float32
    assert np.isfinite(out).all()
    assert out.min() >= 0.0 and out.max() <= 1.0
    assert out.max() > 0  # ink survives
    assert elapsed < 0.5  # generous bound: typically a few ms


@FAST
@given(inked_canvases())
def test_digit_fits_the_20px_box_with_longer_side_exactly_20(gray):
    out = canvas_to_mnist(gray)
    rows, cols = ink_extent(out)
    assert max(rows, cols) == BOX_SIZE
    assert rows <= BOX_SIZE and cols <= BOX_SIZE


@FAST
@given(inked_canvases())
def test_centre_of_mass_is_centred_unless_the_border_stops_it(gray):
    steps = preprocess_steps(gray)
    com = centre_of_mass(steps.centred)
    rows_with_ink = np.flatnonzero(steps.centred.any(axis=1))
    cols_with_ink = np.flatnonzero(steps.centred.any(axis=0))
    for axis, ink_lines in ((0, rows_with_ink), (1, cols_with_ink)):
        touches_border = ink_lines[0] == 0 or ink_lines[-1] == OUT_SIZE - 1
        if not touches_border:  # clipping did not interfere: whole-pixel shift -> within 0.5
            assert abs(com[axis] - TARGET_CENTRE[axis]) <= 0.5 + 1e-6
    # The brief's tolerance holds for every canvas whose digit is not pushed to a border.
    if rows_with_ink[0] > 0 and rows_with_ink[-1] < OUT_SIZE - 1:
        assert abs(com[0] - TARGET_CENTRE[0]) <= 1


@FAST
@given(inked_canvases(max_side=200), st.integers(0, 79), st.integers(0, 79))
def test_translating_the_drawing_does_not_change_the_result(gray, dy, dx):
    height, width = gray.shape
    moved = np.zeros((height + 80, width + 80), dtype=np.float32)
    moved[dy : dy + height, dx : dx + width] = gray
    np.testing.assert_array_equal(canvas_to_mnist(moved), canvas_to_mnist(gray))


@FAST
@given(inked_canvases(max_side=200), st.floats(0.0, INK_THRESHOLD * 0.99), st.integers(0, 2**32))
def test_faint_noise_below_the_threshold_is_ignored(gray, noise_level, seed):
    noise = np.random.default_rng(seed).uniform(0, noise_level, size=gray.shape)
    noisy = np.where(gray >= INK_THRESHOLD, gray, noise).astype(np.float32)
    np.testing.assert_array_equal(canvas_to_mnist(noisy), canvas_to_mnist(gray))


@FAST
@given(inked_canvases(max_side=120))
def test_steps_are_consistent(gray):
    steps = preprocess_steps(rgba(gray))
    top, left, bottom, right = steps.bbox
    assert steps.gray.shape == gray.shape and steps.gray.dtype == np.float32
    np.testing.assert_array_equal(steps.cropped, steps.gray[top:bottom, left:right])
    ink = steps.gray >= INK_THRESHOLD
    assert (
        ink[top].any() and ink[bottom - 1].any() and ink[:, left].any() and ink[:, right - 1].any()
    )
    assert not ink[:top].any() and not ink[bottom:].any()
    assert not ink[:, :left].any() and not ink[:, right:].any()
    assert max(steps.resized.shape) == BOX_SIZE
    assert steps.resized.dtype == np.float32 and steps.centred.dtype == np.float32
    # The centred image is the resized one pasted at the middle plus `shift`.
    h, w = steps.resized.shape
    row = (OUT_SIZE - h) // 2 + steps.shift[0]
    col = (OUT_SIZE - w) // 2 + steps.shift[1]
    np.testing.assert_array_equal(steps.centred[row : row + h, col : col + w], steps.resized)
    assert steps.centred.sum() == pytest.approx(steps.resized.sum(), rel=1e-6)
    np.testing.assert_array_equal(canvas_to_mnist(rgba(gray)), steps.centred)


# --- Edge cases -------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(280, 280, 4), (280, 280, 3), (280, 280), (1, 1), (3, 500)])
def test_empty_canvas_raises_empty_canvas_error(shape):
    canvas = np.zeros(shape, dtype=np.uint8)
    if len(shape) == 3 and shape[2] == 4:
        canvas[:, :, 3] = 255
    with pytest.raises(EmptyCanvasError, match="the canvas is empty: draw a digit"):
        canvas_to_mnist(canvas)


def test_empty_canvas_error_is_a_value_error():
    assert issubclass(EmptyCanvasError, ValueError)


def test_noise_only_canvas_is_empty():
    noise = np.random.default_rng(0).uniform(0, INK_THRESHOLD * 0.9, size=(280, 280))
    with pytest.raises(EmptyCanvasError, match="empty"):
        canvas_to_mnist(noise)


@pytest.mark.parametrize("shape", [(280, 280, 4), (280, 280, 3), (280, 280), (1, 1), (1, 5)])
def test_all_white_canvas_raises_completely_filled(shape):
    with pytest.raises(EmptyCanvasError, match="the canvas is completely filled"):
        canvas_to_mnist(np.full(shape, 255, dtype=np.uint8))


@given(st.integers(0, 279), st.integers(0, 279), st.sampled_from([1, 2, 18]))
@settings(max_examples=40, deadline=None)
def test_a_single_dot_gives_a_valid_centred_square(row, col, diameter):
    gray = np.zeros((280, 280), dtype=np.float32)
    gray[row : row + diameter, col : col + diameter] = 1.0
    out = canvas_to_mnist(gray)
    assert np.isfinite(out).all() and out.dtype == np.float32
    # A square dot becomes the full 20x20 box, centred: rows/cols 4..23.
    rows, cols = ink_extent(out)
    if row + diameter <= 280 and col + diameter <= 280:
        assert (rows, cols) == (BOX_SIZE, BOX_SIZE)
    assert centre_of_mass(out)[0] == pytest.approx(TARGET_CENTRE[0], abs=0.5)


@pytest.mark.parametrize(
    ("side", "brush", "dot"),
    [
        (3, 20, True),
        (20, 20, True),
        (30, 20, True),
        (31, 20, False),
        (60, 40, True),
        (61, 40, False),
    ],
)
def test_a_dot_is_ink_no_bigger_than_a_dab_of_the_brush(side, brush, dot):
    gray = np.zeros((280, 280), dtype=np.float32)
    gray[100 : 100 + side, 50 : 50 + side // 2 + 1] = 1.0  # its longer side counts
    assert is_a_dot(preprocess_steps(rgba(gray)), brush) is dot


def test_a_redrawn_mnist_digit_is_no_dot(mnist_sample):
    for digit in mnist_sample[:20]:
        steps = preprocess_steps(digit_to_canvas(digit, 120, 20, 140))
        assert not is_a_dot(steps, 20)


def test_transparent_pixels_carry_no_ink():
    canvas = np.full((50, 50, 4), 255, dtype=np.uint8)
    canvas[:, :, 3] = 0  # white but fully transparent everywhere
    with pytest.raises(EmptyCanvasError, match="empty"):
        canvas_to_mnist(canvas)
    canvas[10:30, 20:25, 3] = 255
    assert canvas_to_mnist(canvas).max() == pytest.approx(1.0)


def test_input_layouts_and_dtypes_agree():
    gray = np.zeros((280, 280), dtype=np.float32)
    gray[40:240, 120:150] = 1.0
    gray[40:70, 90:150] = 0.6
    u8 = np.round(gray * 255).astype(np.uint8)
    expected = canvas_to_mnist(rgba(gray))
    rgb = np.repeat(u8[:, :, None], 3, axis=2)
    coloured = rgb.copy()
    coloured[:, :, 1:] = 0  # red ink: any bright channel counts
    for variant in (
        u8,
        rgb,
        coloured,
        u8.astype(np.int64),
        u8 / 255.0,
        (u8 / 255).astype(np.float16),
    ):
        np.testing.assert_allclose(canvas_to_mnist(variant), expected, atol=2e-3)
    assert canvas_to_mnist(gray > 0.5).shape == (28, 28)  # bool input
    assert canvas_to_mnist(u8.tolist()).shape == (28, 28)  # nested lists


def test_thin_strokes_keep_grey_levels():
    """Area averaging: a stroke thinner than one output pixel becomes grey, not black/white."""
    gray = np.zeros((280, 280), dtype=np.float32)
    gray[40:240, 40:45] = 1.0  # 5 px wide outline of a 200x200 square -> 0.5 px after x0.1
    gray[40:240, 235:240] = 1.0
    gray[40:45, 40:240] = 1.0
    gray[235:240, 40:240] = 1.0
    out = canvas_to_mnist(gray)
    edge = out[out > 0]
    assert 0.3 < edge.max() < 0.8
    assert out.sum() == pytest.approx(gray.sum() * (BOX_SIZE / 200) ** 2, rel=1e-4)


def test_area_resample_matrix():
    np.testing.assert_allclose(
        area_resample_matrix(3, 2), [[2 / 3, 1 / 3, 0], [0, 1 / 3, 2 / 3]], rtol=1e-6
    )
    np.testing.assert_allclose(area_resample_matrix(4, 2), [[0.5, 0.5, 0, 0], [0, 0, 0.5, 0.5]])
    np.testing.assert_array_equal(area_resample_matrix(5, 5), np.eye(5))
    np.testing.assert_allclose(area_resample_matrix(1, 4), np.ones((4, 1)))  # upscale: copy


@given(st.integers(1, 400), st.integers(1, 40))
@settings(max_examples=100, deadline=None)
def test_area_resample_matrix_rows_average_and_mass_is_kept(n_in, n_out):
    matrix = area_resample_matrix(n_in, n_out).astype(np.float64)
    assert matrix.shape == (n_out, n_in) and (matrix >= 0).all()
    np.testing.assert_allclose(matrix.sum(axis=1), 1.0, atol=1e-5)
    # Every input pixel contributes n_out / n_in of its ink in total.
    np.testing.assert_allclose(matrix.sum(axis=0), n_out / n_in, atol=1e-5)


def test_typical_canvas_takes_a_few_milliseconds():
    digit = np.zeros((28, 28), dtype=np.uint8)
    digit[4:24, 12:16] = 255
    digit[4:8, 8:16] = 255
    canvas = digit_to_canvas(digit, 250, 15, 15, binarize=True)
    canvas_to_mnist(canvas)  # warm up
    timings = []
    for _ in range(20):
        started = time.perf_counter()
        canvas_to_mnist(canvas)
        timings.append(time.perf_counter() - started)
    assert np.median(timings) < 0.02  # ~2-3 ms on a laptop; 20 ms leaves room for slow CI


# --- Invalid input: only ValueError, with a clear message ------------------------------------


@pytest.mark.parametrize(
    ("image", "message"),
    [
        (np.zeros(5, dtype=np.uint8), "shape"),
        (np.zeros((2, 2, 2, 4), dtype=np.uint8), "shape"),
        (np.uint8(3), "shape"),
        (np.zeros((10, 10, 2), dtype=np.uint8), "channels"),
        (np.zeros((0, 10, 4), dtype=np.uint8), "empty"),
        (np.zeros((10, 0), dtype=np.uint8), "empty"),
        (np.broadcast_to(np.uint8(0), (5000, 5000, 4)), "too large"),
        (np.zeros((4097, 1), dtype=np.uint8), "too large"),
        (np.full((5, 5), np.nan), "NaN or infinite"),
        (np.full((5, 5), np.inf, dtype=np.float32), "NaN or infinite"),
        (np.full((5, 5), 2.0), r"\[0, 1\]"),
        (np.full((5, 5), -0.5), r"\[0, 1\]"),
        (np.full((5, 5), 256, dtype=np.int32), "0..255"),
        (np.full((5, 5), -1, dtype=np.int8), "0..255"),
        (np.zeros((5, 5), dtype=np.complex64), "dtype"),
        (np.full((5, 5), "x"), "dtype"),
        (np.empty((5, 5), dtype=object), "dtype"),
        ([[1, 2], [3]], "not an array"),
        (None, "shape"),
    ],
)
def test_invalid_input_raises_value_error_with_message(image, message):
    with pytest.raises(ValueError, match=message) as excinfo:
        canvas_to_mnist(image)
    assert not isinstance(excinfo.value, EmptyCanvasError)


fuzz_dtypes = st.sampled_from(
    [np.uint8, np.int8, np.int16, np.uint16, np.int64, np.float16, np.float32, np.float64, bool]
)


@settings(max_examples=200, deadline=None)
@given(
    hnp.arrays(
        dtype=fuzz_dtypes,
        shape=hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=12),
    )
)
def test_fuzz_only_value_errors(array):
    try:
        out = canvas_to_mnist(array)
    except ValueError:
        return
    assert out.shape == (28, 28) and out.dtype == np.float32
    assert np.isfinite(out).all() and out.min() >= 0 and out.max() <= 1


@settings(max_examples=100, deadline=None)
@given(
    hnp.arrays(
        dtype=np.float32,
        shape=st.tuples(st.integers(1, 40), st.integers(1, 40), st.sampled_from([3, 4])),
        elements=st.floats(0, 1, width=32),
    ),
    st.booleans(),
)
def test_fuzz_valid_rgb_images_never_crash(array, as_uint8):
    if as_uint8:
        array = np.round(array * 255).astype(np.uint8)
    try:
        out = canvas_to_mnist(array)
    except EmptyCanvasError:
        return
    assert out.shape == (28, 28) and np.isfinite(out).all()


# --- digit_to_canvas (the redraw helper used here and in bench/) -----------------------------


def test_digit_to_canvas_layout_and_clipping():
    digit = np.zeros((28, 28), dtype=np.uint8)
    digit[10:18, 10:18] = 255
    canvas = digit_to_canvas(digit, 280, 0, 0, method="nearest")
    assert canvas.shape == (280, 280, 4) and canvas.dtype == np.uint8
    assert (canvas[:, :, 3] == 255).all()
    assert (canvas[100:180, 100:180, :3] == 255).all()
    assert canvas[:100, :, :3].max() == 0
    # Partly outside the canvas: cut, not an error; fully outside: blank.
    cut = digit_to_canvas(digit, 100, 220, 220, method="nearest")  # ink at 256..284 of 280
    assert cut[256:, 256:, 0].min() > 0 and cut[:256, :, 0].max() == 0
    assert digit_to_canvas(digit, 100, 300, 0)[:, :, :3].max() == 0
    thick = digit_to_canvas(digit, 280, 0, 0, method="nearest", stroke=5)
    thin = digit_to_canvas(digit, 280, 0, 0, method="nearest", stroke=-5)
    assert (thick[:, :, 0] > 0).sum() == 90 * 90 and (thin[:, :, 0] > 0).sum() == 70 * 70
    with pytest.raises(ValueError, match="method"):
        digit_to_canvas(digit, 100, 0, 0, method="cubic")


# --- Invariance on real MNIST digits ----------------------------------------------------------


@pytest.fixture(scope="module")
def mnist_sample(mnist):
    """200 MNIST test digits (28, 28) uint8, picked with a seeded Generator."""
    rng = np.random.default_rng(2024)
    picked = rng.choice(len(mnist.test_images), size=200, replace=False)
    return mnist.test_images[picked].reshape(-1, 28, 28)


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


REDRAW_STYLES = {
    "small, top-right corner": dict(size=70, top=5, left=200),
    "huge": dict(size=260, top=10, left=10),
    "off-centre, bottom-left": dict(size=150, top=120, left=20),
    "nearest, 100 px": dict(size=100, top=30, left=150, method="nearest"),
    "hard strokes (binarized)": dict(size=200, top=40, left=40, binarize=True),
}


@pytest.mark.parametrize("style", list(REDRAW_STYLES))
def test_redrawn_mnist_digits_come_back_alike(mnist_sample, style):
    """Digits drawn small, huge, off-centre or with hard strokes come out like the original."""
    correlations, differences = [], []
    for digit in mnist_sample:
        out = canvas_to_mnist(digit_to_canvas(digit, **REDRAW_STYLES[style]))
        original = digit / np.float32(255)
        correlations.append(correlation(out, original))
        differences.append(np.abs(out - original).mean())
    correlations = np.array(correlations)
    assert np.median(correlations) > 0.95
    assert (correlations > 0.9).mean() > 0.75
    assert (correlations > 0.8).mean() > 0.9
    assert np.mean(differences) < 0.05


def test_thick_and_thin_redraws_stay_recognisably_alike(mnist_sample):
    """Thicker/thinner strokes change pixels, but each digit stays closest to its own redraws."""
    variants = {
        name: np.stack(
            [canvas_to_mnist(digit_to_canvas(d, 200, 40, 40, stroke=s)) for d in mnist_sample[:80]]
        )
        for name, s in (("thick", 6), ("thin", -3), ("plain", 0))
    }
    for name in ("thick", "thin"):
        corr = [correlation(a, b) for a, b in zip(variants[name], variants["plain"], strict=True)]
        assert np.median(corr) > 0.8, name


def test_size_and_place_do_not_matter_between_redraws(mnist_sample):
    """The same digit drawn small in a corner and huge in the middle gives near-identical images."""
    correlations = [
        correlation(
            canvas_to_mnist(digit_to_canvas(digit, 84, 190, 3)),
            canvas_to_mnist(digit_to_canvas(digit, 252, 14, 14)),
        )
        for digit in mnist_sample
    ]
    assert np.median(correlations) > 0.95
    assert np.mean(np.array(correlations) > 0.85) > 0.9


def test_mnist_digits_are_nearly_fixed_points(mnist_sample):
    """Feeding an MNIST digit itself (already 20px box, centred) changes it little."""
    correlations = [
        correlation(canvas_to_mnist(d), d.astype(np.float32)) for d in mnist_sample[:80]
    ]
    assert np.median(correlations) > 0.97
