"""Draw: a digit drawn by hand (or any test image) through the model, with its evidence."""

from __future__ import annotations

import numpy as np
import streamlit as st
from streamlit_drawable_canvas import st_canvas

from core.preprocess import EmptyCanvasError, is_a_dot, preprocess_steps
from ui import links, state
from ui.charts import NO_TOOLBAR, class_bar_figure, logit_parts_figure
from ui.figures import heatmap28
from ui.i18n import N_, _, current_language, number, percent
from ui.images import image_grid_html, png_data_uri
from ui.nav import DRAW
from ui.page import dataset_or_stop, model_or_stop, start_page, with_article

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

start_page(DRAW)
st.markdown(
    _(
        "Draw a digit with the mouse (or a finger). It is cropped, scaled and centred the way the "
        "MNIST digits were made, then the current model scores it: each inked pixel adds "
        "intensity × weight to each digit's score (blank pixels add nothing)."
    )
)

entry = model_or_stop(_("There is no model to predict with yet."))
if entry.dataset != "mnist":
    st.warning(
        _(
            "The current model ({name}) was trained on {dataset}: it knows clothes, not digits. "
            "Pick an MNIST model in the sidebar for drawings."
        ).format(name=entry.name, dataset=entry.dataset)
    )
mnist = dataset_or_stop("mnist")
class_names = entry.class_names
split_images = {"test": mnist.test_images, "train": mnist.train_images}
split_labels = {"test": mnist.test_labels, "train": mnist.train_labels}

# A radio's value is its label in Streamlit: read each choice with the labels the visitor saw and
# set it again as an option, so a switch of language keeps it.
for key in (SOURCE_KEY, SPLIT_KEY):
    if key in st.session_state:
        st.session_state[key] = st.session_state[key]

# -- the link: ?index=1242 opens that test image, ?split=train a training image ------------------
if st.session_state.get(SPLIT_KEY) not in SPLITS:
    st.session_state[SPLIT_KEY] = "test"
linked_split = links.bind_to_widget("split", links.choice(*SPLITS), SPLIT_KEY)
n_images = len(split_labels[st.session_state[SPLIT_KEY]])
if st.session_state.get(INDEX_KEY, 0) >= n_images:  # an index of the bigger split
    st.session_state[INDEX_KEY] = n_images - 1
linked_index = links.bind_to_widget("index", links.integer(0, n_images - 1), INDEX_KEY)
if linked_split is not None or linked_index is not None:
    st.session_state[SOURCE_KEY] = SOURCE_TEST
links.show_ignored_note()


def _percent(p: float) -> str:
    """A probability for the headline; never a rounded-up '100.0%'."""
    return ">" + percent(0.999, 1) if p > 0.999 else percent(p, 1)


def named(name: str) -> str:
    """A class name in bold as a sentence names it: with its article in English ('an **8**'),
    bare in languages without articles."""
    return with_article(name, bold=True) if current_language() == "en" else f"**{name}**"


def _tile(image: np.ndarray, size: int = 140) -> np.ndarray:
    """`image` (h, w) in [0, 1] as a crisp size x size tile: nearest-neighbour scaled so its longer
    side fills the tile, centred on grey, so the shape of a crop stays visible (and no browser
    blur or very tall strip for a thin stroke)."""
    h, w = image.shape
    scale = size / max(h, w)
    new_h, new_w = max(1, round(h * scale)), max(1, round(w * scale))
    rows = np.minimum((np.arange(new_h) / scale).astype(int), h - 1)
    cols = np.minimum((np.arange(new_w) / scale).astype(int), w - 1)
    tile = np.full((size, size), 0.35, dtype=np.float32)
    top, left = (size - new_h) // 2, (size - new_w) // 2
    tile[top : top + new_h, left : left + new_w] = np.clip(image[np.ix_(rows, cols)], 0.0, 1.0)
    return tile


source = st.radio(
    _("Input"),
    [SOURCE_DRAW, SOURCE_TEST],
    format_func={source: _(source) for source in (SOURCE_DRAW, SOURCE_TEST)}.get,
    horizontal=True,
    label_visibility="collapsed",
    key=SOURCE_KEY,
)
# The canvas needs its full 280 px: fixed-width boxes, the results beside the canvas where both
# fit (from about 1280 px wide) and below it on narrower screens (columns would squeeze both).
row = st.container(horizontal=True, gap="large")
left = row.container(width=CANVAS_PX + 16)
right = row.container(width=440)
image: np.ndarray | None = None  # (28, 28) float32 in [0, 1], MNIST-style
true_label: int | None = None
dot = False  # the drawing is a single dab of the brush

with left:
    if source == SOURCE_DRAW:
        brush = st.slider(
            _("Brush width"),
            6,
            40,
            20,
            help=_(
                "Your drawing is scaled so that its longer side is 20 of the 28 pixels, so the "
                "stroke counts relative to the digit's size. With the default brush, draw the "
                "digit about three quarters of the square tall (about 200 px): that gives "
                "MNIST's stroke of about 2 px."
            ),
        )
        result = st_canvas(
            stroke_width=brush,
            stroke_color="#FFFFFF",
            background_color="#000000",
            height=CANVAS_PX,
            width=CANVAS_PX,
            drawing_mode="freedraw",
            return_image_data=True,
            key=f"canvas_{st.session_state[state.CANVAS_GENERATION]}",
        )
        if st.button(_("🧹 Clear the canvas")):
            st.session_state[state.CANVAS_GENERATION] += 1
            st.rerun()
        canvas = None if result is None else result.image_data
        if canvas is None:
            st.info(_("✍️ Draw a digit on the black square above."))
        else:
            try:
                steps = preprocess_steps(canvas)
            except EmptyCanvasError as err:
                said = EMPTY_CANVAS.get(str(err))
                st.info(_(said) if said else f"✍️ {err}")
            except ValueError as err:
                st.warning(_("This drawing cannot be read: {problem}").format(problem=err))
            else:
                image = steps.centred
                dot = is_a_dot(steps, brush)
    else:
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
        st.image(png_data_uri(_tile(image, 252)), caption=caption)

# The view in the address bar: the image shown, none for a drawing.
links.publish(
    {
        "index": int(index) if source == SOURCE_TEST else None,
        "split": "train" if source == SOURCE_TEST and split == "train" else None,
    }
)

with right:
    if image is None:
        st.stop()
    x = image.reshape(1, 784)
    probs = entry.model.predict_proba(x)[0]
    top = int(np.argmax(probs))
    facts = {"picked": named(class_names[top]), "probability": _percent(probs[top])}
    if true_label is None:
        headline = _("### It's {picked} — probability {probability}").format(**facts)
    elif top == true_label:
        headline = _("### It's {picked} — probability {probability} (✅ right)").format(**facts)
    else:
        headline = _(
            "### It's {picked} — probability {probability} (❌ the label says {label})"
        ).format(label=class_names[true_label], **facts)
    if dot:
        # The model has to pick a class for anything; a confident headline would mislead here.
        st.warning(
            _(
                "That is a dot, not a digit: scaled up like a digit it becomes a round blob. The "
                "model still scores it below (it says {name}), but draw a whole digit for a real "
                "answer."
            ).format(name=class_names[top])
        )
    else:
        st.markdown(headline)
        st.caption(
            _(
                "A softmax always picks some class, and a drawing is not a training image: a high "
                "probability is no guarantee. The shipped model gives a probability above 90% to "
                "81 of its 777 wrong answers on the test set."
            )
        )
    st.plotly_chart(
        class_bar_figure(probs, class_names, _("Probability of each class"), highlight=top),
        key="probabilities",
        config=NO_TOOLBAR,
    )
    if source == SOURCE_DRAW:
        st.markdown(_("**From canvas to MNIST digit** (grey: outside the cropped ink)"))

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
                np.stack([_tile(picture) for picture, _caption in shown]),
                [caption for _picture, caption in shown],
                tile_px=72,
                max_cols=4,
                wrap_captions=True,
            )
        )

st.subheader(_("The evidence"))
st.caption(
    _(
        r"Pixel $i$ adds $x_i W_{ik}$ to the score of class $k$ (a blank pixel, $x_i = 0$, adds "
        "nothing): red = this ink raised the class's score, blue = lowered it. With the bias they "
        "sum to the logit; softmax turns logits into probabilities, and only differences between "
        "logits matter."
    )
)
W = np.asarray(entry.model.W, dtype=np.float32)
b = np.asarray(entry.model.b, dtype=np.float32)
evidence = x.reshape(784, 1) * W  # (D, C): each pixel's contribution to each score
ranked = np.argsort(probs)[::-1][:3]
shared_max = float(np.abs(evidence[:, ranked]).max()) or 1.0
cols = st.columns(3)
for col, k in zip(cols, ranked, strict=True):
    col.plotly_chart(
        heatmap28(
            evidence[:, k],
            f"{class_names[k]}: {percent(probs[k], 1)}",
            diverging=True,
            zmax=shared_max,
        ),
        key=f"evidence_{k}",
        config=NO_TOOLBAR,
    )
pixel_sum = evidence.sum(axis=0)
st.plotly_chart(logit_parts_figure(pixel_sum, b, class_names), key="logit_parts", config=NO_TOOLBAR)
by_pixels = int(np.argmax(pixel_sum))
if by_pixels != top:
    st.info(
        _(
            "The pixels alone favour {pixels_class}, but the biases tip it to {top_class} "
            "(b = {pixels_bias} against {top_bias}). A bias is the score a class gets before any "
            "pixel is seen; only the difference between two classes' biases matters."
        ).format(
            pixels_class=class_names[by_pixels],
            top_class=class_names[top],
            pixels_bias=f"{b[by_pixels]:+.2f}",
            top_bias=f"{b[top]:+.2f}",
        )
    )
