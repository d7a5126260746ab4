"""The maths expanders draw their formulas only when opened (ui/expanders.py): opened with the
keyboard, each shows its KaTeX formulas; closed, the page holds none of them; and opening or
closing one leaves the keyboard focus where it was."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import main, open_from_sidebar, wait_for_app_run

# (sidebar title, address, heading, an expander's label, the key that opens it).
PAGES = [
    (
        "Weights",
        "weights",
        "🧩 Weights",
        "The maths: how templates turn into a prediction",
        "Enter",
    ),
    ("Train", "train", "🏋️ Train", "Maths of the options", "Space"),  # inside the settings form
]


@pytest.mark.parametrize(("title", "address", "heading", "label", "key"), PAGES)
def test_a_maths_expander_opens_with_the_keyboard_and_only_then_draws_formulas(
    app: Page, title: str, address: str, heading: str, label: str, key: str
):
    page = app
    open_from_sidebar(page, title, address, heading)
    wait_for_app_run(page)
    box = main(page).get_by_test_id("stExpander").filter(has_text=label)
    summary = box.locator("summary")
    expect(box.locator(".katex")).to_have_count(0)
    summary.focus()
    # Each press reruns the page; a keyboard user goes on from where the focus is, so the rerun
    # must not rebuild the expander (on Train it once did, now and then: its form sat in a slot).
    for _time in range(3):
        page.keyboard.press(key)
        wait_for_app_run(page)
        expect(box.locator(".katex").first).to_be_visible()
        expect(summary).to_be_focused()
        page.keyboard.press("Enter")
        wait_for_app_run(page)
        expect(box.locator(".katex")).to_have_count(0)
        expect(summary).to_be_focused()
