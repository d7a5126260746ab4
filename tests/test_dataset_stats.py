"""The dataset summaries shipped in data/summaries/ equal what ui/dataset_stats.py computes, and
are used only for the data they were computed from."""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pytest

from core.datasets import Dataset, DatasetError, load_dataset
from ui import dataset_stats as ds


def _tiny_dataset(seed: int) -> Dataset:
    rng = np.random.default_rng(seed)
    return Dataset(
        name="tiny",
        train_images=rng.integers(0, 256, (40, 784), dtype=np.uint8),
        train_labels=np.arange(40, dtype=np.uint8) % 10,
        test_images=rng.integers(0, 256, (10, 784), dtype=np.uint8),
        test_labels=np.arange(10, dtype=np.uint8),
        class_names=tuple(str(k) for k in range(10)),
    )


def _assert_same(stored, computed) -> None:
    """Equal to float32 rounding: a float32 SVD on another NumPy/BLAS build differs in the last
    bits, so the tolerance is relative to each array's largest value (numpy 2.4 moved two PCA
    coordinates near 0 by 1.4e-6, where the largest is 8.6)."""
    for field in fields(computed):
        value = getattr(computed, field.name)
        scale = float(np.abs(value).max()) if value.size else 0.0
        np.testing.assert_allclose(
            getattr(stored, field.name), value, rtol=1e-5, atol=1e-6 * max(scale, 1.0)
        )
        assert not getattr(stored, field.name).flags.writeable, field.name


@pytest.mark.parametrize("name", ["mnist", "fashion-mnist"])
def test_the_shipped_summary_equals_the_computation(name):
    try:
        dataset = load_dataset(name)
    except DatasetError:
        if name == "mnist":  # shipped with the app: must be there
            raise
        pytest.skip(f"{name} is not available on this machine")
    loaded = ds.load_summary(ds.SUMMARY_DIR / f"{name}.npz", dataset)
    assert loaded is not None, "regenerate with scripts/dataset_summaries.py"
    stats, projection = loaded
    _assert_same(stats, ds.compute_stats(dataset))
    _assert_same(projection, ds.compute_pca(dataset))


def test_a_summary_round_trips_and_belongs_to_its_data_only(tmp_path):
    path = tmp_path / "tiny.npz"
    dataset = _tiny_dataset(0)
    ds.save_summary(path, dataset)
    stats, projection = ds.load_summary(path, dataset)
    _assert_same(stats, ds.compute_stats(dataset))
    _assert_same(projection, ds.compute_pca(dataset, ds.PCA_SAMPLE))
    assert ds.load_summary(path, _tiny_dataset(1)) is None  # other pixels: not used
    assert ds.load_summary(tmp_path / "missing.npz", dataset) is None


def test_the_warm_up_fills_the_caches_a_first_visit_reads(monkeypatch):
    from ui import calibration_parts, explore_pca, warm_up
    from ui.loaders import _load_dataset_once, shipped_model
    from ui.state import fingerprint

    computed = []
    compute = calibration_parts.compute_calibration
    monkeypatch.setattr(
        calibration_parts,
        "compute_calibration",
        lambda model, dataset: computed.append(dataset.name) or compute(model, dataset),
    )
    calibration_parts.calibration_of.clear()
    drawn = []
    draw = explore_pca.scatter_uri
    monkeypatch.setattr(
        explore_pca, "scatter_uri", lambda *args: drawn.append(len(args[0])) or draw(*args)
    )
    explore_pca.pca_picture_uri.clear()
    thread = warm_up.start_warm_up()
    assert warm_up.start_warm_up() is thread  # once per process
    thread.join(timeout=300)
    if not computed:  # another test's app run started the thread earlier: warm up again
        warm_up.warm_caches()
    assert computed == ["mnist"]
    assert drawn == [3000]  # the PCA picture
    model, dataset = shipped_model(), _load_dataset_once("mnist")
    calibration_parts.calibration_of(
        fingerprint(model, "mnist"), model, dataset
    )  # what the Confidence page asks for: already there
    assert computed == ["mnist"]
    explore_pca.pca_picture_uri("mnist", dataset)  # what Explore asks for: already there
    assert drawn == [3000]
