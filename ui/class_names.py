"""Class names as visitors read them: core names Fashion-MNIST's classes in English; the pages
translate them when they draw them. MNIST's digits "0".."9" stay as they are."""

from __future__ import annotations

from collections.abc import Iterable

from ui.i18n import N_, _

# core.datasets.CLASS_NAMES["fashion-mnist"], marked for translation.
FASHION_CLASS_NAMES = {
    name: name
    for name in (
        N_("T-shirt/top"),
        N_("Trouser"),
        N_("Pullover"),
        N_("Dress"),
        N_("Coat"),
        N_("Sandal"),
        N_("Shirt"),
        N_("Sneaker"),
        N_("Bag"),
        N_("Ankle boot"),
    )
}


def display_class_name(name: str) -> str:
    """`name` in the session's language: a Fashion-MNIST class translated, anything else (a
    digit, a name a model file gives) unchanged."""
    return _(FASHION_CLASS_NAMES[name]) if name in FASHION_CLASS_NAMES else name


def display_class_names(names: Iterable[str]) -> tuple[str, ...]:
    """display_class_name of each name, in order."""
    return tuple(display_class_name(name) for name in names)
