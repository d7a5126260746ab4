"""Keeping Streamlit out of its legacy multipage mode, which a folder named `pages/` next to the
entry script switches on.

Streamlit sets the class attribute `PagesManager.uses_pages_directory` when it finds that folder
and, while it is true, runs a page's file without app.py (a first visit straight to /train, and
AppTest on every run). Only a call of st.navigation sets it back to False. The attribute is
private API; its meaning is discussed upstream in
https://github.com/streamlit/streamlit/pull/10276 (a pages folder next to st.navigation).
tests/test_legacy_pages.py fails the day Streamlit renames or drops it.
"""

from __future__ import annotations

from streamlit.runtime.pages_manager import PagesManager


def leave_legacy_pages_mode() -> bool:
    """Switch the legacy multipage mode off; True if it was on (the page then ran without
    app.py's router and page config)."""
    if not PagesManager.uses_pages_directory:
        return False
    PagesManager.uses_pages_directory = False
    return True
