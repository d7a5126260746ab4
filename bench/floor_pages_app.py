"""The floor of a page switch: a minimal Streamlit app with three small pages.

Run by `bench/page_speed.py --floor` (`streamlit run bench/floor_pages_app.py`). Whatever a switch
between these pages costs, Streamlit and the browser cost on this machine before the lab draws
anything: a heading and two paragraphs; the same plus the kind of sidebar every lab page has (a
language radio, two selectboxes, a caption); and three small Plotly heatmaps, the cost of a page
with charts.
"""

import numpy as np
import plotly.graph_objects as go
import streamlit as st

TEXT = "A paragraph of plain text, about as long as the lab's explanations under a heading. " * 3


def text_page() -> None:
    st.title("Text")
    st.markdown(TEXT)
    st.markdown(TEXT)


def sidebar_page() -> None:
    st.title("Sidebar")
    st.markdown(TEXT)
    with st.sidebar:
        st.radio("Language", ["English", "中文"], horizontal=True)
        st.selectbox("Dataset", ["MNIST digits (shipped)", "Fashion-MNIST"])
        st.divider()
        st.selectbox("Current model", ["Shipped default"])
        st.caption("Shipped with the app · MNIST · test accuracy 92.23%")


def heatmaps_page() -> None:
    st.title("Heatmaps")
    rng = np.random.default_rng(0)
    for i in range(3):
        figure = go.Figure(go.Heatmap(z=rng.random((28, 28)), showscale=False))
        st.plotly_chart(figure.update_layout(height=250), key=f"heatmap_{i}")


st.navigation(
    [
        st.Page(text_page, title="Text", default=True),
        st.Page(sidebar_page, title="Sidebar", url_path="sidebar"),
        st.Page(heatmaps_page, title="Heatmaps", url_path="heatmaps"),
    ]
).run()
