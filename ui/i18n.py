"""Two languages for every string a visitor sees: gettext catalogs in locales/, read with Babel.

Code marks a visible string with `_("...")` (translated when drawn) or, where it is defined
before any visitor exists (module constants), with `N_("...")` and translates it with `_()` when
drawn. Placeholders are named (`_("Run {number}").format(number=3)`), never concatenated, so a
translation can put them in its own word order. Numbers go through `percent()` and `number()`.

The language of a session, first match wins: the URL's `?lang=`, the sidebar's picker (kept in
the session), the browser's language, English. The catalogs are `locales/<lang>/LC_MESSAGES/
messages.po`; `bash scripts/i18n.sh` extracts the marked strings and updates them, and
tests/test_i18n.py fails when a marked string has no translation or a translation is unused.
"""

from __future__ import annotations

import functools
import gettext
import io
from pathlib import Path

import streamlit as st
from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent

LANGUAGES = {"en": "English", "zh": "中文"}
DEFAULT_LANGUAGE = "en"
# Babel locale of each language (number formats).
BABEL_LOCALES = {"en": "en_US", "zh": "zh_Hans_CN"}
LOCALES_DIR = Path(__file__).resolve().parents[1] / "locales"
# Session keys: the language in use (from the URL, the picker or the browser), and the one the
# visitor picked in the sidebar.
LANGUAGE_KEY = "language"
PICKED_KEY = "language_picked"
# The URL parameter.
URL_PARAMETER = "lang"


def N_(message: str) -> str:  # noqa: N802 - gettext's conventional name
    """Mark `message` for extraction without translating it yet."""
    return message


@functools.cache
def translations(language: str) -> gettext.NullTranslations:
    """The catalog of `language`, compiled in memory once per process (English: none)."""
    if language == DEFAULT_LANGUAGE:
        return gettext.NullTranslations()
    with open(LOCALES_DIR / language / "LC_MESSAGES" / "messages.po", "rb") as po:
        catalog = read_po(po, locale=language)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def language_from(url_value: str | None, picked: str | None, browser_locale: str | None) -> str:
    """The language to use: a valid `?lang=` value, else the picked one, else the browser's
    (its primary subtag: "zh-TW" -> "zh"), else English."""
    for candidate in (url_value, picked, (browser_locale or "").split("-")[0].split("_")[0]):
        if candidate:
            candidate = candidate.strip().lower()
            if candidate in LANGUAGES:
                return candidate
    return DEFAULT_LANGUAGE


def use_language() -> str:
    """Settle this script run's language (first thing of every run: the router's titles need
    it) and return it. A valid `?lang=` becomes the session's choice, so it survives a page
    switch, and a chosen language stays in the address bar, so any address is a shareable link.
    """
    in_url = st.query_params.get(URL_PARAMETER)
    language = language_from(in_url, st.session_state.get(PICKED_KEY), st.context.locale)
    if in_url is not None and in_url.strip().lower() == language:
        st.session_state[PICKED_KEY] = language
    if PICKED_KEY in st.session_state and in_url != st.session_state[PICKED_KEY]:
        st.query_params[URL_PARAMETER] = st.session_state[PICKED_KEY]
    st.session_state[LANGUAGE_KEY] = language
    return language


def pick_language(language: str) -> None:
    """The sidebar picker's choice: kept for the session and put in the address bar, whose
    `?lang=` comes first."""
    st.session_state[PICKED_KEY] = language
    st.session_state[LANGUAGE_KEY] = language
    st.query_params[URL_PARAMETER] = language


def current_language() -> str:
    return st.session_state.get(LANGUAGE_KEY, DEFAULT_LANGUAGE)


def _(message: str) -> str:
    """`message` in the session's language."""
    return translations(current_language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of `singular`/`plural` that `n` takes in the session's language."""
    return translations(current_language()).ngettext(singular, plural, n)


def percent(fraction: float, digits: int = 2) -> str:
    """0.9241 -> "92.41%" in the session's language's format."""
    pattern = "#,##0." + "0" * digits + "%" if digits else "#,##0%"
    locale = BABEL_LOCALES[current_language()]
    return format_percent(fraction, format=pattern, locale=locale)


def number(value: float, digits: int = 0) -> str:
    """60000 -> "60,000"; with `digits`, that many decimals."""
    pattern = "#,##0." + "0" * digits if digits else "#,##0"
    return format_decimal(value, format=pattern, locale=BABEL_LOCALES[current_language()])


def language_name(language: str) -> str:
    """The language's own name ("English", "中文")."""
    return LANGUAGES.get(language) or Locale.parse(language).get_display_name(language)
