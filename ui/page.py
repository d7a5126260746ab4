"""What every page does first."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from core.datasets import Dataset, DatasetError
from ui import links
from ui.i18n import _, current_language, use_language
from ui.legacy_pages import leave_legacy_pages_mode
from ui.loaders import load_shared_dataset
from ui.nav import APP_ICON, APP_TITLE, HOME, TRAIN, PageInfo
from ui.sidebar import render_sidebar
from ui.state import DATASET, ModelEntry, current_model, init_state

PLOTLY_TOOLBAR = '[data-testid="stPlotlyChart"] .modebar-container'
# The app's own CSS, all of it. On touch screens Plotly's toolbar stays up over a chart's title
# and legend: hidden there. Streamlit shows the sidebar's collapse button only while the mouse
# is over the sidebar, so the Tab key cannot reach it: always shown. Comments in code blocks are
# #808495 on #fcfcfb (3.6:1): darker, 5.8:1 (WCAG AA asks 4.5:1). On a phone the Train page's
# three pace buttons take less padding, so they fit a 390 px screen instead of being cut.
# Streamlit leaves 6rem above a page, 2.25rem more than its header needs: 4rem keeps a live run's
# progress, charts and templates within a 1366x768 laptop screen with room to spare.
PAGE_CSS = f"""<style>
[data-testid="stMainBlockContainer"] {{padding-top: 4rem;}}
@media (hover: none) {{{PLOTLY_TOOLBAR} {{display: none;}}}}
[data-testid="stSidebarCollapseButton"] button {{visibility: visible;}}
pre .token.comment {{color: #5f6373 !important;}}
@media (max-width: 640px) {{.st-key-train_pace_input button {{padding: 0 0.5rem;}}}}
</style>"""
# Streamlit closes the sidebar after a page is picked only where the browser says it is a phone;
# a narrow window (or a phone asking for the desktop site) keeps it open over the page. Below
# Streamlit's 768 px breakpoint, where the sidebar covers the page, close it after a pick.
CLOSE_SIDEBAR_AFTER_PICK = """<script>
if (!window.labClosesSidebarAfterPick) {
  window.labClosesSidebarAfterPick = true;
  document.addEventListener("click", (event) => {
    const picked = event.target.closest('[data-testid="stSidebarNav"] a');
    if (!picked || !window.matchMedia("(max-width: 767.98px)").matches) return;
    setTimeout(() => {
      document.querySelector(
        '[data-testid="stSidebarCollapseButton"] button[aria-expanded="true"]')?.click();
    }, 0);
  }, true);
}
</script>"""


@dataclass
class View:
    """A page's handle on its link: `publish()` puts the page's values into the address bar
    and redraws the "🔗 Link to this view" control, so the link it shows is the view's own.

    A page with link parameters calls `view.publish({...})` after drawing its widgets (rather
    than links.publish, whose values would reach the control only on the next run)."""

    url_path: str
    slot: DeltaGenerator | None = None

    def publish(self, values: Mapping[str, Any]) -> None:
        links.publish(values)
        self.draw_link()

    def draw_link(self) -> None:
        if self.slot is not None:
            with self.slot.container():
                links.copy_link_control(self.url_path)


def start_page(page: PageInfo | None = None, live_run_status: bool = True) -> View:
    """Route through app.py, then session defaults, a run that ended meanwhile, the sidebar, and,
    when `page` is given, the page's heading (from ui.nav; Home's is the app's name) with the
    "🔗 Link to this view" control beside it, and the note on link values that were ignored.
    Returns the page's View (its `publish` keeps the link control up to date)."""
    # On a fresh page load that ran without app.py, where no click can be lost, rerun at once so
    # app.py's router and page config take over.
    if leave_legacy_pages_mode() and DATASET not in st.session_state:
        st.rerun()
    use_language()
    init_state()
    st.html(PAGE_CSS)
    render_sidebar(live_run_status)  # it applies and publishes ?dataset=
    # Last in the sidebar: the (empty) element's gap is below everything there.
    st.sidebar.html(CLOSE_SIDEBAR_AFTER_PICK, unsafe_allow_javascript=True)
    if page is None:
        return View("")
    heading, link = st.columns([3, 1], vertical_alignment="bottom")
    heading.title(f"{APP_ICON} {_(APP_TITLE)}" if page is HOME else page.heading)
    view = View(page.url_path or "", link.empty())
    view.draw_link()
    links.show_ignored_note()
    return view


def with_article(name: str, bold: bool = False) -> str:
    """'a 7', 'an 8', 'an Ankle boot': the article that a class name takes when read aloud;
    with `bold`, the name in Markdown bold ('an **8**'). In Chinese, which has no articles, the
    name alone ('**8**')."""
    shown = f"**{name}**" if bold else name
    if current_language() != "en":
        return shown
    article = "an" if name[:1].lower() in "aeiou8" else "a"
    return f"{article} {shown}"


def dataset_or_stop(name: str) -> Dataset:
    """The shared dataset `name`; where it cannot be loaded, say why and end the page there."""
    try:
        return load_shared_dataset(name)
    except DatasetError as err:
        # core's reason stays in English, after a translated lead.
        st.error(
            _("The dataset {name} could not be loaded: {reason}").format(
                name=repr(name), reason=err
            )
        )
        st.stop()


def model_or_stop(why: str) -> ModelEntry:
    """The current model; without one, say `why` a model is needed (translated by the caller),
    link to the Train page and end the page there."""
    entry = current_model()
    if entry is None:
        st.info(why)
        st.page_link(TRAIN.path, label=_("Train a model"), icon=TRAIN.icon)
        st.stop()
    return entry
