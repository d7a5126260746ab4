"""Draw: a digit drawn by hand (or any test image) through the model, with its evidence."""

from __future__ import annotations

import streamlit as st

from ui import draw_parts as parts
from ui import draw_view, links, personal_set
from ui.class_names import display_class_names
from ui.i18n import _
from ui.nav import DRAW
from ui.page import dataset_or_stop, model_or_stop, start_page
from ui.state import display_model_name

start_page(DRAW)
st.markdown(
    _(
        "Draw a digit with the mouse (or a finger): it is made MNIST-like step by step, and the "
        "current model reads it."
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
if source == parts.SOURCE_DRAW:
    links.publish({"index": None, "split": None})  # a drawing has no link of its own
    # A stroke reruns only this fragment: the canvas, the answer and what follows from it.
    draw_view.drawing(entry, class_names)
    personal_set.panel(class_names, mnist)
    st.stop()

# The canvas needs its full 280 px: fixed-width boxes, the results beside the picture where both
# fit (from about 1280 px wide) and below it on narrower screens.
row = st.container(horizontal=True, gap="large")
with row.container(width=parts.CANVAS_PX + 16):
    picked = parts.image_by_index(mnist, class_names)
links.publish({"index": picked.index, "split": "train" if picked.split == "train" else None})
with row.container(width=440):
    if picked.image is None:
        st.stop()
    answer = draw_view.read(entry, picked.image)
    draw_view.show_verdict(answer, class_names, picked.label, dot=False)
    draw_view.confidence_caption(drawn=False)
draw_view.results_below(entry, answer, class_names)
personal_set.panel(class_names, mnist)
