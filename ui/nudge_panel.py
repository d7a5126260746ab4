"""'What would make it a k?': the Draw page's nudge of the current drawing towards a class."""

from __future__ import annotations

import numpy as np
import streamlit as st

from core.nudge import flip_eps, logit_gap, nudged
from ui import draw_parts as parts
from ui.i18n import _, number
from ui.images import png_data_uri

TARGET_KEY, EPS_KEY, OPEN_KEY = "nudge_target", "nudge_eps", "nudge_open"
# The slider's range: on the shipped model the answer flips at eps 2.35 for half of 300 test
# digits and a random other class, at 7.3 for 99% (the image itself has size ||x|| about 9).
EPS_MAX, EPS_STEP = 10.0, 0.05


def show(entry, answer, class_names) -> None:
    """The nudge in an expander whose content runs only while it is open: closed, a stroke
    redraws one line instead of some fifteen elements (about 75 ms of the browser's work)."""
    panel = st.expander(_("🎯 What would make it another digit?"), key=OPEN_KEY, on_change="rerun")
    if panel.open:
        with panel:
            nudge(entry, answer, class_names)


@st.fragment
def nudge(entry, answer, class_names) -> None:
    """Target class, eps slider, the nudged picture with its verdict and bars, and the maths. A
    fragment inside the drawing's: the slider reruns only this, with the drawing's last answer."""
    st.caption(
        _(
            "The model is linear, so the cheapest way to raise class $k$ against the top class "
            "is to move the image along $w_k - w_{top}$, the difference of their templates. "
            "Slide to add $\\varepsilon$ times that direction (as a unit vector; pixels stay in "
            "[0, 1]) and watch how small a change fools it."
        )
    )
    W = np.asarray(entry.model.W, np.float32)
    b = np.asarray(entry.model.b, np.float32).reshape(-1)
    top = answer.top
    others = [k for k in range(len(class_names)) if k != top]
    if st.session_state.get(TARGET_KEY) not in others:
        st.session_state[TARGET_KEY] = int(np.argsort(answer.probs)[-2])  # the runner-up
    pick, slide = st.columns([1, 2])
    target = pick.selectbox(
        _("Target class"), others, format_func=lambda k: str(class_names[k]), key=TARGET_KEY
    )
    eps = slide.slider("ε", 0.0, EPS_MAX, 0.0, EPS_STEP, key=EPS_KEY)
    moved = nudged(answer.x, W, top, target, eps)
    probs = entry.model.predict_proba(moved)[0]
    picture, verdict = st.columns([1, 2])
    picture.image(png_data_uri(parts.tile(moved.reshape(28, 28), 140)))
    with verdict:
        moved_top = int(np.argmax(probs))
        st.markdown(
            _("**It reads as {picked} — probability {probability}**").format(
                picked=class_names[moved_top], probability=parts.probability_text(probs[moved_top])
            )
        )
        st.html(parts.probability_bars_html(probs, class_names, moved_top))
    maths(answer, W, b, top, target, eps, class_names)


def maths(answer, W, b, top, target, eps, class_names) -> None:
    size = float(np.linalg.norm(W[:, target].astype(np.float64) - W[:, top]))
    gap = float(logit_gap(answer.x, W, b, top, target))
    facts = {
        "k": class_names[target],
        "top": class_names[top],
        "size": number(size, 2),
        "eps": number(eps, 2),
        "change": number(eps * size, 2),
        "gap": number(-gap, 2),
        "unclipped": number(-gap / size, 2),
    }
    st.markdown(
        _(
            "$z_{k} - z_{top}$ grows by $\\varepsilon\\,\\lVert w_{k} - w_{top} \\rVert$ = "
            "{eps} × {size} = {change} before clipping; it starts at −{gap}, so without "
            "clipping the answer turns at ε = {unclipped}."
        ).format(**facts)
    )
    flip = flip_eps(answer.x, W, b, top, target, EPS_MAX, round(EPS_MAX / EPS_STEP))
    size_of_x = number(float(np.linalg.norm(answer.x)), 1)
    if flip is None:
        st.caption(
            _("Up to ε = {max} (pixels clipped to [0, 1]) it never reads as {k}.").format(
                max=number(EPS_MAX, 0), k=class_names[target]
            )
        )
    else:
        st.caption(
            _(
                "With pixels clipped to [0, 1] it first reads as {k} at ε = {flip}; the image "
                "itself has size ‖x‖ = {size_of_x}."
            ).format(k=class_names[target], flip=number(flip, 2), size_of_x=size_of_x)
        )
