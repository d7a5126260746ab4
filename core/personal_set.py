"""A visitor's own digits as a small test set, stored in MNIST's own format.

The set travels as a zip of two IDX files named as MNIST names its files:
``images-idx3-ubyte`` (N, 28, 28) uint8 and ``labels-idx1-ubyte`` (N,) uint8 with values 0..9,
written with core.idx.write_idx. ``read_zip`` checks every part (a readable zip, both members
and nothing else, sizes before reading, the IDX headers, matching counts, labels in range) and
raises ``PersonalSetError`` naming the problem.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

import numpy as np

from core.datasets import Dataset
from core.idx import IDXError, read_idx, write_idx

__all__ = [
    "DIGITS_SHARE",
    "HOLD_OUT_EVERY",
    "IMAGES_NAME",
    "LABELS_NAME",
    "MAX_DIGITS",
    "PersonalSet",
    "PersonalSetError",
    "held_out",
    "read_zip",
    "with_digits",
    "write_zip",
]

IMAGES_NAME = "images-idx3-ubyte"
LABELS_NAME = "labels-idx1-ubyte"
# A session's set stays small: drawing 1,000 digits by hand takes hours; uploads are held to it.
MAX_DIGITS = 1000
SIDE = 28
_IMAGE_BYTES = SIDE * SIDE


class PersonalSetError(ValueError):
    """A file is not a valid personal set (the message says why)."""


@dataclass(frozen=True)
class PersonalSet:
    """images: (N, 28, 28) uint8 (MNIST-style, 0 = background); labels: (N,) uint8, 0..9."""

    images: np.ndarray
    labels: np.ndarray

    @classmethod
    def empty(cls) -> PersonalSet:
        return cls(np.zeros((0, SIDE, SIDE), np.uint8), np.zeros(0, np.uint8))

    def __len__(self) -> int:
        return len(self.labels)

    def add(self, image: np.ndarray, label: int) -> PersonalSet:
        """A new set with one more digit: image (28, 28) float in [0, 1], label 0..9.
        Raises PersonalSetError when the set is full or the label is not a digit."""
        if len(self) >= MAX_DIGITS:
            raise PersonalSetError(f"the set is full ({MAX_DIGITS} digits)")
        if not 0 <= int(label) <= 9:
            raise PersonalSetError(f"label must be 0..9, got {label}")
        pixels = np.round(np.clip(np.asarray(image, np.float32), 0, 1) * 255).astype(np.uint8)
        return PersonalSet(
            np.concatenate([self.images, pixels.reshape(1, SIDE, SIDE)]),
            np.append(self.labels, np.uint8(label)),
        )

    def as_floats(self) -> np.ndarray:
        """(N, 784) float32 in [0, 1], ready for a model."""
        return self.images.reshape(len(self), _IMAGE_BYTES).astype(np.float32) / 255


def write_zip(digits: PersonalSet) -> bytes:
    """The set as the bytes of a zip holding its images and labels IDX files."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(IMAGES_NAME, write_idx(np.ascontiguousarray(digits.images, np.uint8)))
        archive.writestr(LABELS_NAME, write_idx(np.ascontiguousarray(digits.labels, np.uint8)))
    return out.getvalue()


def read_zip(data: bytes, *, max_digits: int = MAX_DIGITS) -> PersonalSet:
    """Read a set written by ``write_zip`` (or any zip of those two MNIST-format files).

    Raises PersonalSetError: not a zip, members missing or extra, a member larger than
    ``max_digits`` digits allow (checked before it is inflated), not IDX, wrong shapes or
    dtypes, image and label counts that differ, labels outside 0..9.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError) as exc:
        raise PersonalSetError(f"not a zip file ({exc})") from None
    with archive:
        names = sorted(info.filename for info in archive.infolist() if not info.is_dir())
        if names != sorted([IMAGES_NAME, LABELS_NAME]):
            raise PersonalSetError(
                f"the zip must hold exactly {IMAGES_NAME} and {LABELS_NAME}; it holds "
                f"{', '.join(names) or 'nothing'}"
            )
        images = _member(archive, IMAGES_NAME, 16 + max_digits * _IMAGE_BYTES, max_digits)
        labels = _member(archive, LABELS_NAME, 8 + max_digits, max_digits)
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (SIDE, SIDE):
        raise PersonalSetError(
            f"{IMAGES_NAME} must hold (N, 28, 28) uint8 images; it holds {images.shape} "
            f"{images.dtype}"
        )
    if labels.dtype != np.uint8 or labels.ndim != 1:
        raise PersonalSetError(
            f"{LABELS_NAME} must hold (N,) uint8 labels; it holds {labels.shape} {labels.dtype}"
        )
    if len(images) != len(labels):
        raise PersonalSetError(f"{len(images)} images but {len(labels)} labels")
    if len(labels) > max_digits:
        raise PersonalSetError(f"{len(labels)} digits, more than the {max_digits} allowed")
    if labels.size and labels.max() > 9:
        raise PersonalSetError(f"labels must be 0..9; found {int(labels.max())}")
    return PersonalSet(images, labels)


def _member(archive: zipfile.ZipFile, name: str, max_bytes: int, max_digits: int) -> np.ndarray:
    """One IDX member, refused from its stated size before it is inflated."""
    info = archive.getinfo(name)
    if info.file_size > max_bytes:
        raise PersonalSetError(
            f"{name} is {info.file_size:,} bytes; a set of at most {max_digits:,} digits needs "
            f"at most {max_bytes:,}"
        )
    try:
        with archive.open(info) as member:
            raw = member.read(max_bytes + 1)  # the stated size could lie
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise PersonalSetError(f"{name} cannot be read ({exc})") from None
    if len(raw) > max_bytes:
        raise PersonalSetError(f"{name} is larger than its stated size")
    try:
        return read_idx(raw, name=name, max_bytes=max_bytes)
    except IDXError as exc:
        raise PersonalSetError(str(exc)) from None


# Fine-tuning on the visitor's digits keeps every HOLD_OUT_EVERY-th digit out, for an honest test.
HOLD_OUT_EVERY = 5
# The visitor's training digits are repeated until they make up about this share of the data:
# a few dozen digits among 60,000 would otherwise weigh nothing.
DIGITS_SHARE = 0.02


def held_out(n_digits: int, n_trained_from: int) -> np.ndarray:
    """(n_digits,) bool: the digits a fine-tuned model never saw. Of the first
    ``n_trained_from`` digits (the set when training began) every HOLD_OUT_EVERY-th was kept
    out; digits added later were never trained on."""
    index = np.arange(n_digits)
    return (index % HOLD_OUT_EVERY == HOLD_OUT_EVERY - 1) | (index >= n_trained_from)


def with_digits(dataset: Dataset, digits: PersonalSet, share: float = DIGITS_SHARE) -> Dataset:
    """``dataset`` with the digits not held out appended to its training images, repeated so
    that they make up about ``share`` of them (at least once each). Test split, name and class
    names unchanged. Raises PersonalSetError when no digit is left to train on."""
    train = ~held_out(len(digits), len(digits))
    if not train.any():
        raise PersonalSetError(f"no digit to train on: the first {HOLD_OUT_EVERY - 1} are needed")
    images = digits.images[train].reshape(-1, _IMAGE_BYTES)
    repeats = max(1, round(share * len(dataset.train_labels) / len(images)))
    return Dataset(
        name=dataset.name,
        train_images=np.concatenate([dataset.train_images, np.tile(images, (repeats, 1))]),
        train_labels=np.concatenate([dataset.train_labels, np.tile(digits.labels[train], repeats)]),
        test_images=dataset.test_images,
        test_labels=dataset.test_labels,
        class_names=dataset.class_names,
        source=f"{dataset.source} + {int(train.sum())} own digits x {repeats}",
    )
