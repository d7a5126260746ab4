"""Parts of the Draw page: its choices and link parameters, the picture of a test image by
index, the preprocessing steps, and the headline's words."""

from __future__ import annotations

import numpy as np
import streamlit as st

from ui import links
from ui.i18n import N_, _, current_language, number, percent
from ui.images import image_grid_html, png_data_uri
from ui.page import with_article

CANVAS_PX = 280
SOURCE_DRAW, SOURCE_TEST = N_("Draw it myself"), N_("A test image by index")
# The MNIST split a test image comes from (the test set unless the visitor or a link picks).
SPLITS = {"test": N_("Test set"), "train": N_("Training set")}
# Widget keys (the link parameters ?index= and ?split= fill them).
SOURCE_KEY, SPLIT_KEY, INDEX_KEY = "draw_source", "draw_split", "draw_test_index"
# core.preprocess's EmptyCanvasError texts, as the page says them.
EMPTY_CANVAS = {
    "the canvas is empty: draw a digit": N_("✍️ the canvas is empty: draw a digit"),
    "the canvas is completely filled: there is no background to tell a digit from; clear it "
    "and draw a digit": N_(
        "✍️ the canvas is completely filled: there is no background to tell a digit from; clear "
        "it and draw a digit"
    ),
}


def headline_percent(p: float) -> str:
    """A probability for the headline; never a rounded-up '100.0%'."""
    return ">" + percent(0.999, 1) if p > 0.999 else percent(p, 1)


def named(name: str) -> str:
    """A class name in bold as a sentence names it: with its article in English ('an **8**'),
    bare in languages without articles."""
    return with_article(name, bold=True) if current_language() == "en" else f"**{name}**"


def tile(image: np.ndarray, size: int = 140) -> np.ndarray:
    """`image` (h, w) in [0, 1] as a crisp size x size tile: nearest-neighbour scaled so its longer
    side fills the tile, centred on grey, so the shape of a crop stays visible (and no browser
    blur or very tall strip for a thin stroke)."""
    h, w = image.shape
    scale = size / max(h, w)
    new_h, new_w = max(1, round(h * scale)), max(1, round(w * scale))
    rows = np.minimum((np.arange(new_h) / scale).astype(int), h - 1)
    cols = np.minimum((np.arange(new_w) / scale).astype(int), w - 1)
    out = np.full((size, size), 0.35, dtype=np.float32)
    top, left = (size - new_h) // 2, (size - new_w) // 2
    out[top : top + new_h, left : left + new_w] = np.clip(image[np.ix_(rows, cols)], 0.0, 1.0)
    return out


def apply_link(mnist) -> None:
    """Set the widgets from the link (?index=1242 opens that test image, ?split=train a training
    image) where it has values not applied yet; keep the radios' choices across languages."""
    split_labels = {"test": mnist.test_labels, "train": mnist.train_labels}
    # A radio's value is its label in Streamlit: read each choice with the labels the visitor saw
    # and set it again as an option, so a switch of language keeps it.
    for key in (SOURCE_KEY, SPLIT_KEY):
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]
    if st.session_state.get(SPLIT_KEY) not in SPLITS:
        st.session_state[SPLIT_KEY] = "test"
    linked_split = links.bind_to_widget("split", links.choice(*SPLITS), SPLIT_KEY)
    n_images = len(split_labels[st.session_state[SPLIT_KEY]])
    if st.session_state.get(INDEX_KEY, 0) >= n_images:  # an index of the bigger split
        st.session_state[INDEX_KEY] = n_images - 1
    linked_index = links.bind_to_widget("index", links.integer(0, n_images - 1), INDEX_KEY)
    if linked_split is not None or linked_index is not None:
        st.session_state[SOURCE_KEY] = SOURCE_TEST


def image_by_index(mnist, class_names) -> tuple[str, int, np.ndarray, int]:
    """The split and index pickers and the image they pick, shown with its label; returns
    (split, index, image (28, 28) in [0, 1], label)."""
    split_images = {"test": mnist.test_images, "train": mnist.train_images}
    split_labels = {"test": mnist.test_labels, "train": mnist.train_labels}
    split = st.radio(
        _("Images from"),
        list(SPLITS),
        format_func={name: _(label) for name, label in SPLITS.items()}.get,
        horizontal=True,
        label_visibility="collapsed",
        key=SPLIT_KEY,
    )
    n_images = len(split_labels[split])
    if st.session_state.get(INDEX_KEY, 0) >= n_images:  # the visitor switched to test
        st.session_state[INDEX_KEY] = n_images - 1
    if split == "test":
        label = _("Test image index")
        where = _("Any of the {count} MNIST test digits, to compare with your drawings.")
    else:
        label = _("Training image index")
        where = _("Any of the {count} MNIST training digits, to compare with your drawings.")
    index = st.number_input(
        label,
        0,
        n_images - 1,
        step=1,
        help=where.format(count=number(n_images)),
        key=INDEX_KEY,
    )
    image = split_images[split][int(index)].reshape(28, 28).astype(np.float32) / 255.0
    true_label = int(split_labels[split][int(index)])
    if split == "test":
        caption = _("Test image #{index}, labelled {label}")
    else:
        caption = _("Training image #{index}, labelled {label}")
    caption = caption.format(index=index, label=class_names[true_label])
    st.image(png_data_uri(tile(image, 252)), caption=caption)
    return split, int(index), image, true_label


def preprocessing_grid(steps) -> None:
    """The four pictures from canvas to MNIST digit, in one grid."""

    def size(picture: np.ndarray) -> dict[str, int]:
        return {"width": picture.shape[1], "height": picture.shape[0]}

    shown = [
        (steps.gray, _("canvas {width}×{height}").format(**size(steps.gray))),
        (
            steps.cropped,
            _("cropped to the ink, {width}×{height}").format(**size(steps.cropped)),
        ),
        (
            steps.resized,
            _("longer side to 20 px: {width}×{height}").format(**size(steps.resized)),
        ),
        (steps.centred, _("28×28, centre of mass in the middle")),
    ]
    # One grid, four a row on any screen (columns would stack them full width on a phone).
    st.container(key="preprocessing_steps").html(
        image_grid_html(
            np.stack([tile(picture) for picture, _caption in shown]),
            [caption for _picture, caption in shown],
            tile_px=72,
            max_cols=4,
            wrap_captions=True,
        )
    )
