"""Links in the running app (AppTest): Explore's ?split=&class=&page=, the sidebar's ?dataset=,
the "🔗 Link to this view" control. Good values open the view; bad ones leave the defaults and
a note, never an exception."""

from __future__ import annotations

import pytest
from streamlit.runtime.caching.cache_resource_api import clear_session_cache
from streamlit.testing.v1 import AppTest

from tests.apptest_helpers import APP, APPTEST_SESSION_ID, captions, open_page
from ui import state
from ui.nav import EXPLORE, HOME, PAGES

IGNORED = "Ignored in the link"


@pytest.fixture
def fresh():
    """An AppTest not run yet, so a test can put parameters in its URL first."""
    at = AppTest.from_file(APP, default_timeout=60)
    yield at
    clear_session_cache(APPTEST_SESSION_ID)


def explore_widgets(at: AppTest) -> tuple[str, int, int]:
    split = at.radio(key="explore_split").value
    chosen = at.selectbox(key="explore_class").value
    page = next(n for n in at.number_input if n.key and n.key.startswith("explore_page_")).value
    return split, chosen, page


def test_an_explore_link_opens_that_split_class_and_page(fresh):
    at = open_page(fresh, EXPLORE.path, split="test", **{"class": "7", "page": "3"})
    assert explore_widgets(at) == ("test", 7, 3)
    assert IGNORED not in captions(at)
    assert "this page shows numbers 101 to 150" in captions(at)
    assert at.query_params["split"] in ("test", ["test"])


def test_the_visitors_changes_go_into_the_address_and_the_link(fresh):
    at = open_page(fresh, EXPLORE.path)
    assert explore_widgets(at) == ("train", -1, 1)
    assert "class" not in at.query_params
    at.selectbox(key="explore_class").set_value(4).run()
    at.number_input(key="explore_page_train_4").set_value(2).run()
    assert not at.exception
    assert at.query_params["class"] in ("4", ["4"])
    assert at.query_params["page"] in ("2", ["2"])
    link = " ".join(c.value for c in at.code)
    assert "class=4" in link and "page=2" in link, link
    # The link a rerun keeps does not fill the widgets again: the visitor's choice stays.
    at.selectbox(key="explore_class").set_value(-1).run()
    assert explore_widgets(at) == ("train", -1, 1)
    assert "class" not in at.query_params and "page" not in at.query_params


@pytest.mark.parametrize(
    "params",
    [
        {"split": "validation"},
        {"split": "TEST"},
        {"class": "10"},
        {"class": "-2"},
        {"class": "seven"},
        {"class": "3.5"},
        {"page": "0"},
        {"page": "99999"},
        {"page": "x" * 5000},
        {"split": "t" * 100, "class": "9" * 100, "page": "<script>"},
    ],
)
def test_bad_explore_values_keep_the_defaults_with_a_note(fresh, params):
    at = open_page(fresh, EXPLORE.path, **params)
    assert explore_widgets(at) == ("train", -1, 1)
    note = captions(at)
    assert IGNORED in note
    assert all(name in note for name in params)


def test_a_page_beyond_the_filters_last_is_ignored(fresh):
    # Class 7 of the test split has 1,028 images: 21 pages.
    at = open_page(fresh, EXPLORE.path, split="test", **{"class": "7", "page": "22"})
    assert explore_widgets(at) == ("test", 7, 1)
    assert IGNORED in captions(at)


@pytest.mark.needs_fashion_mnist
def test_a_dataset_link_picks_fashion_mnist_on_any_page(fresh):
    at = open_page(fresh, EXPLORE.path, dataset="fashion-mnist")
    assert at.session_state[state.DATASET] == "fashion-mnist"
    assert at.sidebar.selectbox[0].value == "fashion-mnist"
    assert "Ankle boot" in " ".join(o for o in at.selectbox(key="explore_class").options)
    assert at.query_params["dataset"] in ("fashion-mnist", ["fashion-mnist"])
    assert IGNORED not in captions(at)


@pytest.mark.needs_fashion_mnist
def test_fashion_mnist_class_names_are_translated_in_chinese(fresh):
    at = open_page(fresh, EXPLORE.path, dataset="fashion-mnist", lang="zh")
    options = " ".join(at.selectbox(key="explore_class").options)
    assert "短靴" in options and "Ankle boot" not in options


@pytest.mark.parametrize("value", ["cifar", "MNIST", "", "f" * 1000])
def test_an_unknown_dataset_is_ignored_with_a_note(fresh, value):
    at = open_page(fresh, HOME.path, dataset=value)
    assert at.session_state[state.DATASET] == "mnist"
    if value:  # an empty value is no value
        assert IGNORED in captions(at)


def test_an_uninstalled_dataset_is_ignored_with_a_note(fresh, monkeypatch):
    from ui import sidebar

    monkeypatch.setattr(sidebar, "dataset_available", lambda name: name == "mnist")
    at = open_page(fresh, EXPLORE.path, dataset="fashion-mnist")
    assert at.session_state[state.DATASET] == "mnist"
    assert IGNORED in captions(at)


@pytest.mark.parametrize("info", PAGES, ids=[p.url_path or "home" for p in PAGES])
def test_every_page_has_the_link_control(fresh, info):
    at = open_page(fresh, info.path)
    labels = [p.proto.popover.label for p in at.get("popover")]
    assert "🔗 Link to this view" in labels, labels
