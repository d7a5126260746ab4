"""core.deskew (also core.preprocess.deskew): properties with Hypothesis, the trainer's and the
CLI's deskew option, and the model that remembers it."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from core import preprocess
from core.cli import main
from core.deskew import DESKEW_CHUNK, deskew, slant
from core.idx import write_idx
from core.model import SoftmaxRegression
from core.model_file import ModelFileError
from core.train import ConfigError, TrainConfig, Trainer

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _moments(image: np.ndarray) -> tuple[float, float, float, float]:
    """(row centre, column centre, row variance, row/column covariance) of one (H, W) image,
    written out with meshgrids (independent of core.deskew)."""
    ink = image.astype(np.float64)
    r, c = np.meshgrid(np.arange(ink.shape[0]), np.arange(ink.shape[1]), indexing="ij")
    m = ink.sum()
    r0, c0 = (ink * r).sum() / m, (ink * c).sum() / m
    return r0, c0, (ink * (r - r0) ** 2).sum() / m, (ink * (r - r0) * (c - c0)).sum() / m


def _stroke(slope: float, thickness: float, top: int, bottom: int, centre: float) -> np.ndarray:
    """A slanted anti-aliased line: float (28, 28) ink in [0, 1], at column
    centre + slope * (row - 13.5) on rows top..bottom."""
    r, c = np.meshgrid(np.arange(28), np.arange(28), indexing="ij")
    axis = centre + slope * (r - 13.5)
    ink = np.clip(thickness / 2 + 0.5 - np.abs(c - axis), 0, 1)
    ink[(r < top) | (r > bottom)] = 0
    return ink


@FAST
@given(
    arrays(np.uint8, st.tuples(st.integers(1, 4), st.just(28), st.just(28))),
    st.booleans(),
)
def test_shape_dtype_and_range_are_kept(images, flat):
    x = images.reshape(len(images), 784) if flat else images
    out = deskew(x)
    assert out.shape == x.shape and out.dtype == np.uint8
    as_float = deskew(x.astype(np.float32) / 255)
    assert as_float.dtype == np.float32 and as_float.shape == x.shape
    assert as_float.min() >= 0 and as_float.max() <= x.max() / 255 + 1e-6
    # uint8 and float agree up to the rounding of the uint8 result.
    assert np.abs(out / 255.0 - as_float).max() <= 0.5 / 255 + 1e-6


@FAST
@given(arrays(np.uint8, (28, 14)), st.integers(0, 27))
def test_an_upright_image_is_unchanged(half, bar_column):
    # Mirror-symmetric about the middle column: the covariance is exactly 0, nothing moves.
    image = np.hstack([half, half[:, ::-1]])
    np.testing.assert_array_equal(deskew(image[None])[0], image)
    # A vertical bar anywhere is upright too.
    bar = np.zeros((28, 28), np.uint8)
    bar[3:25, bar_column] = 200
    np.testing.assert_array_equal(deskew(bar[None])[0], bar)


@FAST
@given(
    st.floats(-0.6, 0.6),
    st.floats(1.0, 3.0),
    st.integers(3, 8),
    st.integers(19, 24),
    st.floats(11.0, 16.0),
)
def test_a_slanted_stroke_becomes_upright_around_its_centre(slope, thickness, top, bottom, centre):
    ink = _stroke(slope, thickness, top, bottom, centre)
    r0, c0, var_r, cov = _moments(ink)
    assert slant(ink[None])[0][0] == pytest.approx(cov / var_r, rel=1e-9, abs=1e-12)
    upright = deskew(ink[None])[0]
    r1, c1, var_r1, cov1 = _moments(upright)
    # The slope cov / var_r is ~0 after (before: up to 0.6 px per row).
    assert abs(cov1 / var_r1) < 0.02
    assert (r1, c1) == (pytest.approx(r0, abs=0.05), pytest.approx(c0, abs=0.05))
    assert upright.sum() == pytest.approx(ink.sum(), rel=0.02)  # no ink lost off the field


def test_more_images_than_a_chunk_and_empty_images():
    rng = np.random.default_rng(0)
    images = np.stack(
        [(_stroke(s, 2.0, 5, 22, 14.0) * 255).astype(np.uint8) for s in rng.uniform(-0.5, 0.5, 5)]
    )
    many = np.concatenate([images] * (DESKEW_CHUNK // 5 + 1) + [np.zeros((2, 28, 28), np.uint8)])
    out = deskew(many)
    np.testing.assert_array_equal(out[:5], deskew(images))
    np.testing.assert_array_equal(out[-7:-2], deskew(images))
    assert not out[-2:].any()
    with pytest.raises(ValueError, match="shape"):
        deskew(np.zeros((3, 100)))
    assert preprocess.deskew is deskew


def _separable_by_slant(n, rng):
    """Digits '1' leaning left are class 0, leaning right class 1; after deskewing both are
    the same upright bar (a test set a deskewing model cannot tell apart)."""
    slopes = rng.uniform(0.25, 0.5, n) * np.where(np.arange(n) % 2, 1, -1)
    images = np.stack([(_stroke(s, 2.0, 4, 23, 14.0) * 255).astype(np.uint8) for s in slopes])
    return images, (np.arange(n) % 2).astype(np.uint8)


def test_the_trainer_trains_and_evaluates_on_deskewed_images():
    rng = np.random.default_rng(1)
    train, labels = _separable_by_slant(200, rng)
    data = (train, labels, train[:50], labels[:50])
    config = dict(epochs=5, batch_size=20, lr=0.5)
    plain = Trainer(TrainConfig(**config), data).run()
    straight = Trainer(TrainConfig(**config, deskew=True), data)
    model = straight.run()
    assert straight.deskew_seconds > 0
    # The slant is all that tells the classes apart: gone after deskewing.
    assert plain.metrics["test_acc"] == 1.0
    assert model.metrics["test_acc"] < 0.8
    assert model.deskew and model.config["deskew"] is True and not plain.deskew
    np.testing.assert_array_equal(model.preprocess(train), deskew(train))
    assert plain.preprocess(train) is train
    assert train.flags.writeable is True  # the caller's images were not touched
    with pytest.raises(ConfigError, match="deskew"):
        TrainConfig(deskew="yes").validate()


def test_the_model_file_remembers_deskewing(tmp_path):
    rng = np.random.default_rng(2)
    W, b = rng.normal(size=(784, 10)), np.zeros(10)
    model = SoftmaxRegression(W, b, preprocessing="deskew")
    back = SoftmaxRegression.load(model.save(tmp_path / "m.npz"))
    assert back.deskew and back.preprocessing == "deskew"
    # A file written before the field existed: no preprocessing.
    arrays = dict(np.load(tmp_path / "m.npz"))
    del arrays["preprocessing"]
    np.savez(tmp_path / "old.npz", **arrays)
    assert SoftmaxRegression.load(tmp_path / "old.npz").preprocessing == ""
    arrays["preprocessing"] = np.array("sharpen")
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(ModelFileError, match="preprocessing"):
        SoftmaxRegression.load(tmp_path / "bad.npz")
    with pytest.raises(ValueError, match="preprocessing"):
        SoftmaxRegression(W, b, preprocessing="blur")


def test_cli_deskew(tmp_path, capsys):
    rng = np.random.default_rng(3)
    folder = tmp_path / "tiny"
    folder.mkdir()
    for stem, n in (("train", 100), ("t10k", 40)):
        images, labels = _separable_by_slant(n, rng)
        write_idx(images, folder / f"{stem}-images-idx3-ubyte")
        write_idx(labels, folder / f"{stem}-labels-idx1-ubyte")
    out = tmp_path / "o"
    args = ["--data-dir", str(folder), "--deskew", "--epochs", "2", "--batch-size", "20"]
    assert main([*args, "--out", str(out)]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("test result: ")
    model = SoftmaxRegression.load(out / "model.npz")
    assert model.deskew and model.config["deskew"] is True


def test_cli_lbfgs_deskew(tmp_path, capsys):
    rng = np.random.default_rng(4)
    folder = tmp_path / "tiny"
    folder.mkdir()
    for stem, n in (("train", 60), ("t10k", 20)):
        images, labels = _separable_by_slant(n, rng)
        labels[:10] = np.arange(10)  # every class present: the bias has a minimum
        write_idx(images, folder / f"{stem}-images-idx3-ubyte")
        write_idx(labels, folder / f"{stem}-labels-idx1-ubyte")
    out = tmp_path / "o"
    args = ["--data-dir", str(folder), "--solver", "lbfgs", "--deskew", "--l2", "0.1"]
    assert main([*args, "--out", str(out)]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("test result: ")
    model = SoftmaxRegression.load(out / "model.npz")
    assert model.deskew and model.config["solver"] == "lbfgs"
    assert model.classes == tuple(str(d) for d in range(10))
