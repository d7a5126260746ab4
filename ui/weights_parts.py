"""Parts of the Weights page: its link parameters, the model's origin as the caption says it,
class names in sentences, and its two longer explanations."""

from __future__ import annotations

import streamlit as st

from ui import links
from ui.i18n import N_, _, current_language
from ui.page import with_article

# Widget keys (the link parameters ?class=, ?pair=, ?epoch= fill them).
CLASS_KEY = "weights_class"
PAIR_KEYS = ("weights_pair_a", "weights_pair_b")
SNAPSHOT_KEY = "weights_snapshot"
# Where the model came from, as the caption under the intro says it.
ORIGINS = {
    "shipped": N_("shipped with the app"),
    "trained": N_("trained here"),
    "uploaded": N_("uploaded"),
}


def named(name: str) -> str:
    """A class name as a sentence names it: with its article in English ('an 8'), bare in
    languages without articles."""
    return with_article(name) if current_language() == "en" else name


def one_of(values: list[int]) -> links.Parser:
    """A link parser that takes exactly one of `values`."""
    in_range = links.integer(min(values, default=0), max(values, default=-1))

    def parse(text: str) -> int:
        value = in_range(text)
        if value not in values:
            raise links.BadValue(text)
        return value

    return parse


def apply_link(n_classes: int, epochs: list[int]) -> tuple[int, int]:
    """Set the page's widgets from the link (?class=3, ?pair=4,9, ?epoch=2) where it has values
    not applied yet, after giving each widget its default; returns the default pair."""
    default_pair = (4, 9) if n_classes > 9 else (0, 1)
    for key, default in ((CLASS_KEY, 0), *zip(PAIR_KEYS, default_pair, strict=True)):
        if st.session_state.get(key) not in range(n_classes):  # absent, or from a bigger model
            st.session_state[key] = default
    links.bind_to_widget("class", links.integer(0, n_classes - 1), CLASS_KEY)
    linked_pair = links.read_once("pair", links.class_pair(n_classes))
    if linked_pair is not None:
        st.session_state[PAIR_KEYS[0]], st.session_state[PAIR_KEYS[1]] = linked_pair
    if len(epochs) > 1:
        if st.session_state.get(SNAPSHOT_KEY) not in epochs:
            st.session_state[SNAPSHOT_KEY] = epochs[-1]
        links.bind_to_widget("epoch", one_of(epochs), SNAPSHOT_KEY)
    else:  # no slider to set: any ?epoch= is ignored, with the note
        links.read_once("epoch", one_of([]))
    return default_pair


def maths_expander() -> None:
    """How templates turn into a prediction, in formulas."""
    with st.expander(_("The maths: how templates turn into a prediction")):
        # The formulas with braces are placeholders: braces in a msgid would read as placeholders.
        st.markdown(
            _(
                """
For an image $x$ (784 pixel values in $[0, 1]$), the score (logit) of class $k$ is

{logit_formula}

Softmax turns the ten logits into probabilities,
{softmax_formula}, and the prediction is the class with the
highest score. So each class simply matches the image against its template: pixels where the
digit has ink and the template is red raise the score, ink on blue pixels lowers it.

Adding the same $c$ to every logit changes nothing,
{shift_formula}, so only the differences
$W[:,a]-W[:,b]$ and $b_a-b_b$ matter.
"""
            ).format(
                logit_formula=r"$$\text{logit}_k = x \cdot W[:, k] + b_k "
                r"= \sum_{i=1}^{784} x_i\,W_{ik} + b_k .$$",
                softmax_formula=r"$p_k = e^{\text{logit}_k} / \sum_j e^{\text{logit}_j}$",
                shift_formula=r"$\frac{e^{z_k+c}}{\sum_j e^{z_j+c}} "
                r"= \frac{e^{z_k}}{\sum_j e^{z_j}}$",
            )
        )


def initial_weights_expander() -> None:
    """Where the weights start, and whether it matters."""
    with st.expander(_("Where the weights start, and does it matter?")):
        st.markdown(
            _(
                "Weights start as `randn(784, 10) × init scale`, the biases at 0. **Zero works "
                r"as well** here: the loss is convex, and each class gets its own gradient "
                r"$(p_k - y_k)\,x$, so the ten templates separate even from identical starts "
                "(MNIST, 3 epochs: init 0 → 91.20%, 0.01 → 91.21%). A large start only slows "
                "training, because the random weights must first be unlearned (init 1 → 83.3%, "
                "init 10 → 49.4% after 3 epochs). Pixels that are blank in every training image "
                "(67 on MNIST) never get a gradient ($x_i = 0$), so their weights keep their "
                "starting values."
            )
        )
