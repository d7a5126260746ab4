"""What every page does first."""

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from core.datasets import Dataset, DatasetError
from ui.loaders import load_shared_dataset
from ui.sidebar import render_sidebar
from ui.state import DATASET, init_state

PLOTLY_TOOLBAR = '[data-testid="stPlotlyChart"] .modebar-container'


def start_page(live_run_status: bool = True) -> None:
    """Route through app.py, then session defaults, a run that ended meanwhile, the sidebar."""
    if PagesManager.uses_pages_directory:
        # Until st.navigation has run once in the process, Streamlit treats our pages/ folder as
        # a legacy multipage app and runs a page's file without app.py (a first visit straight
        # to /train; AppTest on every run). Leave that mode; on a fresh page load, where no
        # click can be lost, rerun at once so app.py's router and page config take over.
        PagesManager.uses_pages_directory = False
        if DATASET not in st.session_state:
            st.rerun()
    init_state()
    # On touch screens Plotly's toolbar stays up over a chart's title and legend: hide it there.
    st.html(f"<style>@media (hover: none) {{{PLOTLY_TOOLBAR} {{display: none;}}}}</style>")
    render_sidebar(live_run_status)


def with_article(name: str, bold: bool = False) -> str:
    """'a 7', 'an 8', 'an Ankle boot': the article that a class name takes when read aloud;
    with `bold`, the name in Markdown bold ('an **8**')."""
    article = "an" if name[:1].lower() in "aeiou8" else "a"
    return f"{article} **{name}**" if bold else f"{article} {name}"


def dataset_or_stop(name: str) -> Dataset:
    """The shared dataset `name`; where it cannot be loaded, say why and end the page there."""
    try:
        return load_shared_dataset(name)
    except DatasetError as err:
        st.error(f"The dataset {name!r} could not be loaded: {err}")
        st.stop()
