"""Find, load, validate and download MNIST-style datasets (MNIST and Fashion-MNIST).

Loading the shipped MNIST copy in ``data/mnist`` is the default: no network, no set-up.
Fashion-MNIST comes from the Debian package (``/usr/share/datasets/fashion-mnist``) when it is
installed, else from the download cache filled by :func:`core.download.download_dataset`.

Shapes: N samples, D = 784 = 28 * 28 pixels, C = 10 classes. Images stay uint8 in memory and
every array handed out is read-only, so the loaded dataset can be shared safely between callers.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.idx import IDXError, read_idx

__all__ = [
    "CLASS_NAMES",
    "DATASET_NAMES",
    "DATASET_TITLES",
    "Dataset",
    "DatasetError",
    "IMAGE_SHAPE",
    "dataset_available",
    "check_name",
    "default_cache_dir",
    "find_dataset_files",
    "how_to_get",
    "load_dataset",
    "training_arrays",
]

# Each dataset's name (as the code, the command line and model files spell it) and its title
# (as people read it).
DATASET_TITLES: dict[str, str] = {"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST"}
DATASET_NAMES: tuple[str, ...] = tuple(DATASET_TITLES)
CLASS_NAMES: dict[str, tuple[str, ...]] = {
    "mnist": tuple(str(digit) for digit in range(10)),
    "fashion-mnist": (
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ),
}
IMAGE_SHAPE = (28, 28)

REPO_ROOT = Path(__file__).resolve().parent.parent
SHIPPED_MNIST_DIR = REPO_ROOT / "data" / "mnist"
SYSTEM_FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
CACHE_ROOT = Path.home() / ".cache" / "mnist-softmax-lab"

# The four files of a dataset, by role, under their canonical names (without .gz).
FILE_STEMS: dict[str, str] = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}


class DatasetError(ValueError):
    """A dataset is missing, malformed, fails its checksum, or cannot be downloaded."""


@dataclass(frozen=True, eq=False)
class Dataset:
    """One train/test split, validated, with read-only arrays.

    Attributes:
        name: "mnist", "fashion-mnist", or a free name for a custom folder.
        train_images: (N_train, 784) uint8, pixel values 0..255, read-only.
        train_labels: (N_train,) uint8 class indices < n_classes, read-only.
        test_images: (N_test, 784) uint8, read-only.
        test_labels: (N_test,) uint8, read-only.
        class_names: (C,) human names of the classes.
        source: where the data came from, for display ("shipped copy data/mnist", a path...).

    Images may also be given as (N, 28, 28); they are reshaped (a view, no copy). Arrays are
    stored as read-only views, so the caller's own arrays are left untouched.
    """

    name: str
    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    class_names: tuple[str, ...]
    source: str = ""

    def __post_init__(self) -> None:
        set_field = object.__setattr__  # frozen dataclass: only __post_init__ may normalise
        set_field(self, "class_names", tuple(self.class_names))
        n_classes = len(self.class_names)
        if n_classes < 2:
            raise DatasetError(f"{self.name}: need at least 2 class names, got {n_classes}")
        for split in ("train", "test"):
            images, labels = _validated_split(
                self.name,
                split,
                getattr(self, f"{split}_images"),
                getattr(self, f"{split}_labels"),
                n_classes,
            )
            set_field(self, f"{split}_images", images)
            set_field(self, f"{split}_labels", labels)

    @property
    def n_classes(self) -> int:
        """C, the number of classes (10 for both built-in datasets)."""
        return len(self.class_names)


def _read_only(array: np.ndarray) -> np.ndarray:
    view = array.view()
    view.flags.writeable = False
    return view


def _validated_split(
    name: str, split: str, images, labels, n_classes: int
) -> tuple[np.ndarray, np.ndarray]:
    """Check one split; return ((N, 784) uint8, (N,) uint8), both read-only views."""
    images = np.asarray(images)
    labels = np.asarray(labels)
    where = f"{name} {split}"
    if images.dtype != np.uint8:
        raise DatasetError(f"{where} images: dtype {images.dtype}, expected uint8 (0..255)")
    pixels = IMAGE_SHAPE[0] * IMAGE_SHAPE[1]
    if images.ndim == 3 and images.shape[1:] == IMAGE_SHAPE:
        images = images.reshape(len(images), pixels)
    elif not (images.ndim == 2 and images.shape[1] == pixels):
        raise DatasetError(
            f"{where} images: shape {images.shape}, expected (N, 28, 28) or (N, {pixels})"
        )
    if labels.ndim != 1:
        raise DatasetError(f"{where} labels: shape {labels.shape}, expected (N,)")
    if labels.dtype.kind not in "ui":
        raise DatasetError(f"{where} labels: dtype {labels.dtype}, expected integers")
    if len(labels) != len(images):
        raise DatasetError(
            f"{where}: {len(images)} images but {len(labels)} labels (counts must match)"
        )
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise DatasetError(
            f"{where} labels: values range {labels.min()}..{labels.max()}, "
            f"expected 0..{n_classes - 1} for {n_classes} classes"
        )
    if labels.dtype != np.uint8:
        labels = labels.astype(np.uint8)  # safe: range checked above
    return _read_only(images), _read_only(labels)


# ---------------------------------------------------------------------------------------------
# Locating files


def check_name(name: str) -> None:
    """DatasetError unless ``name`` is one of DATASET_NAMES."""
    if name not in DATASET_NAMES:
        raise DatasetError(f"unknown dataset {name!r}; choose one of {', '.join(DATASET_NAMES)}")


def default_cache_dir(name: str) -> Path:
    """Download cache of one dataset: ``~/.cache/mnist-softmax-lab/<name>``."""
    check_name(name)
    return CACHE_ROOT / name


def _candidate_names(stem: str) -> list[str]:
    # "train-images-idx3-ubyte" is the canonical name; some copies use "train-images.idx3-ubyte".
    dotted = stem.replace("-idx", ".idx", 1)
    return [stem + ".gz", stem, dotted + ".gz", dotted]


def find_dataset_files(folder: str | os.PathLike) -> dict[str, Path]:
    """Map each role (train_images, train_labels, test_images, test_labels) to its file.

    Accepts the usual names, gzipped or not: ``train-images-idx3-ubyte[.gz]``,
    ``train-images.idx3-ubyte[.gz]``, and the same for the other three files.

    Raises:
        DatasetError: the folder does not exist or lacks one of the four files.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DatasetError(f"{folder}: no such folder")
    found: dict[str, Path] = {}
    missing: list[str] = []
    for role, stem in FILE_STEMS.items():
        for candidate in _candidate_names(stem):
            path = folder / candidate
            if path.is_file():
                found[role] = path
                break
        else:
            missing.append(f"{stem}[.gz]")
    if missing:
        raise DatasetError(f"{folder}: missing {', '.join(missing)}")
    return found


def _has_files(folder: Path) -> bool:
    try:
        find_dataset_files(folder)
    except DatasetError:
        return False
    return True


def _default_folders(name: str) -> list[tuple[Path, str]]:
    """Folders searched for ``name`` when no data_dir is given, with a display label."""
    cache = default_cache_dir(name)
    if name == "mnist":
        return [(SHIPPED_MNIST_DIR, "shipped copy data/mnist"), (cache, f"download cache {cache}")]
    return [
        (SYSTEM_FASHION_DIR, f"Debian package dataset-fashion-mnist ({SYSTEM_FASHION_DIR})"),
        (cache, f"download cache {cache}"),
    ]


def dataset_available(name: str) -> bool:
    """True if ``load_dataset(name)`` will find the files locally (no network needed)."""
    check_name(name)
    return any(_has_files(folder) for folder, _ in _default_folders(name))


def how_to_get(name: str) -> str:
    """Human instructions for obtaining a dataset that is not available locally."""
    check_name(name)
    cache = default_cache_dir(name)
    if name == "mnist":
        return (
            f"MNIST ships with the project in {SHIPPED_MNIST_DIR}; restore it with "
            f"`git checkout -- data/mnist`, or download it into {cache} with "
            "core.download.download_dataset('mnist') (needs internet)."
        )
    return (
        "Install the Debian package: `sudo apt-get install dataset-fashion-mnist` "
        f"(files land in {SYSTEM_FASHION_DIR}), or download it into {cache} with "
        "core.download.download_dataset('fashion-mnist') (needs internet)."
    )


# ---------------------------------------------------------------------------------------------
# Loading


def load_dataset(name: str = "mnist", data_dir: str | os.PathLike | None = None) -> Dataset:
    """Load and validate a dataset.

    Args:
        name: "mnist" or "fashion-mnist" (sets the class names).
        data_dir: a folder holding the four IDX files under any usual name (see
            :func:`find_dataset_files`). Default: for MNIST the shipped copy ``data/mnist``,
            for Fashion-MNIST ``/usr/share/datasets/fashion-mnist``; then the download cache.

    Returns:
        A :class:`Dataset`: images (60000, 784) / (10000, 784) uint8, labels (N,) uint8,
        all read-only.

    Raises:
        DatasetError: unknown name, files missing (the message says how to get them), a file
            that is not valid IDX, or images and labels that do not fit together.
    """
    check_name(name)
    if data_dir is not None:
        folder, source = Path(data_dir), str(data_dir)
    else:
        found = [(f, label) for f, label in _default_folders(name) if _has_files(f)]
        if found:
            folder, source = found[0]
        else:
            searched = ", ".join(str(folder) for folder, _ in _default_folders(name))
            raise DatasetError(
                f"{name} is not available (looked in {searched}). {how_to_get(name)}"
            )
    files = find_dataset_files(folder)
    arrays = {}
    for role, path in files.items():
        try:
            arrays[role] = read_idx(path)
        except IDXError as exc:
            raise DatasetError(f"{name}: {exc}") from exc
    return Dataset(name=name, class_names=CLASS_NAMES[name], source=source, **arrays)


def training_arrays(data) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """What a trainer needs from ``data``, a :class:`Dataset` or a 4-tuple (train_images,
    train_labels, test_images, test_labels): images uint8 (N, D) C-contiguous (each row one
    block for the per-batch gather), labels intp (N,). Raises TypeError for another kind of
    ``data``, ValueError naming the array that has the wrong dtype or shape."""
    usage = "data must be a Dataset or (train_images, train_labels, test_images, test_labels)"
    if hasattr(data, "train_images"):
        arrays = (data.train_images, data.train_labels, data.test_images, data.test_labels)
    else:
        try:
            arrays = tuple(data)
        except TypeError:
            raise TypeError(usage) from None
        if len(arrays) != 4:
            raise TypeError(usage)
    out = []
    for i, (name, arr) in enumerate(
        zip(("train_images", "train_labels", "test_images", "test_labels"), arrays, strict=True)
    ):
        arr = np.asarray(arr)
        if i % 2 == 0:
            if arr.ndim == 3:
                arr = arr.reshape(len(arr), -1)
            if arr.dtype != np.uint8 or arr.ndim != 2 or len(arr) == 0:
                raise ValueError(
                    f"{name} must be non-empty uint8 (N, D), got {arr.dtype} {arr.shape}"
                )
            arr = np.ascontiguousarray(arr)
        else:
            if not np.issubdtype(arr.dtype, np.integer) or arr.shape != (len(out[-1]),):
                raise ValueError(f"{name} must be integers of shape ({len(out[-1])},)")
            arr = arr.astype(np.intp, copy=False)
        out.append(arr)
    if out[0].shape[1] != out[2].shape[1]:
        raise ValueError(f"train and test images differ in width: {out[0].shape} vs {out[2].shape}")
    return tuple(out)
