"""ui.images: the PNG data URIs decode (with Pillow) to the pictures they were made from, and
the grid holds every picture with its caption."""

from __future__ import annotations

import base64
import io
from html.parser import HTMLParser

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image

from ui.images import image_grid_html, png_bytes, png_data_uri


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


class _Grid(HTMLParser):
    """The tiles of an image_grid_html: (img attributes, caption lines)."""

    def __init__(self, markup: str):
        super().__init__()
        self.tiles: list[tuple[dict, list[str]]] = []
        self._in_caption = False
        self.feed(markup)

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.tiles.append((dict(attrs), []))
        self._in_caption = self._in_caption or tag == "figcaption"

    def handle_endtag(self, tag):
        self._in_caption = self._in_caption and tag != "figcaption"

    def handle_data(self, data):
        if self._in_caption:
            self.tiles[-1][1].append(data)


def _pixels(img_attrs: dict) -> np.ndarray:
    prefix = "data:image/png;base64,"
    assert img_attrs["src"].startswith(prefix)
    return decode(base64.b64decode(img_attrs["src"][len(prefix) :]))


def test_the_grid_has_every_image_with_its_caption_and_tooltip():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (50, 784), dtype=np.uint8)
    captions = [f"#{i} · {i % 10}" for i in range(50)]
    tooltips = [f"train image #{i}" for i in range(50)]
    grid = _Grid(image_grid_html(images, captions, tooltips=tooltips))
    assert [lines for _, lines in grid.tiles] == [[c] for c in captions]
    assert [attrs["title"] for attrs, _ in grid.tiles] == tooltips
    for (attrs, _), image in zip(grid.tiles, images, strict=True):
        np.testing.assert_array_equal(_pixels(attrs), image.reshape(28, 28))


def test_float_images_are_read_as_zero_to_one_and_captions_escaped():
    means = np.linspace(0, 1, 784, dtype=np.float32).reshape(1, 28, 28)
    markup = image_grid_html(means, ["#7\n<b>Ankle boot</b>"])
    ((attrs, lines),) = _Grid(markup).tiles
    assert _pixels(attrs).max() == 255 and _pixels(attrs).min() == 0
    assert lines == ["#7", "<b>Ankle boot</b>"]  # shown as text, on two lines
    assert "<b>Ankle" not in markup


def test_a_grid_needs_a_caption_per_image():
    with pytest.raises(ValueError, match="captions"):
        image_grid_html(np.zeros((3, 784), np.uint8), ["a"])
