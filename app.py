"""MNIST Softmax Lab: the router. Run with `streamlit run app.py`.

Each page sets itself up (state, sidebar) with ui.page.start_page(), so it also works when
Streamlit runs it without this router (AppTest, or a first visit straight to a page's URL).
"""

import streamlit as st

from ui.i18n import _, use_language
from ui.nav import APP_ICON, APP_TITLE, HOME, PAGES
from ui.warm_up import start_warm_up

use_language()  # before any text: the titles below are in it
st.set_page_config(page_title=_(APP_TITLE), page_icon=APP_ICON, layout="wide")

page = st.navigation(
    [
        st.Page(p.path, title=_(p.title), icon=p.icon, url_path=p.url_path, default=p is HOME)
        for p in PAGES
    ]
)
page.run()
# Once per process, after the first page is drawn (started earlier, the thread delayed the
# navigation menu): the dataset, its statistics and the shipped model's calibration, computed
# before a visitor opens the pages that need them.
start_warm_up()
