"""Links in a real browser: Explore's ?split=&class=&page= opens that view and follows the
visitor's changes; ?dataset=fashion-mnist&lang=zh opens Fashion-MNIST in Chinese."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import expect_no_exception, image_grid, main, sidebar, wait_for_app_run

pytestmark = pytest.mark.e2e


def test_an_explore_link_opens_that_view_and_follows_changes(app: Page, app_url: str):
    page = app
    page.goto(f"{app_url}/explore?split=test&class=7&page=3")
    wait_for_app_run(page, timeout=60_000)
    expect_no_exception(page)
    expect(main(page).get_by_role("radio", name="test")).to_be_checked()
    expect(
        main(page).get_by_text("1,028 test images of class 7; this page shows numbers 101 to 150")
    ).to_be_visible()
    tiles = image_grid(page, "explore_grid")
    expect(tiles).to_have_count(50)
    for caption in tiles.locator("figcaption").all_inner_texts()[:5]:
        assert caption.endswith("· 7"), caption
    # The visitor's change goes into the address bar: back to the training split.
    page.get_by_test_id("stRadio").get_by_text("train", exact=True).click()
    expect(page).to_have_url(re.compile(r"/explore\?(?!.*split=)"))
    page.get_by_role("button", name="🔗 Link to this view").click()
    link = page.get_by_test_id("stCode").filter(has_text="class=7")
    expect(link).to_have_text(re.compile(r"^http://[^/]+/explore\?class=7$"))


def test_a_bad_explore_link_shows_the_defaults_and_a_note(app: Page, app_url: str):
    page = app
    page.goto(f"{app_url}/explore?split=validation&class=42&page=-1")
    wait_for_app_run(page, timeout=60_000)
    expect_no_exception(page)
    expect(
        main(page).get_by_text(re.compile(r"Ignored in the link .*class, page, split"))
    ).to_be_visible()
    expect(main(page).get_by_role("radio", name="train")).to_be_checked()


def test_a_fashion_mnist_link_in_chinese(app: Page, app_url: str, needs_fashion_mnist, shoot):
    page = app
    page.goto(f"{app_url}/explore?dataset=fashion-mnist&lang=zh")
    wait_for_app_run(page, timeout=90_000)  # a first visit loads and summarises the dataset
    expect_no_exception(page)
    expect(page.get_by_role("heading", name="🔍 浏览数据", level=1)).to_be_visible()
    expect(sidebar(page).get_by_role("combobox", name="数据集")).to_have_value("Fashion-MNIST")
    means = image_grid(page, "explore_means").locator("figcaption")
    expect(means).to_have_count(10)
    expect(means.nth(9)).to_have_text("短靴")
    expect(page).to_have_url(re.compile(r"dataset=fashion-mnist"))
    expect(page).to_have_url(re.compile(r"lang=zh"))
    shoot(page, "zh_explore_fashion")
