"""Draw: a digit drawn by hand (or any test image) through the model, with its evidence."""

from __future__ import annotations

import numpy as np
import streamlit as st
from streamlit_drawable_canvas import st_canvas

from core.preprocess import EmptyCanvasError, is_a_dot, preprocess_steps
from ui import state
from ui.charts import NO_TOOLBAR, class_bar_figure, logit_parts_figure
from ui.figures import heatmap28
from ui.images import image_grid_html, png_data_uri
from ui.nav import DRAW
from ui.page import dataset_or_stop, model_or_stop, start_page, with_article

CANVAS_PX = 280
SOURCE_DRAW, SOURCE_TEST = "Draw it myself", "A test image by index"

start_page(DRAW)
st.markdown(
    "Draw a digit with the mouse (or a finger). It is cropped, scaled and centred the way the "
    "MNIST digits were made, then the current model scores it: every pixel votes for or against "
    "each digit through its weight."
)

entry = model_or_stop("There is no model to predict with yet.")
if entry.dataset != "mnist":
    st.warning(
        f"The current model ({entry.name}) was trained on {entry.dataset}: it knows clothes, "
        "not digits. Pick an MNIST model in the sidebar for drawings."
    )
mnist = dataset_or_stop("mnist")
class_names = entry.class_names


def _percent(p: float) -> str:
    """A probability for the headline; never a rounded-up '100.0%'."""
    return ">99.9%" if p > 0.999 else f"{p:.1%}"


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
    "Input", [SOURCE_DRAW, SOURCE_TEST], horizontal=True, label_visibility="collapsed"
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
            "Brush width",
            6,
            40,
            20,
            help="MNIST strokes are 2-3 px of 28, about 20 px on this 280 px canvas (the default):"
            " much thinner or thicker strokes look less like the digits the model learned from.",
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
        if st.button("🧹 Clear the canvas"):
            st.session_state[state.CANVAS_GENERATION] += 1
            st.rerun()
        canvas = None if result is None else result.image_data
        if canvas is None:
            st.info("✍️ Draw a digit on the black square above.")
        else:
            try:
                steps = preprocess_steps(canvas)
            except EmptyCanvasError as err:
                st.info(f"✍️ {err}")
            except ValueError as err:
                st.warning(f"This drawing cannot be read: {err}")
            else:
                image = steps.centred
                dot = is_a_dot(steps, brush)
    else:
        index = st.number_input(
            "Test image index",
            0,
            len(mnist.test_labels) - 1,
            value=0,
            step=1,
            help="Any of the 10,000 MNIST test digits, to compare with your drawings.",
        )
        image = mnist.test_images[int(index)].reshape(28, 28).astype(np.float32) / 255.0
        true_label = int(mnist.test_labels[int(index)])
        caption = f"Test image #{index}, labelled {true_label}"
        st.image(png_data_uri(_tile(image, 252)), caption=caption)

with right:
    if image is None:
        st.stop()
    x = image.reshape(1, 784)
    probs = entry.model.predict_proba(x)[0]
    top = int(np.argmax(probs))
    headline = f"### It's {with_article(class_names[top], bold=True)} — {_percent(probs[top])} sure"
    if true_label is not None:
        verdict = (
            "✅ right" if top == true_label else f"❌ the label says {class_names[true_label]}"
        )
        headline += f" ({verdict})"
    if dot:
        # The model has to pick a class for anything; a confident headline would mislead here.
        st.warning(
            "That is a dot, not a digit: scaled up like a digit it becomes a round blob. The "
            f"model still scores it below (it says {class_names[top]}), but draw a whole digit "
            "for a real answer."
        )
    else:
        st.markdown(headline)
    st.plotly_chart(
        class_bar_figure(probs, class_names, "Probability of each class", highlight=top),
        key="probabilities",
        config=NO_TOOLBAR,
    )
    if source == SOURCE_DRAW:
        st.markdown("**From canvas to MNIST digit** (grey: outside the cropped ink)")
        shown = [
            (steps.gray, f"canvas {steps.gray.shape[1]}×{steps.gray.shape[0]}"),
            (
                steps.cropped,
                f"cropped to the ink, {steps.cropped.shape[1]}×{steps.cropped.shape[0]}",
            ),
            (
                steps.resized,
                f"longer side to 20 px: {steps.resized.shape[1]}×{steps.resized.shape[0]}",
            ),
            (steps.centred, "28×28, centre of mass in the middle"),
        ]
        # One grid, four a row on any screen (columns would stack them full width on a phone).
        st.container(key="preprocessing_steps").html(
            image_grid_html(
                np.stack([_tile(picture) for picture, _ in shown]),
                [caption for _, caption in shown],
                tile_px=72,
                max_cols=4,
                wrap_captions=True,
            )
        )

st.subheader("The evidence")
st.caption(
    "Pixel i adds x_i · W[i, k] to the score of class k: red pixels vote for the class, blue ones "
    "against. Summed up with the bias they give the logit; softmax turns logits into probabilities."
)
W = np.asarray(entry.model.W, dtype=np.float32)
b = np.asarray(entry.model.b, dtype=np.float32)
evidence = x.reshape(784, 1) * W  # (D, C): each pixel's vote for each class
ranked = np.argsort(probs)[::-1][:3]
shared_max = float(np.abs(evidence[:, ranked]).max()) or 1.0
cols = st.columns(3)
for col, k in zip(cols, ranked, strict=True):
    col.plotly_chart(
        heatmap28(
            evidence[:, k], f"{class_names[k]}: {probs[k]:.1%}", diverging=True, zmax=shared_max
        ),
        key=f"evidence_{k}",
        config=NO_TOOLBAR,
    )
pixel_sum = evidence.sum(axis=0)
st.plotly_chart(logit_parts_figure(pixel_sum, b, class_names), key="logit_parts", config=NO_TOOLBAR)
by_pixels = int(np.argmax(pixel_sum))
if by_pixels != top:
    st.info(
        f"The pixels alone favour {class_names[by_pixels]}, but the biases tip it to "
        f"{class_names[top]} (b = {b[by_pixels]:+.2f} against {b[top]:+.2f}). A bias is the "
        "score a class gets before any pixel is seen: the model learned it from the training set."
    )
