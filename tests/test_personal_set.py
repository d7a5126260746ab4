"""core.personal_set: the visitor's digits as a zip of MNIST-format IDX files, and back."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from core.idx import read_idx, write_idx
from core.personal_set import (
    IMAGES_NAME,
    LABELS_NAME,
    MAX_DIGITS,
    PersonalSet,
    PersonalSetError,
    held_out,
    read_zip,
    with_digits,
    write_zip,
)


def zipped(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def idx_pair(images: np.ndarray, labels: np.ndarray) -> bytes:
    return zipped({IMAGES_NAME: write_idx(images), LABELS_NAME: write_idx(labels)})


@settings(max_examples=40, deadline=None)
@given(
    images=arrays(np.uint8, st.tuples(st.integers(0, 12), st.just(28), st.just(28))),
    data=st.data(),
)
def test_a_set_survives_the_zip_round_trip(images, data):
    labels = data.draw(arrays(np.uint8, (len(images),), elements=st.integers(0, 9)))
    back = read_zip(write_zip(PersonalSet(images, labels)))
    np.testing.assert_array_equal(back.images, images)
    np.testing.assert_array_equal(back.labels, labels)


def test_the_zip_holds_mnist_format_files_that_read_idx_reads():
    digits = PersonalSet.empty().add(np.full((28, 28), 0.5), 7).add(np.eye(28), 1)
    with zipfile.ZipFile(io.BytesIO(write_zip(digits))) as archive:
        images = read_idx(archive.read(IMAGES_NAME))
        labels = read_idx(archive.read(LABELS_NAME))
    assert images.shape == (2, 28, 28) and images.dtype == np.uint8
    assert images[0, 0, 0] == 128 and images[1, 3, 3] == 255 and images[1, 3, 4] == 0
    assert labels.tolist() == [7, 1]


def test_adding_a_drawing_stores_it_as_mnist_bytes():
    digits = PersonalSet.empty()
    grown = digits.add(np.linspace(0, 1, 784).reshape(28, 28), 3)
    assert len(digits) == 0 and len(grown) == 1  # a new set; the old one is untouched
    assert grown.images[0, 0, 0] == 0 and grown.images[0, -1, -1] == 255
    np.testing.assert_allclose(grown.as_floats()[0], np.linspace(0, 1, 784), atol=0.5 / 255)


def test_a_full_set_and_a_label_outside_0_to_9_are_refused():
    with pytest.raises(PersonalSetError, match="0..9"):
        PersonalSet.empty().add(np.zeros((28, 28)), 10)
    full = PersonalSet(np.zeros((MAX_DIGITS, 28, 28), np.uint8), np.zeros(MAX_DIGITS, np.uint8))
    with pytest.raises(PersonalSetError, match="full"):
        full.add(np.zeros((28, 28)), 1)


GOOD_IMAGES = np.zeros((3, 28, 28), np.uint8)
GOOD_LABELS = np.array([1, 2, 3], np.uint8)


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"not a zip at all", "not a zip"),
        (zipped({IMAGES_NAME: write_idx(GOOD_IMAGES)}), "exactly"),
        (
            zipped({**{IMAGES_NAME: write_idx(GOOD_IMAGES)}, LABELS_NAME: b"x", "extra": b""}),
            "exactly",
        ),
        (idx_pair(GOOD_IMAGES, GOOD_LABELS[:2]), "3 images but 2 labels"),
        (idx_pair(GOOD_IMAGES, np.array([1, 2, 12], np.uint8)), "0..9"),
        (idx_pair(np.zeros((3, 20, 20), np.uint8), GOOD_LABELS), r"\(N, 28, 28\)"),
        (idx_pair(GOOD_IMAGES.astype(np.float32), GOOD_LABELS), "uint8"),
        (idx_pair(GOOD_IMAGES, GOOD_LABELS.reshape(3, 1)), r"\(N,\) uint8"),
        (idx_pair(GOOD_IMAGES, GOOD_LABELS)[:-40], "not a zip"),
        (
            zipped({IMAGES_NAME: b"\x00\x00\x08\x03junk", LABELS_NAME: write_idx(GOOD_LABELS)}),
            "truncated",
        ),
    ],
)
def test_bad_files_raise_one_specific_error_naming_the_problem(data, problem):
    with pytest.raises(PersonalSetError, match=problem):
        read_zip(data)


def test_a_member_bigger_than_the_limit_is_refused_before_it_is_inflated():
    # 2,000 blank images compress to a few kB but would inflate to 1.5 MB.
    images = np.zeros((2000, 28, 28), np.uint8)
    data = idx_pair(images, np.zeros(2000, np.uint8))
    assert len(data) < 10_000
    with pytest.raises(PersonalSetError, match="at most 1,000 digits"):
        read_zip(data)


def test_every_fifth_digit_and_later_ones_are_held_out():
    assert held_out(12, 10).tolist() == [False] * 4 + [True] + [False] * 4 + [True] * 3


def test_fine_tuning_data_appends_the_digits_not_held_out_repeated_to_their_share(mnist):
    images = np.arange(10 * 784, dtype=np.uint64).reshape(10, 28, 28).astype(np.uint8)
    digits = PersonalSet(images, np.arange(10, dtype=np.uint8))
    mixed = with_digits(mnist, digits)
    trained = [0, 1, 2, 3, 5, 6, 7, 8]  # 4 and 9 are held out
    repeats = round(0.02 * 60_000 / 8)
    assert len(mixed.train_labels) == 60_000 + 8 * repeats
    np.testing.assert_array_equal(mixed.train_images[:60_000], mnist.train_images)
    extra = mixed.train_labels[60_000:]
    assert sorted(set(extra.tolist())) == trained and (extra == 0).sum() == repeats
    np.testing.assert_array_equal(mixed.train_images[60_000], images[0].reshape(784))
    assert mixed.test_images is mnist.test_images or np.array_equal(
        mixed.test_images, mnist.test_images
    )
    with pytest.raises(PersonalSetError, match="no digit to train on"):
        with_digits(mnist, PersonalSet(images[:0], np.zeros(0, np.uint8)))
