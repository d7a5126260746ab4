"""The language in the running app (AppTest): the URL's ?lang= first, then the sidebar's
picker, then English; the picker puts its choice in the address bar."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.apptest_helpers import APP
from ui.nav import TRAIN


def train_heading(at: AppTest) -> str:
    return at.title[0].value


def language_picker(at: AppTest):
    return at.sidebar.get("button_group")[0]


def test_english_without_a_language_in_the_url(app):
    app.switch_page(TRAIN.path).run()
    assert train_heading(app) == "🏋️ Train"


def test_lang_zh_in_the_url_gives_chinese(app):
    app.query_params["lang"] = "zh"
    app.switch_page(TRAIN.path).run()
    assert not app.exception
    assert train_heading(app) == "🏋️ 训练"


def test_an_unknown_lang_is_ignored(app):
    app.query_params["lang"] = "klingon" * 100
    app.switch_page(TRAIN.path).run()
    assert not app.exception
    assert train_heading(app) == "🏋️ Train"


def test_the_picker_switches_and_writes_the_url():
    at = AppTest.from_file(APP, default_timeout=60)
    at.switch_page(TRAIN.path).run()
    assert train_heading(at) == "🏋️ Train"
    language_picker(at).set_value("zh").run()
    assert not at.exception
    assert train_heading(at) == "🏋️ 训练"
    assert at.query_params["lang"] == "zh"
    language_picker(at).set_value("en").run()
    assert train_heading(at) == "🏋️ Train"
