"""Draw: a digit drawn by hand (or any test image) through the model, with its evidence."""

from __future__ import annotations

import numpy as np
import streamlit as st
from streamlit_drawable_canvas import st_canvas

from core.preprocess import EmptyCanvasError, is_a_dot, preprocess_steps
from ui import draw_parts as parts
from ui import links, state
from ui.charts import NO_TOOLBAR, class_bar_figure, logit_parts_figure
from ui.class_names import display_class_names
from ui.figures import heatmap28
from ui.i18n import _, percent
from ui.nav import DRAW
from ui.page import dataset_or_stop, model_or_stop, start_page
from ui.state import display_model_name

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
        ).format(name=display_model_name(entry.name), dataset=entry.dataset)
    )
mnist = dataset_or_stop("mnist")
class_names = display_class_names(entry.class_names)
parts.apply_link(mnist)
links.show_ignored_note()

source = st.radio(
    _("Input"),
    [parts.SOURCE_DRAW, parts.SOURCE_TEST],
    format_func={source: _(source) for source in (parts.SOURCE_DRAW, parts.SOURCE_TEST)}.get,
    horizontal=True,
    label_visibility="collapsed",
    key=parts.SOURCE_KEY,
)
# The canvas needs its full 280 px: fixed-width boxes, the results beside the canvas where both
# fit (from about 1280 px wide) and below it on narrower screens (columns would squeeze both).
row = st.container(horizontal=True, gap="large")
left = row.container(width=parts.CANVAS_PX + 16)
right = row.container(width=440)
image: np.ndarray | None = None  # (28, 28) float32 in [0, 1], MNIST-style
true_label: int | None = None
dot = False  # the drawing is a single dab of the brush

with left:
    if source == parts.SOURCE_DRAW:
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
            height=parts.CANVAS_PX,
            width=parts.CANVAS_PX,
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
                said = parts.EMPTY_CANVAS.get(str(err))
                st.info(_(said) if said else f"✍️ {err}")
            except ValueError as err:
                st.warning(_("This drawing cannot be read: {problem}").format(problem=err))
            else:
                image = steps.centred
                dot = is_a_dot(steps, brush)
    else:
        split, index, image, true_label = parts.image_by_index(mnist, class_names)

# The view in the address bar: the image shown, none for a drawing.
links.publish(
    {
        "index": int(index) if source == parts.SOURCE_TEST else None,
        "split": "train" if source == parts.SOURCE_TEST and split == "train" else None,
    }
)

with right:
    if image is None:
        st.stop()
    x = image.reshape(1, 784)
    probs = entry.model.predict_proba(x)[0]
    top = int(np.argmax(probs))
    facts = {
        "picked": parts.named(class_names[top]),
        "probability": parts.headline_percent(probs[top]),
    }
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
    if source == parts.SOURCE_DRAW:
        st.markdown(_("**From canvas to MNIST digit** (grey: outside the cropped ink)"))
        parts.preprocessing_grid(steps)

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
