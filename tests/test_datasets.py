"""core.datasets: the shipped MNIST copy matches the published facts, folders with the usual
file names load, Fashion-MNIST loads from the Debian package, and bad data is refused."""

from __future__ import annotations

import gzip
import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest

from core import datasets, download
from core.datasets import (
    CLASS_NAMES,
    DATASET_NAMES,
    Dataset,
    DatasetError,
    dataset_available,
    find_dataset_files,
    how_to_get,
    load_dataset,
)
from core.idx import write_idx

REPO = Path(__file__).resolve().parent.parent
SHIPPED = REPO / "data" / "mnist"

# Published facts about MNIST, written here on purpose (not read from the project's tables).
MNIST_MD5_AFTER_GUNZIP = {
    "train-images-idx3-ubyte.gz": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte.gz": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte.gz": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte.gz": "27ae3e4e09519cfbb04c329615203637",
}
MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]

FASHION_MD5_AFTER_GUNZIP = {
    "train-images-idx3-ubyte.gz": "f4a8712d7a061bf5bd6d2ca38dc4d50a",
    "train-labels-idx1-ubyte.gz": "9018921c3c673c538a1fc5bad174d6f9",
    "t10k-images-idx3-ubyte.gz": "8181f5470baa50b63fa0f6fddb340f0a",
    "t10k-labels-idx1-ubyte.gz": "15d484375f8d13e6eb1aabb0c3f46965",
}


# Never look at (or fill) the real ~/.cache from a test.
pytestmark = pytest.mark.usefixtures("private_dataset_cache")


def _md5_after_gunzip(path: Path) -> str:
    return hashlib.md5(gzip.decompress(path.read_bytes()), usedforsecurity=False).hexdigest()


# ---------------------------------------------------------------------------------------------
# The shipped MNIST copy


@pytest.mark.parametrize("filename", list(MNIST_MD5_AFTER_GUNZIP))
def test_shipped_files_have_the_published_md5_after_gunzip(filename):
    assert _md5_after_gunzip(SHIPPED / filename) == MNIST_MD5_AFTER_GUNZIP[filename]


def test_shipped_sha256sums_file_is_right():
    for line in (SHIPPED / "SHA256SUMS").read_text().splitlines():
        digest, filename = line.split()
        assert hashlib.sha256((SHIPPED / filename).read_bytes()).hexdigest() == digest, filename


def test_shipped_mnist_is_the_default_and_has_the_known_shapes(mnist):
    assert mnist.name == "mnist"
    assert "data/mnist" in mnist.source
    assert mnist.train_images.shape == (60000, 784)
    assert mnist.train_labels.shape == (60000,)
    assert mnist.test_images.shape == (10000, 784)
    assert mnist.test_labels.shape == (10000,)
    assert mnist.class_names == tuple("0123456789")
    assert mnist.n_classes == 10


def test_shipped_mnist_label_counts(mnist):
    assert np.bincount(mnist.train_labels, minlength=10).tolist() == MNIST_TRAIN_COUNTS
    assert np.bincount(mnist.test_labels, minlength=10).tolist() == MNIST_TEST_COUNTS


def test_arrays_are_uint8_and_read_only(mnist):
    for array in (mnist.train_images, mnist.train_labels, mnist.test_images, mnist.test_labels):
        assert array.dtype == np.uint8
        assert not array.flags.writeable
        with pytest.raises(ValueError, match="read-only"):
            array[0] = 1
    # A plain digit: ink in the middle, background 0, full 0..255 range used.
    assert mnist.train_images.min() == 0 and mnist.train_images.max() == 255
    first = mnist.train_images[0].reshape(28, 28)
    assert first[0].sum() == 0 and first[10:18, 10:18].sum() > 0
    assert mnist.train_labels[:5].tolist() == [5, 0, 4, 1, 9]


def test_dataset_is_frozen(mnist):
    with pytest.raises(AttributeError):
        mnist.name = "other"  # type: ignore[misc]


def test_available_and_how_to_get():
    assert DATASET_NAMES == ("mnist", "fashion-mnist")
    assert dataset_available("mnist")
    assert "data/mnist" in how_to_get("mnist")
    assert "apt-get install dataset-fashion-mnist" in how_to_get("fashion-mnist")


def test_unknown_dataset_name():
    with pytest.raises(DatasetError, match="unknown dataset 'cifar'.*mnist, fashion-mnist"):
        load_dataset("cifar")
    with pytest.raises(DatasetError, match="unknown dataset"):
        dataset_available("cifar")


def test_mnist_missing_everywhere_says_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets, "SHIPPED_MNIST_DIR", tmp_path / "gone")
    assert not dataset_available("mnist")
    with pytest.raises(DatasetError, match="git checkout -- data/mnist"):
        load_dataset("mnist")


# ---------------------------------------------------------------------------------------------
# Fashion-MNIST from the Debian package


def test_fashion_mnist_loads_from_the_debian_package(needs_fashion_mnist):
    assert dataset_available("fashion-mnist")
    fashion = load_dataset("fashion-mnist")
    assert fashion.source.endswith(f"({needs_fashion_mnist})")
    assert fashion.train_images.shape == (60000, 784)
    assert fashion.test_images.shape == (10000, 784)
    assert fashion.class_names == CLASS_NAMES["fashion-mnist"]
    assert fashion.class_names[0] == "T-shirt/top" and fashion.class_names[9] == "Ankle boot"
    # Fashion-MNIST is balanced: 6000 train and 1000 test images per class.
    assert np.bincount(fashion.train_labels, minlength=10).tolist() == [6000] * 10
    assert np.bincount(fashion.test_labels, minlength=10).tolist() == [1000] * 10
    assert not fashion.train_images.flags.writeable


@pytest.mark.parametrize("filename", list(FASHION_MD5_AFTER_GUNZIP))
def test_fashion_checksums_are_the_published_ones(filename):
    expected = FASHION_MD5_AFTER_GUNZIP[filename]
    assert download.MD5_DECOMPRESSED["fashion-mnist"][filename.removesuffix(".gz")] == expected


@pytest.mark.parametrize("filename", list(FASHION_MD5_AFTER_GUNZIP))
def test_the_debian_fashion_mnist_has_the_published_content(filename, needs_fashion_mnist):
    assert _md5_after_gunzip(needs_fashion_mnist / filename) == FASHION_MD5_AFTER_GUNZIP[filename]


def test_fashion_mnist_missing(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets, "SYSTEM_FASHION_DIR", tmp_path / "not-installed")
    assert not dataset_available("fashion-mnist")
    with pytest.raises(DatasetError, match="apt-get install dataset-fashion-mnist") as caught:
        load_dataset("fashion-mnist")
    assert "not available" in str(caught.value)
    assert "download_dataset('fashion-mnist')" in str(caught.value)


def test_fashion_mnist_falls_back_to_the_download_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets, "SYSTEM_FASHION_DIR", tmp_path / "not-installed")
    _write_tiny_dataset(datasets.default_cache_dir("fashion-mnist"), "{stem}.gz")
    assert dataset_available("fashion-mnist")
    fashion = load_dataset("fashion-mnist")
    assert "download cache" in fashion.source
    assert fashion.train_images.shape == (6, 784)


# ---------------------------------------------------------------------------------------------
# Folders with the usual file names


def _tiny_arrays(n_train=6, n_test=4, seed=0):
    rng = np.random.default_rng(seed)
    return {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte": rng.integers(0, 10, n_train, dtype=np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, n_test, dtype=np.uint8),
    }


def _write_tiny_dataset(folder: Path, pattern: str, arrays=None) -> dict[str, np.ndarray]:
    """Write the four files named by ``pattern`` ({stem} or {dotted}, with or without .gz)."""
    arrays = arrays or _tiny_arrays()
    folder.mkdir(parents=True, exist_ok=True)
    for stem, array in arrays.items():
        dotted = stem.replace("-idx", ".idx")
        write_idx(array, folder / pattern.format(stem=stem, dotted=dotted))
    return arrays


@pytest.mark.parametrize("pattern", ["{stem}", "{stem}.gz", "{dotted}", "{dotted}.gz"])
def test_folder_with_any_usual_names(tmp_path, pattern):
    arrays = _write_tiny_dataset(tmp_path / "data", pattern)
    loaded = load_dataset("mnist", data_dir=tmp_path / "data")
    assert loaded.source == str(tmp_path / "data")
    np.testing.assert_array_equal(
        loaded.train_images, arrays["train-images-idx3-ubyte"].reshape(6, 784)
    )
    np.testing.assert_array_equal(loaded.train_labels, arrays["train-labels-idx1-ubyte"])
    np.testing.assert_array_equal(
        loaded.test_images, arrays["t10k-images-idx3-ubyte"].reshape(4, 784)
    )
    np.testing.assert_array_equal(loaded.test_labels, arrays["t10k-labels-idx1-ubyte"])
    assert not loaded.test_labels.flags.writeable


def test_folder_of_symlinks_to_the_shipped_copy_with_dotted_raw_names(tmp_path):
    """Mixed names: dotted names pointing at the shipped .gz files (content is sniffed)."""
    for path in SHIPPED.glob("*.gz"):
        dotted = path.name[: -len(".gz")].replace("-idx", ".idx")
        (tmp_path / dotted).symlink_to(path)
    loaded = load_dataset("mnist", data_dir=tmp_path)
    assert np.bincount(loaded.test_labels).tolist() == MNIST_TEST_COUNTS
    assert set(find_dataset_files(tmp_path)) == {
        "train_images",
        "train_labels",
        "test_images",
        "test_labels",
    }


def test_folder_missing_files_are_named(tmp_path):
    (tmp_path / "train-images-idx3-ubyte.gz").symlink_to(SHIPPED / "train-images-idx3-ubyte.gz")
    with pytest.raises(DatasetError, match="missing train-labels-idx1-ubyte") as caught:
        load_dataset("mnist", data_dir=tmp_path)
    assert "t10k-images-idx3-ubyte" in str(caught.value)
    assert "train-images-idx3-ubyte[" not in str(caught.value)


def test_folder_that_does_not_exist(tmp_path):
    with pytest.raises(DatasetError, match="no such folder"):
        load_dataset("mnist", data_dir=tmp_path / "nope")


def test_malformed_file_in_folder_becomes_dataset_error(tmp_path):
    _write_tiny_dataset(tmp_path, "{stem}.gz")
    bad = tmp_path / "t10k-labels-idx1-ubyte.gz"
    bad.write_bytes(b"<html>Not Found</html>")
    with pytest.raises(DatasetError, match="not gzip") as caught:
        load_dataset("mnist", data_dir=tmp_path)
    assert str(bad) in str(caught.value)


@pytest.mark.parametrize(
    "stem, replacement, message",
    [
        ("train-labels-idx1-ubyte", np.zeros(5, np.uint8), "6 images but 5 labels"),
        ("t10k-images-idx3-ubyte", np.zeros((4, 27, 27), np.uint8), r"shape \(4, 27, 27\)"),
        ("t10k-images-idx3-ubyte", np.zeros((4, 784), np.uint8), None),  # flat is fine too
        ("t10k-images-idx3-ubyte", np.zeros((4, 28, 28), np.float32), "dtype float32"),
        ("train-labels-idx1-ubyte", np.full(6, 10, np.uint8), r"0\.\.9 for 10 classes"),
        ("train-labels-idx1-ubyte", np.zeros((6, 1), np.uint8), r"shape \(6, 1\)"),
        ("train-labels-idx1-ubyte", np.zeros(6, np.float64), "dtype float64"),
        ("train-labels-idx1-ubyte", np.zeros(6, np.int32), None),  # converted to uint8
    ],
)
def test_images_and_labels_must_fit_together(tmp_path, stem, replacement, message):
    arrays = _tiny_arrays()
    arrays[stem] = replacement
    _write_tiny_dataset(tmp_path, "{stem}", arrays)
    if message is None:
        loaded = load_dataset("mnist", data_dir=tmp_path)
        assert loaded.train_labels.dtype == np.uint8
        assert loaded.test_images.shape == (4, 784)
    else:
        with pytest.raises(DatasetError, match=message):
            load_dataset("mnist", data_dir=tmp_path)


def test_dataset_constructor_validates_and_leaves_caller_arrays_writable():
    arrays = _tiny_arrays()
    train_images = arrays["train-images-idx3-ubyte"]
    dataset = Dataset(
        name="tiny",
        train_images=train_images,
        train_labels=arrays["train-labels-idx1-ubyte"],
        test_images=arrays["t10k-images-idx3-ubyte"],
        test_labels=arrays["t10k-labels-idx1-ubyte"],
        class_names=list(CLASS_NAMES["mnist"]),
        source="test",
    )
    assert dataset.train_images.shape == (6, 784)
    assert not dataset.train_images.flags.writeable
    assert train_images.flags.writeable  # a read-only view, not a flag flip on the caller's
    assert np.shares_memory(dataset.train_images, train_images)  # and no copy
    assert dataset.class_names == tuple("0123456789")
    with pytest.raises(DatasetError, match="at least 2 class names"):
        Dataset("x", train_images, np.zeros(6, np.uint8), train_images, np.zeros(6, np.uint8), ())


def test_shipped_copy_missing_falls_back_to_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets, "SHIPPED_MNIST_DIR", tmp_path / "gone")
    cache = datasets.default_cache_dir("mnist")
    cache.mkdir(parents=True)
    for path in SHIPPED.glob("*.gz"):
        shutil.copy(path, cache / path.name)
    loaded = load_dataset()
    assert loaded.source == f"download cache {cache}"
    assert np.bincount(loaded.train_labels).tolist() == MNIST_TRAIN_COUNTS
