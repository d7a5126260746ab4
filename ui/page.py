"""What every page does first."""

import streamlit as st

from core.datasets import Dataset, DatasetError
from ui.legacy_pages import leave_legacy_pages_mode
from ui.loaders import load_shared_dataset
from ui.nav import TRAIN, PageInfo
from ui.sidebar import render_sidebar
from ui.state import DATASET, ModelEntry, current_model, init_state

PLOTLY_TOOLBAR = '[data-testid="stPlotlyChart"] .modebar-container'


def start_page(page: PageInfo | None = None, live_run_status: bool = True) -> None:
    """Route through app.py, then session defaults, a run that ended meanwhile, the sidebar, and
    the page's heading (from ui.nav) when `page` is given."""
    # On a fresh page load that ran without app.py, where no click can be lost, rerun at once so
    # app.py's router and page config take over.
    if leave_legacy_pages_mode() and DATASET not in st.session_state:
        st.rerun()
    init_state()
    # On touch screens Plotly's toolbar stays up over a chart's title and legend: hide it there.
    st.html(f"<style>@media (hover: none) {{{PLOTLY_TOOLBAR} {{display: none;}}}}</style>")
    render_sidebar(live_run_status)
    if page is not None:
        st.title(page.heading)


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


def model_or_stop(why: str) -> ModelEntry:
    """The current model; without one, say `why` a model is needed, link to the Train page and
    end the page there."""
    entry = current_model()
    if entry is None:
        st.info(why)
        st.page_link(TRAIN.path, label="Train a model", icon=TRAIN.icon)
        st.stop()
    return entry
