"""MNIST Softmax Lab: the router. Run with `streamlit run app.py`.

Each page sets itself up (state, sidebar) with ui.page.start_page(), so it also works when
Streamlit runs it without this router (AppTest, or a first visit straight to a page's URL).
"""

import streamlit as st

st.set_page_config(page_title="MNIST Softmax Lab", page_icon="🔢", layout="wide")

page = st.navigation(
    [
        st.Page("pages/home.py", title="Home", icon="🏠", default=True),
        st.Page("pages/explore.py", title="Explore the data", icon="🔍", url_path="explore"),
        st.Page("pages/train.py", title="Train", icon="🏋️", url_path="train"),
        st.Page("pages/weights.py", title="Weights", icon="🧩", url_path="weights"),
        st.Page("pages/draw.py", title="Draw a digit", icon="✏️", url_path="draw"),
    ]
)
page.run()
