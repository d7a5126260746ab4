"""The Draw page's answer: the canvas with the verdict and the probabilities right above it,
the preprocessing steps, and the evidence. A stroke reruns only the drawing fragment."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import streamlit as st
import streamlit_drawable_canvas

from core.preprocess import EmptyCanvasError, is_a_dot, preprocess_steps
from ui import draw_parts as parts
from ui import nudge_panel, personal_set, state
from ui.i18n import _
from ui.state import ModelEntry

PAINT_PAUSE_S = 0.05


@dataclass
class Answer:
    """What the model made of one image: its input x (784,), probabilities (C,), top class."""

    x: np.ndarray
    probs: np.ndarray
    top: int


def read(entry: ModelEntry, image: np.ndarray) -> Answer:
    """The model's answer for an MNIST-like image (28, 28) in [0, 1], after the model's own
    preprocessing (deskewing for a model trained on deskewed digits)."""
    x = entry.model.preprocess(image.reshape(1, 784))[0]
    probs = entry.model.predict_proba(x)[0]
    return Answer(x, probs, int(np.argmax(probs)))


def show_verdict(answer: Answer, class_names, true_label: int | None, dot: bool) -> None:
    """The headline (or the dot warning) and the ten bars, by one rounding rule."""
    facts = {
        "picked": parts.named(class_names[answer.top]),
        "probability": parts.probability_text(answer.probs[answer.top]),
    }
    with st.container(key="draw_verdict"):  # one height whatever it says: no jumps
        if dot:
            # The model has to pick a class for anything; a confident headline would mislead here.
            st.warning(
                _(
                    "That is a dot, not a digit: scaled up like a digit it becomes a round blob. "
                    "The model still scores it below (it says {name}), but draw a whole digit for "
                    "a real answer."
                ).format(name=class_names[answer.top])
            )
        elif true_label is None:
            st.markdown(_("### It's {picked} — probability {probability}").format(**facts))
        elif answer.top == true_label:
            st.markdown(
                _("### It's {picked} — probability {probability} (✅ right)").format(**facts)
            )
        else:
            st.markdown(
                _(
                    "### It's {picked} — probability {probability} (❌ the label says {label})"
                ).format(label=class_names[true_label], **facts)
            )
    st.container(key="probabilities").html(
        parts.probability_bars_html(answer.probs, class_names, answer.top)
    )


def confidence_caption(drawn: bool) -> None:
    """Why a high probability is no guarantee; `drawn`: about a drawing, else a dataset image."""
    why = (
        _(
            "A softmax always picks some class, and a drawing is not a training image: a high "
            "probability is no guarantee."
        )
        if drawn
        else _("A softmax always picks some class: a high probability is no guarantee.")
    )
    measured = _(
        "The shipped model gives a probability above 90% to 81 of its 777 wrong answers on the "
        "test set."
    )
    st.caption(_("{why} {measured}").format(why=why, measured=measured))  # zh: no space


def canvas_controls() -> np.ndarray | None:
    """The canvas with its Clear button and brush; returns the canvas image (H, W, 4) or None."""
    result = streamlit_drawable_canvas.st_canvas(
        stroke_width=st.session_state.get(parts.BRUSH_KEY, parts.BRUSH_DEFAULT),
        stroke_color="#FFFFFF",
        background_color="#000000",
        height=parts.CANVAS_PX,
        width=parts.CANVAS_PX,
        drawing_mode="freedraw",
        return_image_data=True,
        key=f"canvas_{st.session_state[state.CANVAS_GENERATION]}",
    )
    controls = st.container(horizontal=True, gap="small")
    controls.button(_("🧹 Clear the canvas"), on_click=clear_canvas)
    with controls.popover(_("🖌️ Brush")):
        st.slider(
            _("Brush width"),
            6,
            40,
            parts.BRUSH_DEFAULT,
            key=parts.BRUSH_KEY,
            help=_(
                "Your drawing is scaled so that its longer side is 20 of the 28 pixels, so the "
                "stroke counts relative to the digit's size. With the default brush, draw the "
                "digit about three quarters of the square tall (about 200 px): that gives "
                "MNIST's stroke of about 2 px."
            ),
        )
    return None if result is None else result.image_data


def clear_canvas() -> None:
    st.session_state[state.CANVAS_GENERATION] += 1  # a new component key starts empty


def stroke_toggle() -> bool:
    return st.toggle(
        _("Normalise the stroke width"),
        key=state.NORMALISE_STROKE,
        help=_(
            "MNIST's strokes are about an eighth of the digit's size. A much thinner or thicker "
            "stroke is thickened or thinned to that before scaling: turn this off to see what "
            "the model makes of your stroke as it is."
        ),
    )


@st.fragment
def drawing(entry: ModelEntry, class_names) -> None:
    """Canvas, verdict, steps, evidence and nudge: what a stroke changes (the personal set
    below is a fragment of its own)."""
    personal_set.rerun_page_if_changed()
    row = st.container(horizontal=True, gap="large")
    left = row.container(width=parts.CANVAS_PX + 16)
    right = row.container(width=440)
    answer_box = left.container(key="draw_answer")  # above the canvas: in view while drawing
    with left:
        canvas = canvas_controls()
    with right:
        normalised = stroke_toggle()
    steps, dot, message = None, False, None
    if canvas is None:
        message = _("✍️ Draw a digit on the black square below.")
    else:
        try:
            steps = preprocess_steps(canvas, normalise_stroke=normalised)
        except EmptyCanvasError as err:
            said = parts.EMPTY_CANVAS.get(str(err))
            message = _(said) if said else f"✍️ {err}"
        except ValueError as err:
            message = _("This drawing cannot be read: {problem}").format(problem=err)
        else:
            dot = is_a_dot(steps, st.session_state.get(parts.BRUSH_KEY, parts.BRUSH_DEFAULT))
    with answer_box:
        if steps is None:
            with st.container(key="draw_verdict"):
                if not personal_set.show_note():
                    st.info(message)
            empty = parts.probability_bars_html(np.zeros(len(class_names)), class_names, None)
            st.container(key="probabilities").html(empty)
        else:
            answer = read(entry, steps.centred)
            show_verdict(answer, class_names, None, dot)
    if steps is None:
        return
    # A short pause with the answer sent: the browser draws it now instead of after the steps and
    # the evidence that follow (their messages would keep it busy for 150-200 ms first).
    time.sleep(PAINT_PAUSE_S)
    with left:
        if not dot:
            personal_set.label_buttons(steps.centred, class_names)
    with right:
        deskewed = answer.x.reshape(28, 28) if entry.model.deskew else None
        parts.preprocessing_grid(steps, normalised, deskewed)
        confidence_caption(drawn=True)
    results_below(entry, answer, class_names)


def results_below(entry: ModelEntry, answer: Answer, class_names) -> None:
    evidence(entry, answer, class_names)
    nudge_panel.show(entry, answer, class_names)


def evidence(entry: ModelEntry, answer: Answer, class_names) -> None:
    """Each pixel's part in the top three scores, and how pixels plus bias make each logit."""
    st.subheader(_("The evidence"))
    st.caption(
        _(
            r"Pixel $i$ adds $x_i W_{ik}$ to the score of class $k$ (a blank pixel, $x_i = 0$, "
            "adds nothing): red = this ink raised the class's score, blue = lowered it. With the "
            "bias they sum to the logit; softmax turns logits into probabilities, and only "
            "differences between logits matter."
        )
    )
    W = np.asarray(entry.model.W, dtype=np.float32)
    b = np.asarray(entry.model.b, dtype=np.float32).reshape(-1)
    contributions = answer.x.reshape(784, 1) * W  # (D, C): each pixel's part in each score
    ranked = np.argsort(answer.probs)[::-1][:3]
    shared_max = float(np.abs(contributions[:, ranked]).max()) or 1.0
    titles = [f"{class_names[k]}: {parts.probability_text(answer.probs[k])}" for k in ranked]
    st.container(key="evidence_maps").html(
        parts.evidence_maps_html(
            [contributions[:, k].reshape(28, 28) for k in ranked], titles, shared_max
        )
    )
    pixel_sum = contributions.sum(axis=0)
    st.container(key="logit_parts").html(parts.logit_parts_html(pixel_sum, b, class_names))
    by_pixels = int(np.argmax(pixel_sum))
    if by_pixels != answer.top:
        st.info(
            _(
                "The pixels alone favour {pixels_class}, but the biases tip it to {top_class} "
                "(b = {pixels_bias} against {top_bias}). A bias is the score a class gets before "
                "any pixel is seen; only the difference between two classes' biases matters."
            ).format(
                pixels_class=class_names[by_pixels],
                top_class=class_names[answer.top],
                pixels_bias=f"{b[by_pixels]:+.2f}",
                top_bias=f"{b[answer.top]:+.2f}",
            )
        )
