"""The floor of a Draw prediction: the canvas component alone, with the shipped model's answer.

Run by bench/draw_speed.py (`streamlit run bench/canvas_floor_app.py`). The canvas waits about
200 ms after the last change before it sends the drawing; everything else here is as little as a
prediction can cost (a crop-free 10x10 area average and one matrix product), so the time from
mouse-up to this page's headline is what the Draw page cannot go below.
"""

import numpy as np
import streamlit as st
import streamlit_drawable_canvas

from core.model import SoftmaxRegression

CANVAS_PX = 280  # as on the Draw page


@st.cache_resource
def shipped() -> SoftmaxRegression:
    return SoftmaxRegression.load("models/default/model.npz")


result = streamlit_drawable_canvas.st_canvas(
    stroke_width=20,  # the Draw page's default brush
    stroke_color="#FFFFFF",
    background_color="#000000",
    height=CANVAS_PX,
    width=CANVAS_PX,
    drawing_mode="freedraw",
    return_image_data=True,
    key="canvas",
)
if result.image_data is not None and result.image_data[..., 0].max() > 0:
    ink = result.image_data[..., 0].astype(np.float32) / 255
    small = ink.reshape(28, CANVAS_PX // 28, 28, CANVAS_PX // 28).mean(axis=(1, 3))
    top = int(shipped().predict_proba(small.reshape(1, 784)).argmax())
    st.markdown(f"### It's a {top}")
else:
    st.markdown("### Draw")
