"""A link to the Train page in a real browser: train?lr=5&epochs=3&lang=zh opens the form (in
Chinese) with those settings, and nothing trains until Start."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import expect_no_exception, main, wait_for_app_run

pytestmark = pytest.mark.e2e


def test_a_link_fills_the_chinese_form_and_nothing_trains_until_start(app: Page, app_url: str):
    page = app
    page.goto(f"{app_url}/train?lr=5&epochs=3&lang=zh")
    wait_for_app_run(page)
    expect(page.get_by_label("学习率", exact=True)).to_have_value("5")
    expect(page.get_by_label("轮数", exact=True)).to_have_value("3")
    expect(main(page).get_by_role("button", name="▶️ 开始训练")).to_be_visible()
    page.wait_for_timeout(1500)  # a run started by the link would show its progress by now
    expect(main(page).get_by_test_id("stProgress")).to_have_count(0)
    expect_no_exception(page)
    assert "lr=5" in page.url and "lang=zh" in page.url
