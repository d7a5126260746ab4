"""Links to a view of the Draw and Weights pages in a real browser: the address opens the view,
in either language, and a bad value is ignored with a note."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from core.datasets import load_dataset
from tests.e2e.helpers import (
    expect_no_exception,
    headline,
    main,
    sidebar,
    wait_for_app_run,
)

pytestmark = pytest.mark.e2e

NOTE = "Ignored in the link (not valid here)"


@pytest.fixture(scope="module")
def label_1242() -> int:
    return int(load_dataset("mnist").test_labels[1242])


def index_input(page: Page):
    return main(page).get_by_role("spinbutton", name="Test image index")


def test_draw_index_opens_that_test_image_with_its_prediction(
    app: Page, app_url: str, label_1242: int, shoot
):
    page = app
    page.goto(f"{app_url}/draw?index=1242")
    wait_for_app_run(page)
    expect(index_input(page)).to_have_value("1242", timeout=30_000)  # the first page load
    expect(page.get_by_text(f"Test image #1242, labelled {label_1242}")).to_be_visible()
    verdict = rf"(✅ right|❌ the label says {label_1242})"
    expect(headline(page)).to_have_text(
        re.compile(rf"^It's an? \d — probability >?\d+(\.\d)?% \({verdict}\)$")
    )
    expect(page.locator(".st-key-probabilities .prob-bars figure")).to_have_count(10)
    expect(page).to_have_url(re.compile(r"/draw\?(.*&)?index=1242"))
    expect(page.get_by_text(NOTE)).to_have_count(0)
    expect_no_exception(page)
    shoot(page, "link_draw_1242")


def test_draw_link_keeps_its_view_when_the_language_changes(app: Page, app_url: str):
    page = app
    page.goto(f"{app_url}/draw?index=1242&lang=zh")
    wait_for_app_run(page)
    expect(page.get_by_role("heading", name=re.compile(r"^这是 "))).to_be_visible()
    sidebar(page).get_by_role("radio", name="English", exact=True).click()
    expect(headline(page)).to_be_visible(timeout=30_000)
    wait_for_app_run(page)
    # A further change after the switch still shows a test image, not the canvas.
    index_input(page).fill("1243")
    index_input(page).press("Enter")
    expect(page.get_by_text(re.compile(r"^Test image #1243, labelled \d$"))).to_be_visible(
        timeout=30_000
    )
    expect(page).to_have_url(re.compile(r"[?&]index=1243"))
    expect_no_exception(page)


def test_weights_pair_in_chinese(app: Page, app_url: str, shoot):
    page = app
    page.goto(f"{app_url}/weights?pair=4,9&lang=zh")
    wait_for_app_run(page, timeout=60_000)
    expect(page.get_by_role("heading", name="为什么 4 不是 9：差异模板")).to_be_visible()
    expect(page.get_by_text("difference templates")).to_have_count(0)
    pair_picture = page.locator(".st-key-weights_pair_diff")
    expect(pair_picture.locator("img")).to_be_visible(timeout=30_000)
    expect(pair_picture.get_by_text("W[:, 4] − W[:, 9]")).to_be_visible()
    expect_no_exception(page)
    shoot(page, "link_weights_pair_zh")


def test_a_bad_value_is_ignored_with_a_note(app: Page, app_url: str):
    page = app
    page.goto(f"{app_url}/weights?pair=4,4&class=%3Cscript%3Ealert(1)%3C/script%3E")
    wait_for_app_run(page, timeout=60_000)
    expect(page.get_by_text(f"🔗 {NOTE}: class, pair. The defaults apply.")).to_be_visible()
    pair_heading = "Why a 4 is not a 9: difference templates"
    expect(page.get_by_role("heading", name=pair_heading)).to_be_visible()
    expect(page).not_to_have_url(re.compile(r"pair=|class="))
    expect_no_exception(page)


def test_weights_class_opens_that_class_up_close(app: Page, app_url: str):
    page = app
    page.goto(f"{app_url}/weights?class=3")
    wait_for_app_run(page, timeout=60_000)
    expect(page.get_by_text("mean training image of 3")).to_be_visible(timeout=30_000)
    expect(page).to_have_url(re.compile(r"[?&]class=3"))
    expect(page.get_by_text(NOTE)).to_have_count(0)
    expect_no_exception(page)


def test_draw_split_train_opens_a_training_image(app: Page, app_url: str):
    label = int(load_dataset("mnist").train_labels[5])
    page = app
    page.goto(f"{app_url}/draw?split=train&index=5")
    wait_for_app_run(page)
    expect(page.get_by_text(f"Training image #5, labelled {label}")).to_be_visible(timeout=30_000)
    expect(headline(page)).to_have_text(re.compile(r"^It's an? \d — probability"))
    expect(page).to_have_url(re.compile(r"split=train"))
    expect_no_exception(page)
