"""On a narrow screen the sidebar covers the page: after a page is picked it closes, in a narrow
desktop window (390 x 844) and on a phone (which Streamlit recognises by its user agent)."""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.helpers import sidebar_link, wait_for_app_run

pytestmark = pytest.mark.e2e

NARROW = {"width": 390, "height": 844}


def pick_page_from_the_sidebar(page: Page, title: str, heading: str) -> None:
    """Open the sidebar, tap the page's link; the sidebar closes and the page is in view."""
    page.get_by_test_id("stExpandSidebarButton").click()
    link = sidebar_link(page, title)
    expect(link).to_be_in_viewport()
    link.click()
    expect(page.get_by_role("heading", name=heading, level=1)).to_be_in_viewport()
    expect(link).not_to_be_in_viewport()
    expect(page.get_by_test_id("stExpandSidebarButton")).to_be_visible()


def walk_through_pages(page: Page, app_url: str) -> None:
    page.goto(app_url)
    wait_for_app_run(page)
    # Streamlit starts with the sidebar closed on a narrow screen.
    expect(sidebar_link(page, "Weights")).not_to_be_in_viewport()
    pick_page_from_the_sidebar(page, "Weights", "🧩 Weights")
    wait_for_app_run(page)
    pick_page_from_the_sidebar(page, "Draw a digit", "✏️ Draw a digit")


def test_sidebar_closes_after_a_pick_in_a_narrow_window(page: Page, app_url: str, errors):
    errors.watch(page.context)
    page.set_viewport_size(NARROW)
    walk_through_pages(page, app_url)


def test_sidebar_closes_after_a_pick_on_a_phone(phone: BrowserContext, app_url: str):
    """Streamlit closes it itself here; the app's own closing must not open it again."""
    walk_through_pages(phone.new_page(), app_url)
