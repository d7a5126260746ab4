"""Link parameters: what parses, what is refused, how values stand in the URL."""

from __future__ import annotations

import contextlib
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ui import links
from ui.links import (
    MAX_VALUE_CHARS,
    BadValue,
    as_text,
    choice,
    class_pair,
    integer,
    number,
    parse_value,
    view_link,
)


@pytest.mark.parametrize(
    ("parser", "text", "expected"),
    [
        (integer(0, 9999), "1242", 1242),
        (integer(0, 9999), " 7 ", 7),
        (number(1e-6, 1e3), "5", 5.0),
        (number(1e-6, 1e3), "1e-3", 0.001),
        (choice("train", "test"), "test", "test"),
        (class_pair(10), "4,9", (4, 9)),
        (class_pair(10), "9, 4", (9, 4)),
    ],
)
def test_good_values_parse(parser, text, expected):
    assert parse_value(text, parser) == expected


@pytest.mark.parametrize(
    ("parser", "text"),
    [
        (integer(0, 9999), "10000"),
        (integer(0, 9999), "-1"),
        (integer(0, 9999), "1.5"),
        (integer(0, 9999), "abc"),
        (integer(0, 9999), ""),
        (number(1e-6, 1e3), "nan"),
        (number(1e-6, 1e3), "inf"),
        (number(1e-6, 1e3), "0"),
        (number(1e-6, 1e3), "5000"),
        (choice("train", "test"), "TEST"),
        (choice("train", "test"), "validation"),
        (class_pair(10), "4"),
        (class_pair(10), "4,4"),
        (class_pair(10), "4,10"),
        (class_pair(10), "4,9,1"),
        (class_pair(10), "<script>"),
        (integer(0, 9999), "1" * (MAX_VALUE_CHARS + 1)),
    ],
)
def test_bad_values_are_refused_with_one_error(parser, text):
    with pytest.raises(BadValue):
        parse_value(text, parser)


def test_an_absent_value_is_none():
    assert parse_value(None, integer(0, 1)) is None


@given(st.text(max_size=200))
def test_any_text_parses_or_raises_bad_value_only(text):
    for parser in (integer(0, 9999), number(1e-6, 1e3), choice("a", "b"), class_pair(10)):
        with contextlib.suppress(BadValue):
            parse_value(text, parser)


@pytest.mark.parametrize(
    ("value", "text"), [(0.1, "0.1"), (5.0, "5"), (128, "128"), ((4, 9), "4,9"), ("test", "test")]
)
def test_values_stand_in_the_url_as_they_parse_back(value, text):
    assert as_text(value) == text


@pytest.mark.parametrize(
    ("browser_url", "url_path", "expected"),
    [
        # A browser's st.context.url is the page in use, its path included.
        ("http://host:8501/explore", "explore", "http://host:8501/explore?class=7&pair=4,9"),
        ("http://host:8501/", "", "http://host:8501?class=7&pair=4,9"),
        # Without a browser (AppTest) there is none: the page's path stands alone.
        (None, "explore", "/explore?class=7&pair=4,9"),
        (None, "", "/?class=7&pair=4,9"),
    ],
)
def test_the_view_link_is_the_pages_address_with_its_parameters(
    monkeypatch, browser_url, url_path, expected
):
    fake = SimpleNamespace(context=SimpleNamespace(url=browser_url))
    fake.query_params = {"class": "7", "pair": "4,9"}
    monkeypatch.setattr(links, "st", fake)
    assert view_link(url_path) == expected
