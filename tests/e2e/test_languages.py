"""Both languages in a real browser: every page with ?lang=zh, the sidebar's picker, the
browser's own language, and a page switch that keeps the language."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import ErrorLog
from tests.e2e.helpers import (
    expect_no_exception,
    main,
    sidebar,
    sidebar_link,
    wait_for_app_run,
)
from ui.nav import PAGES

pytestmark = pytest.mark.e2e

CHINESE_TITLES = {
    "Home": "首页",
    "Explore the data": "浏览数据",
    "Train": "训练",
    "Weights": "权重",
    "Draw a digit": "手写数字",
    "Confidence": "置信度",
    "Experiments": "实验",
}


# An intro sentence of each translated page, in both languages.
INTROS = {
    "home": ("See how the simplest neural classifier", "看看最简单的神经网络分类器"),
    "explore": (
        "Before training anything, look at what the model will see",
        "训练之前，先看看模型会看到什么",
    ),
}


def language_picker(page: Page, name: str):
    return sidebar(page).get_by_role("radio", name=name, exact=True)


def heading(page: Page, text: str):
    return page.get_by_role("heading", name=text, level=1)


@pytest.mark.parametrize("info", PAGES, ids=[p.url_path or "home" for p in PAGES])
def test_every_page_opens_in_chinese(app: Page, app_url: str, info, shoot):
    page = app
    page.goto(f"{app_url}/{info.url_path or ''}?lang=zh")
    wait_for_app_run(page, timeout=60_000)  # Explore's first visit computes its statistics
    title = CHINESE_TITLES[info.title]
    if info.url_path:  # Home's heading is the app's name
        expect(heading(page, f"{info.icon} {title}")).to_be_visible()
    for english, chinese in CHINESE_TITLES.items():
        expect(sidebar_link(page, chinese)).to_be_visible()
        expect(sidebar_link(page, english)).to_have_count(0)
    expect_no_exception(page)
    if (info.url_path or "home") in INTROS:
        english, chinese = INTROS[info.url_path or "home"]
        expect(main(page).get_by_text(chinese)).to_be_visible()
        expect(main(page).get_by_text(english)).to_have_count(0)
    shoot(page, f"zh_{info.url_path or 'home'}")


# A sentence of each page's introduction in both languages.
INTRODUCTIONS = {
    "draw": ("用鼠标（或手指）画一个数字", "Draw a digit with the mouse (or a finger)"),
    "weights": ("线性模型只通过十个**模板**来看每张图像", "A linear model sees each image only"),
}


@pytest.mark.parametrize("url_path", list(INTRODUCTIONS))
def test_the_introduction_is_in_chinese(app: Page, app_url: str, url_path: str):
    page = app
    chinese, english = INTRODUCTIONS[url_path]
    page.goto(f"{app_url}/{url_path}?lang=zh")
    wait_for_app_run(page, timeout=60_000)
    text = main(page).inner_text()
    assert chinese.replace("**", "") in text
    assert english not in text
    expect_no_exception(page)


def test_the_picker_switches_language_and_a_page_switch_keeps_it(app: Page):
    page = app
    language_picker(page, "中文").click()
    expect(sidebar_link(page, "训练")).to_be_visible()
    expect(page).to_have_url(re.compile(r"[?&]lang=zh"))
    sidebar_link(page, "训练").click()
    expect(heading(page, "🏋️ 训练")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/train\?(.*&)?lang=zh"))
    language_picker(page, "English").click()
    expect(heading(page, "🏋️ Train")).to_be_visible()


def test_a_link_with_lang_keeps_chinese_after_a_page_switch(app: Page, app_url: str):
    page = app
    page.goto(f"{app_url}/weights?lang=zh")
    wait_for_app_run(page)
    sidebar_link(page, "手写数字").click()
    expect(heading(page, "✏️ 手写数字")).to_be_visible()


def test_a_chinese_browser_gets_chinese_without_a_parameter(
    browser: Browser, app_url: str, errors: ErrorLog
):
    context = errors.watch(browser.new_context(locale="zh-CN"))
    page = context.new_page()
    page.goto(f"{app_url}/train")
    wait_for_app_run(page)
    expect(heading(page, "🏋️ 训练")).to_be_visible()
    context.close()
