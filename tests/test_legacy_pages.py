"""The one piece of Streamlit's private API the app relies on (ui/legacy_pages.py): it fails the
day Streamlit renames, drops or changes the meaning of PagesManager.uses_pages_directory."""

from __future__ import annotations

import pytest
from streamlit.runtime.pages_manager import PagesManager

from ui.legacy_pages import leave_legacy_pages_mode


@pytest.fixture
def pages_flag():
    """Restore Streamlit's flag after the test (AppTest and the router both set it)."""
    kept = PagesManager.uses_pages_directory
    yield
    PagesManager.uses_pages_directory = kept


def test_pages_manager_still_has_the_class_attribute():
    assert "uses_pages_directory" in vars(PagesManager)


def test_leaving_the_legacy_mode_switches_the_flag_off_once(pages_flag):
    PagesManager.uses_pages_directory = True
    assert leave_legacy_pages_mode() is True
    assert PagesManager.uses_pages_directory is False
    assert leave_legacy_pages_mode() is False, "already off: nothing to leave"


def test_a_pages_folder_next_to_the_entry_script_switches_the_legacy_mode_on(pages_flag, tmp_path):
    """What the workaround undoes: Streamlit sets the flag from a `pages/` folder beside the main
    script when a PagesManager is made."""
    (tmp_path / "pages").mkdir()
    main = tmp_path / "app.py"
    main.write_text("")
    PagesManager.uses_pages_directory = None
    PagesManager(str(main))
    assert PagesManager.uses_pages_directory is True
