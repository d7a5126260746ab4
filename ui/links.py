"""Links to a view: URL query parameters that open a page exactly where a teacher wants it.

Each page names its parameters with a parser (`integer(0, 9999)`, `number(1e-6, 1e3)`,
`choice(...)`, `class_pair(10)`) and binds each to the widget key that shows it:

    bind_to_widget("index", integer(0, 9999), "draw_test_index")   # before the widget
    ...draw the widget...
    publish({"index": st.session_state["draw_test_index"]})         # after it

A URL value fills its widget once: when the page opens with it (or the visitor edits the
address), not on every rerun, so the visitor's own changes win and go back into the URL. A value
that does not parse (wrong type, out of range, unknown name, too long) is ignored with a note;
the widget keeps its default.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

import streamlit as st

from ui.i18n import _

# Longer values are not read at all (a URL is no place for a novel).
MAX_VALUE_CHARS = 40
# Session key: {parameter: the raw URL text already applied to its widget}.
APPLIED_KEY = "link_values_applied"
# Session key: notes about ignored parameters, shown once by the page.
IGNORED_KEY = "link_values_ignored"

Parser = Callable[[str], Any]


class BadValue(ValueError):
    """A URL value that cannot be used."""


def _bounded(convert: Callable[[str], float], low: float, high: float) -> Parser:
    """A parser that converts the text and keeps it only if finite and within [low, high]."""

    def parse(text: str):
        try:
            value = convert(text)
        except ValueError:
            raise BadValue(text) from None
        if not math.isfinite(value) or not low <= value <= high:
            raise BadValue(text)
        return value

    return parse


def integer(low: int, high: int) -> Parser:
    return _bounded(int, low, high)


def number(low: float, high: float) -> Parser:
    return _bounded(float, low, high)


def choice(*options: str) -> Parser:
    def parse(text: str) -> str:
        if text not in options:
            raise BadValue(text)
        return text

    return parse


def class_pair(n_classes: int) -> Parser:
    """ "4,9" -> (4, 9): two different classes."""

    def parse(text: str) -> tuple[int, int]:
        parts = text.split(",")
        if len(parts) != 2:
            raise BadValue(text)
        first, second = (integer(0, n_classes - 1)(part.strip()) for part in parts)
        if first == second:
            raise BadValue(text)
        return first, second

    return parse


def parse_value(text: str | None, parse: Parser) -> Any:
    """`parse(text)`, or None where the text is absent; BadValue where it cannot be used."""
    if text is None:
        return None
    if len(text) > MAX_VALUE_CHARS:
        raise BadValue(text[:MAX_VALUE_CHARS])
    return parse(text.strip())


def as_text(value: Any) -> str:
    """How a value stands in the URL: 0.1 -> "0.1", (4, 9) -> "4,9"."""
    if isinstance(value, tuple):
        return ",".join(as_text(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def read_once(name: str, parse: Parser) -> Any:
    """The URL's `name` the first time this page sees that text, else None (for values that
    are no widget's, like the class a page opens on)."""
    text = st.query_params.get(name)
    applied = st.session_state.setdefault(APPLIED_KEY, {})
    if text is None or applied.get(name) == text:
        return None
    applied[name] = text
    try:
        return parse_value(text, parse)
    except BadValue:
        note_ignored(name)
        return None


def bind_to_widget(name: str, parse: Parser, widget_key: str, convert=None) -> Any:
    """Apply the URL's `name` to the widget `widget_key` if the page has not applied that very
    text yet; returns the parsed value (or None). `convert` maps it to the widget's value."""
    value = read_once(name, parse)
    if value is not None:
        st.session_state[widget_key] = convert(value) if convert else value
    return value


def note_ignored(name: str) -> None:
    st.session_state.setdefault(IGNORED_KEY, []).append(name)


def show_ignored_note() -> None:
    """A small note naming the parameters of the URL that were ignored (once)."""
    ignored = st.session_state.pop(IGNORED_KEY, [])
    if ignored:
        st.caption(
            _("🔗 Ignored in the link (not valid here): {names}. The defaults apply.").format(
                names=", ".join(sorted(set(ignored)))
            )
        )


def publish(values: Mapping[str, Any]) -> None:
    """Put this view's values into the address bar (and remember them as applied)."""
    applied = st.session_state.setdefault(APPLIED_KEY, {})
    for name, value in values.items():
        if value is None:
            st.query_params.pop(name, None)
            applied.pop(name, None)
            continue
        text = as_text(value)
        applied[name] = text
        if st.query_params.get(name) != text:
            st.query_params[name] = text


def view_link(url_path: str) -> str:
    """This page's address with its current parameters. In a browser st.context.url is the
    address of the page in use (its path included, the query left out); without one (AppTest)
    it is None and the address is the page's path `/url_path`."""
    address = (st.context.url or "").rstrip("/") or f"/{url_path}"
    query = "&".join(
        f"{name}={quote(str(value), safe=',')}" for name, value in st.query_params.items()
    )
    return f"{address}?{query}" if query else address


def copy_link_control(url_path: str) -> None:
    """ "🔗 Link to this view": the address, with a copy button, to paste into slides."""
    with st.popover(_("🔗 Link to this view")):
        st.caption(_("This address opens the page as you see it now."))
        st.code(view_link(url_path), language=None, wrap_lines=True)
