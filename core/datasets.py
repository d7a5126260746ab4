"""Find, load, validate and download MNIST-style datasets (MNIST and Fashion-MNIST).

Loading the shipped MNIST copy in ``data/mnist`` is the default: no network, no set-up.
Fashion-MNIST comes from the Debian package (``/usr/share/datasets/fashion-mnist``) when it is
installed, else from the download cache filled by :func:`download_dataset`.

Shapes: N samples, D = 784 = 28 * 28 pixels, C = 10 classes. Images stay uint8 in memory and
every array handed out is read-only, so the loaded dataset can be shared safely between callers.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import tempfile
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable
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
    "MIRRORS",
    "dataset_available",
    "default_cache_dir",
    "download_dataset",
    "find_dataset_files",
    "how_to_get",
    "load_dataset",
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

# MD5 of the DECOMPRESSED files: the gzip wrapper differs between mirrors and repackagings
# (Debian re-gzips Fashion-MNIST), the IDX content does not.
MD5_DECOMPRESSED: dict[str, dict[str, str]] = {
    "mnist": {
        "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
        "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
        "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
        "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
    },
    "fashion-mnist": {
        "train-images-idx3-ubyte": "f4a8712d7a061bf5bd6d2ca38dc4d50a",
        "train-labels-idx1-ubyte": "9018921c3c673c538a1fc5bad174d6f9",
        "t10k-images-idx3-ubyte": "8181f5470baa50b63fa0f6fddb340f0a",
        "t10k-labels-idx1-ubyte": "15d484375f8d13e6eb1aabb0c3f46965",
    },
}

# Public mirrors, tried in order. The original yann.lecun.com host now refuses robots.
MIRRORS: dict[str, tuple[str, ...]] = {
    "mnist": (
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
    ),
    "fashion-mnist": ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
}

# Sizes of the published .gz files, only to give the progress bar a total before each file's
# Content-Length is known. The real lengths replace them as soon as each response arrives.
_NOMINAL_GZ_SIZES: dict[str, dict[str, int]] = {
    "mnist": {
        "train-images-idx3-ubyte": 9_912_422,
        "train-labels-idx1-ubyte": 28_881,
        "t10k-images-idx3-ubyte": 1_648_877,
        "t10k-labels-idx1-ubyte": 4_542,
    },
    "fashion-mnist": {
        "train-images-idx3-ubyte": 26_421_880,
        "train-labels-idx1-ubyte": 29_515,
        "t10k-images-idx3-ubyte": 4_422_102,
        "t10k-labels-idx1-ubyte": 5_148,
    },
}

# A decompressed MNIST-style file is at most 47 MB; refuse to inflate more than this.
_MAX_DECOMPRESSED = 200_000_000
_DOWNLOAD_CHUNK = 1 << 16

ProgressCallback = Callable[[int, "int | None"], None]


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


def _check_name(name: str) -> None:
    if name not in DATASET_NAMES:
        raise DatasetError(f"unknown dataset {name!r}; choose one of {', '.join(DATASET_NAMES)}")


def default_cache_dir(name: str) -> Path:
    """Download cache of one dataset: ``~/.cache/mnist-softmax-lab/<name>``."""
    _check_name(name)
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
    _check_name(name)
    return any(_has_files(folder) for folder, _ in _default_folders(name))


def how_to_get(name: str) -> str:
    """Human instructions for obtaining a dataset that is not available locally."""
    _check_name(name)
    cache = default_cache_dir(name)
    if name == "mnist":
        return (
            f"MNIST ships with the project in {SHIPPED_MNIST_DIR}; restore it with "
            f"`git checkout -- data/mnist`, or download it into {cache} with "
            "core.datasets.download_dataset('mnist') (needs internet)."
        )
    return (
        "Install the Debian package: `sudo apt-get install dataset-fashion-mnist` "
        f"(files land in {SYSTEM_FASHION_DIR}), or download it into {cache} with "
        "core.datasets.download_dataset('fashion-mnist') (needs internet)."
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
    _check_name(name)
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


# ---------------------------------------------------------------------------------------------
# Downloading


def _md5_of_decompressed(path: Path) -> str:
    """MD5 of a file's content after gunzip (raw files are hashed as they are)."""
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as stream:
        head = stream.read(2)
        stream.seek(0)
        inflater = zlib.decompressobj(wbits=31) if head == b"\x1f\x8b" else None
        while chunk := stream.read(1 << 20):
            digest.update(inflater.decompress(chunk) if inflater else chunk)
    return digest.hexdigest()


def _cached_file_ok(path: Path, expected_md5: str) -> bool:
    try:
        return _md5_of_decompressed(path) == expected_md5
    except (OSError, zlib.error):
        return False


def download_dataset(
    name: str,
    cache_dir: str | os.PathLike | None = None,
    *,
    base_url: str | None = None,
    progress: ProgressCallback | None = None,
    timeout: float = 30,
) -> Path:
    """Download the four .gz files of ``name`` into ``cache_dir`` and verify them.

    Each file is streamed into a temp file in ``cache_dir`` while its decompressed bytes are
    hashed; only a complete file whose MD5 (after gunzip) matches the published value is
    renamed into place with ``os.replace``. A failed or interrupted download therefore leaves
    nothing half-written. Files already in the cache with the right checksum are kept.

    Args:
        name: "mnist" or "fashion-mnist".
        cache_dir: target folder (created); default ``~/.cache/mnist-softmax-lab/<name>``.
        base_url: fetch ``<base_url><file>.gz`` from this URL only, instead of the public
            mirrors (tests use a local server).
        progress: called as ``progress(bytes_done, bytes_total)`` over all files being fetched;
            ``bytes_total`` is exact once every response is open, an estimate from the
            published sizes before that, and None if a server sends no Content-Length.
        timeout: seconds to wait for a connection or for the next block of data.

    Returns:
        The cache folder, ready for ``load_dataset(name, data_dir=...)``.

    Raises:
        DatasetError: offline or unreachable, HTTP error, truncated or corrupt download, or
            checksum mismatch (from every mirror tried).
    """
    _check_name(name)
    folder = Path(cache_dir) if cache_dir is not None else default_cache_dir(name)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatasetError(f"cannot create the cache folder {folder}: {exc}") from exc
    mirrors = (base_url,) if base_url else MIRRORS[name]
    checksums = MD5_DECOMPRESSED[name]

    todo = [
        stem
        for stem in FILE_STEMS.values()
        if not _cached_file_ok(folder / f"{stem}.gz", checksums[stem])
    ]
    # Progress: a running total over all files; unknown lengths are estimated until known.
    sizes: dict[str, int | None] = {stem: _NOMINAL_GZ_SIZES[name][stem] for stem in todo}
    done_before = 0

    def report(stem: str, done_in_file: int) -> None:
        if progress is None:
            return
        known = list(sizes.values())
        total = None if None in known else sum(known)  # type: ignore[arg-type]
        progress(done_before + done_in_file, total)

    for stem in todo:
        failures = []
        for mirror in mirrors:
            url = mirror.rstrip("/") + f"/{stem}.gz"
            try:
                sizes[stem] = _fetch_verified(
                    url,
                    folder / f"{stem}.gz",
                    checksums[stem],
                    timeout,
                    on_length=lambda length, s=stem: sizes.__setitem__(s, length),
                    on_bytes=lambda n, s=stem: report(s, n),
                )
                break
            except _FetchFailed as exc:
                failures.append(f"{url}: {exc}")
        else:
            offline = all("could not connect" in failure for failure in failures)
            hint = ("No network connection (offline?). " if offline else "") + how_to_get(name)
            raise DatasetError(
                f"downloading {name} file {stem}.gz failed: " + "; ".join(failures) + f". {hint}"
            )
        done_before += sizes[stem] or 0
    if progress is not None and not todo:
        progress(0, 0)
    return folder


class _FetchFailed(Exception):
    """One URL failed; the caller tries the next mirror or reports all failures."""


def _fetch_verified(
    url: str,
    target: Path,
    expected_md5: str,
    timeout: float,
    *,
    on_length: Callable[[int | None], None],
    on_bytes: Callable[[int], None],
) -> int:
    """Stream ``url`` to a temp file beside ``target``; verify; rename. Returns bytes read."""
    try:
        response = urllib.request.urlopen(url, timeout=timeout)  # noqa: S310 - http(s) only
    except urllib.error.HTTPError as exc:
        exc.close()  # it holds the open error response
        raise _FetchFailed(f"HTTP {exc.code} {exc.reason}") from exc
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        reason = getattr(exc, "reason", exc)
        raise _FetchFailed(f"could not connect ({reason})") from exc

    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    tmp = Path(tmp_name)
    try:
        with response, os.fdopen(fd, "wb") as out:
            length_header = response.headers.get("Content-Length")
            length = int(length_header) if length_header and length_header.isdigit() else None
            on_length(length)
            digest = hashlib.md5(usedforsecurity=False)
            inflater = zlib.decompressobj(wbits=31)
            received = inflated = 0
            on_bytes(0)
            while True:
                try:
                    chunk = response.read(_DOWNLOAD_CHUNK)
                except (OSError, http.client.HTTPException) as exc:
                    broke = f"connection broke after {received:,} bytes ({exc})"
                    raise _FetchFailed(broke) from exc
                if not chunk:
                    break
                out.write(chunk)
                received += len(chunk)
                try:
                    # The cap keeps a hostile server from making us inflate a gzip bomb.
                    data = inflater.decompress(chunk, _MAX_DECOMPRESSED - inflated + 1)
                except zlib.error as exc:
                    raise _FetchFailed(f"not a valid gzip file ({exc})") from exc
                inflated += len(data)
                if inflated > _MAX_DECOMPRESSED or inflater.unconsumed_tail:
                    raise _FetchFailed(f"decompresses to more than {_MAX_DECOMPRESSED:,} bytes")
                digest.update(data)
                on_bytes(received)
            if length is not None and received != length:
                raise _FetchFailed(f"truncated: got {received:,} of {length:,} bytes")
            if not inflater.eof:
                raise _FetchFailed(f"truncated gzip stream after {received:,} bytes")
            actual_md5 = digest.hexdigest()
            if actual_md5 != expected_md5:
                raise _FetchFailed(
                    f"checksum mismatch: MD5 after gunzip is {actual_md5}, expected {expected_md5}"
                )
        os.replace(tmp, target)  # atomic: readers see the old file or the complete new one
    finally:
        tmp.unlink(missing_ok=True)  # no-op after a successful replace
    return received
