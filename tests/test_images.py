"""The PNG data URIs of ui.images decode, with Pillow, to the pictures they were made from."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image

from ui.images import png_bytes, png_data_uri


def decode(png: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(png)) as image:
        assert image.mode == "L"
        return np.asarray(image)


@given(
    arrays(
        np.float32,
        st.tuples(st.integers(1, 40), st.integers(1, 40)),
        elements=st.floats(-1, 2, width=32),
    )
)
def test_a_png_decodes_to_the_clipped_picture(gray):
    expected = np.round(np.clip(gray, 0, 1) * 255).astype(np.uint8)
    np.testing.assert_array_equal(decode(png_bytes(gray)), expected)


def test_the_data_uri_carries_the_png():
    gray = np.linspace(0, 1, 28 * 20, dtype=np.float32).reshape(20, 28)
    uri = png_data_uri(gray)
    prefix = "data:image/png;base64,"
    assert uri.startswith(prefix)
    assert decode(base64.b64decode(uri[len(prefix) :])).shape == (20, 28)


@pytest.mark.parametrize("shape", [(0, 5), (5, 0), (28,), (2, 2, 2)])
def test_no_png_of_an_empty_or_non_2d_array(shape):
    with pytest.raises(ValueError, match="non-empty"):
        png_bytes(np.zeros(shape))
