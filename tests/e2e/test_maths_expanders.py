"""The maths expanders draw their formulas only when opened (ui/expanders.py): opened with the
keyboard, each shows its KaTeX formulas; closed, the page holds none of them."""

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
    expect(box.locator(".katex")).to_have_count(0)
    box.locator("summary").focus()
    page.keyboard.press(key)
    wait_for_app_run(page)
    expect(box.locator(".katex").first).to_be_visible()
    page.keyboard.press("Enter")  # the summary keeps the focus: closes it again
    wait_for_app_run(page)
    expect(box.locator(".katex")).to_have_count(0)
