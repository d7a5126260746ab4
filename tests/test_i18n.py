"""Both languages: every marked string has a Chinese translation, every translation is used,
placeholders agree, and the language is chosen in the documented order."""

from __future__ import annotations

import re
import string
import tokenize
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from ui import i18n

REPO = Path(__file__).resolve().parents[1]
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}


def marked_messages() -> set[str]:
    """msgids of every string marked in app.py, ui/ and pages/ (a plural by its singular)."""
    files = [REPO / "app.py", *sorted((REPO / "ui").rglob("*.py"))]
    files += sorted((REPO / "pages").rglob("*.py"))
    found = set()
    for path in files:
        for _lineno, message, _comments, _context in extract_from_file(
            "python", path, keywords=KEYWORDS
        ):
            found.add(message[0] if isinstance(message, tuple) else message)
    return found


# _("...") inside an f-string's braces: babel's extractor does not look there, so the text
# would stay untranslated with no test noticing.
MARKED_IN_F_STRING = re.compile(r"""\{[^{}]*\b(?:N_|_|ngettext)\(\s*["']""")


def marked_inside_f_strings(path: Path) -> list[str]:
    """'file:line' of every string literal marked for translation inside an f-string."""
    with open(path, "rb") as source:
        tokens = list(tokenize.tokenize(source.readline))
    return [
        f"{path.name}:{token.start[0]}"
        for token in tokens
        if token.type == tokenize.STRING
        and re.match(r"(?i)[rb]*f", token.string)
        and MARKED_IN_F_STRING.search(token.string)
    ]


def catalog(language: str) -> Catalog:
    with open(REPO / "locales" / language / "LC_MESSAGES" / "messages.po", "rb") as po:
        return read_po(po, locale=language)


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def untranslated(marked: set[str], translated: Catalog) -> list[str]:
    problems = []
    for msgid in sorted(marked):
        entry = translated.get(msgid)
        strings = entry.string if entry is not None else None
        strings = strings if isinstance(strings, tuple) else (strings,)
        if entry is None or entry.fuzzy or not all(strings):
            problems.append(msgid)
    return problems


def unused(marked: set[str], translated: Catalog) -> list[str]:
    ids = (m.id[0] if isinstance(m.id, tuple) else m.id for m in translated if m.id)
    return sorted(set(ids) - marked)


def mismatched_placeholders(translated: Catalog) -> list[str]:
    problems = []
    for message in translated:
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = placeholders(ids[0])
        problems += [ids[0] for s in strings if placeholders(s) != expected]
    return problems


@pytest.mark.parametrize("language", [lang for lang in i18n.LANGUAGES if lang != "en"])
def test_every_marked_string_is_translated_and_every_translation_used(language):
    marked = marked_messages()
    translated = catalog(language)
    assert not untranslated(marked, translated), "no translation (run scripts/i18n.sh)"
    assert not unused(marked, translated), "in the catalog, no longer in the code"
    assert not mismatched_placeholders(translated)


def test_the_checks_catch_a_missing_an_unused_and_a_mismatched_entry():
    translated = Catalog(locale="zh")
    translated.add("Epochs", "轮数")
    translated.add("Run {number}", "第{n}次运行")
    translated.add("Old text", "旧文本")
    translated.add("Fuzzy one", "模糊", flags=("fuzzy",))
    marked = {"Epochs", "Run {number}", "Fuzzy one", "Learning rate"}
    assert untranslated(marked, translated) == ["Fuzzy one", "Learning rate"]
    assert unused(marked, translated) == ["Old text"]
    assert mismatched_placeholders(translated) == ["Run {number}"]


def test_no_marked_string_hides_inside_an_f_string(tmp_path):
    files = [REPO / "app.py", *sorted((REPO / "ui").rglob("*.py"))]
    files += sorted((REPO / "pages").rglob("*.py"))
    assert [hit for path in files for hit in marked_inside_f_strings(path)] == []
    source = tmp_path / "page.py"
    source.write_text(
        'a = f"<b>{_(\'hidden\')}</b>"\nb = f"{_(name)}"\nc = _("seen")\nd = f"<i>{x}</i>"\n'
    )
    assert marked_inside_f_strings(source) == ["page.py:1"]


def test_the_extractor_finds_marked_strings_of_each_kind(tmp_path):
    source = tmp_path / "page.py"
    source.write_text(
        'title = N_("Weights")\nst.write(_("Run {number}").format(number=3))\n'
        'ngettext("{n} epoch", "{n} epochs", 2)\nst.write("not marked")\n'
    )
    found = {m for _, m, _, _ in extract_from_file("python", source, keywords=KEYWORDS)}
    assert found == {"Weights", "Run {number}", ("{n} epoch", "{n} epochs")}


@pytest.mark.parametrize(
    ("url", "picked", "browser", "expected"),
    [
        ("zh", "en", "en-US", "zh"),  # the URL first
        ("ZH ", None, None, "zh"),
        ("xx", "zh", "en-US", "zh"),  # an unknown URL value is passed over
        (None, "en", "zh-CN", "en"),  # then the picker
        (None, None, "zh-TW", "zh"),  # then the browser
        (None, None, "zh_Hans", "zh"),
        (None, None, "fr-FR", "en"),  # then English
        ("", "", "", "en"),
        ("z" * 10_000, None, None, "en"),
    ],
)
def test_language_order_url_then_picker_then_browser_then_english(url, picked, browser, expected):
    assert i18n.language_from(url, picked, browser) == expected


def test_catalogs_load_and_numbers_follow_the_language(monkeypatch):
    monkeypatch.setattr(i18n, "current_language", lambda: "zh")
    zh = catalog("zh")
    translated = next((m for m in zh if m.id and m.string and isinstance(m.id, str)), None)
    assert translated is not None, "the Chinese catalog is empty"
    assert i18n._(translated.id) == translated.string
    assert i18n._("a string no catalog has") == "a string no catalog has"
    assert i18n.percent(0.92411) == "92.41%"
    assert i18n.number(60000) == "60,000"
    monkeypatch.setattr(i18n, "current_language", lambda: "en")
    assert i18n._(translated.id) == translated.id
    assert i18n.percent(0.5, digits=0) == "50%"
