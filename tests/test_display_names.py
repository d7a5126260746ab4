"""Names translated at display time: Fashion-MNIST's classes, the shipped and uploaded models'
names (whose English text stays their key), and the article a class name takes."""

from __future__ import annotations

import pytest

from core.datasets import CLASS_NAMES
from ui import i18n, page, state
from ui.class_names import FASHION_CLASS_NAMES, display_class_name, display_class_names


@pytest.fixture
def chinese(monkeypatch):
    monkeypatch.setattr(i18n, "current_language", lambda: "zh")


def test_every_fashion_mnist_class_of_core_is_marked():
    assert tuple(FASHION_CLASS_NAMES) == CLASS_NAMES["fashion-mnist"]


def test_class_names_in_english_stay_as_core_names_them():
    assert display_class_names(CLASS_NAMES["fashion-mnist"]) == CLASS_NAMES["fashion-mnist"]
    assert display_class_name("7") == "7"


def test_class_names_in_chinese(chinese):
    assert display_class_name("Ankle boot") == "短靴"
    assert display_class_name("T-shirt/top") == "T 恤/上衣"
    assert display_class_name("7") == "7"
    assert display_class_name("a name from a model file") == "a name from a model file"


def test_model_names_are_translated_for_display_only(chinese):
    assert state.display_model_name(state.DEFAULT_MODEL_NAME) == "随应用提供的默认模型"
    assert state.display_model_name("Uploaded: mine.npz") == "已上传：mine.npz"
    assert state.display_model_name("Run 3 (MNIST, 91.80%)") == "Run 3 (MNIST, 91.80%)"
    assert state.DEFAULT_MODEL_NAME == "Shipped default"


def test_model_names_in_english():
    assert state.display_model_name(state.DEFAULT_MODEL_NAME) == "Shipped default"
    assert state.display_model_name("Uploaded: mine.npz") == "Uploaded: mine.npz"


def test_articles_in_english_and_none_in_chinese(monkeypatch):
    assert page.with_article("8") == "an 8"
    assert page.with_article("Bag", bold=True) == "a **Bag**"
    monkeypatch.setattr(page, "current_language", lambda: "zh")
    assert page.with_article("8", bold=True) == "**8**"
    assert page.with_article("包") == "包"
