"""ui.pictures: PNG pictures, their colour scales and grids, checked pixel by pixel on the
decoded PNGs (no Streamlit, no browser)."""

import base64
import io
import re

import numpy as np
import pytest
from PIL import Image

from ui import pictures

DIGITS = tuple(str(k) for k in range(10))
PNG_URI = r'src="data:image/png;base64,([^"]+)"'


def _rng():
    return np.random.default_rng(0)


def png_rgb(encoded: str) -> np.ndarray:
    """The pixels (H, W, 3) of a base64-encoded PNG."""
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(encoded))).convert("RGB"))


def test_as_images_accepts_flat_square_and_single():
    assert pictures.as_images(np.zeros((3, 784))).shape == (3, 28, 28)
    assert pictures.as_images(np.zeros((3, 28, 28))).shape == (3, 28, 28)
    assert pictures.as_images(np.zeros(784)).shape == (1, 28, 28)
    assert pictures.as_images(np.zeros((28, 28))).shape == (1, 28, 28)
    with pytest.raises(ValueError, match="784"):
        pictures.as_images(np.zeros((3, 100)))


def test_a_picture_is_its_image_on_its_scale_with_title_and_key():
    def rgb_of(page: str) -> np.ndarray:
        return png_rgb(re.search(PNG_URI, page).group(1))

    img = np.linspace(-2, 1, 784)
    page = pictures.picture_html(img, "t <b>", diverging=True)
    np.testing.assert_array_equal(rgb_of(page), pictures.diverging_rgb(img.reshape(28, 28), 2.0))
    assert re.findall(r"<figcaption>(.*?)</", page) == ["t &lt;b&gt;"]
    assert re.findall(r"<span>(.*?)</span>", page) == ["−2", "+2"]
    plain = pictures.picture_html(np.abs(img).reshape(28, 28), zmax=4.0)
    assert "<figcaption>" not in plain
    grey = rgb_of(plain)[..., 0]
    np.testing.assert_array_equal(grey, np.round(np.abs(img).reshape(28, 28) / 4 * 255))
    assert re.findall(r"<span>(.*?)</span>", plain) == ["0", "4"]
    viridis = rgb_of(pictures.picture_html(np.zeros(784), scale=pictures.VIRIDIS))
    assert tuple(viridis[0, 0]) == (0x44, 0x01, 0x54)  # all zero: the scale's first colour


def test_diverging_colours_are_white_at_zero_and_saturate_beyond_the_limit():
    rgb = pictures.diverging_rgb(np.array([-5.0, -1.0, 0.0, 1.0, 5.0]), limit=1.0)
    assert rgb.dtype == np.uint8 and rgb.shape == (5, 3)
    assert tuple(rgb[2]) == (255, 255, 255)
    assert tuple(rgb[1]) == tuple(rgb[0]) == (5, 48, 97)  # darkest blue, clipped
    assert tuple(rgb[3]) == tuple(rgb[4]) == (103, 0, 31)  # darkest red
    assert rgb[3][0] > rgb[3][2] and rgb[1][2] > rgb[1][0]  # positive red, negative blue


def test_the_templates_grid_has_one_captioned_picture_per_class_and_a_colour_key():
    W = _rng().normal(size=(784, 10)).astype(np.float32)
    page = pictures.templates_grid_html(W, DIGITS, zmax=2.5)
    uris = re.findall(PNG_URI, page)
    assert len(uris) == 10
    assert re.findall(r"<figcaption>(.*?)</", page) == list(DIGITS)
    third = png_rgb(uris[3])
    np.testing.assert_array_equal(third, pictures.diverging_rgb(W[:, 3].reshape(28, 28), 2.5))
    assert "−2.5" in page and "+2.5" in page and "--tile: 60px" in page
    with pytest.raises(ValueError):
        pictures.templates_grid_html(W[:, :9], DIGITS)
