"""Parts of the Weights page: its link parameters, the model's origin as the caption says it,
class names in sentences, and its two longer explanations."""

from __future__ import annotations

import numpy as np
import streamlit as st

from core.deskew import deskew
from ui import links, optimum, state
from ui.bars_html import signed_bars_html
from ui.expanders import expander_drawn_when_open
from ui.i18n import N_, _, current_language, percent
from ui.page import with_article
from ui.pictures import picture_html, templates_grid_html

# Widget keys (the link parameters ?class=, ?pair=, ?epoch= fill them).
CLASS_KEY = "weights_class"
PAIR_KEYS = ("weights_pair_a", "weights_pair_b")
SNAPSHOT_KEY = "weights_snapshot"
COMPARE_KEY = "weights_compare_optimum"
# What the optimum's templates show (measured on MNIST against the shipped SGD model, whose
# templates correlate 0.85 with the L2 = 1e-4 optimum's and 0.28 with the L2 = 0 one's).
OPTIMUM_WITH_L2 = N_(
    "The optimum's templates are more speckled than those of a few epochs of SGD: fitting the "
    "training images as well as possible gives single pixels weights that SGD, stopped early, "
    "never reaches. Stopping early keeps weights small and smooth, much as L2 does."
)
OPTIMUM_WITHOUT_L2 = N_(
    "Without L2 there is no optimum, only ever larger weights: after 300 L-BFGS iterations the "
    "largest ones sit on pixels that few training images ink (the 100 largest: a median of 852 "
    "of 60,000 images, against 5,213 for a typical inked pixel). It memorises rare images "
    "instead of drawing digits, and its test loss is higher than SGD's."
)
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
    expander_drawn_when_open(
        _("The maths: how templates turn into a prediction"), state.MATHS_TEMPLATES, _logit_maths
    )


def _logit_maths() -> None:
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
    expander_drawn_when_open(
        _("Where the weights start, and does it matter?"),
        state.MATHS_INITIAL_WEIGHTS,
        _initial_weights_text,
    )


def _initial_weights_text() -> None:
    st.markdown(
        _(
            "Weights start as `randn(784, 10) × init scale`, the biases at 0. **Zero works "
            r"as well** here: the loss is convex, and each class gets its own gradient "
            r"$(p_k - y_k)\,x$, so the ten templates separate even from identical starts "
            "(MNIST, 3 epochs: init 0 → 91.20%, 0.01 → 91.21%). A large start only slows "
            "training, because the random weights must first be unlearned (init 1 → 83.3%, "
            "init 10 → 49.4% after 3 epochs). Pixels that are blank in every training image "
            "(67 on MNIST) get no gradient from the data ($x_i = 0$), so their weights keep "
            "their starting values (with L2 > 0 they shrink towards 0)."
        )
    )


def bias_section(W, b, class_names, mean_images, class_counts) -> None:
    """The biases as bars, and (with the dataset's means) how they relate to the average score.
    W (784, C), b (C,), mean_images (C, 784) or None, class_counts (C,) or None."""
    st.subheader(_("The bias of each class"))
    st.caption(
        _(
            "$b_k$ is added to the score of class $k$ whatever the image. Only differences between "
            "biases matter (adding the same number to all ten changes no probability). They "
            "mostly balance how much each template responds to images in general: a template "
            "that scores every image high gets a low bias. Class frequency plays a small part: "
            "on MNIST it would shift the biases by at most ±0.12."
        )
    )
    st.container(key="weights_bias").html(
        signed_bars_html(
            b,
            class_names,
            _("Bias b_k of each class"),
            _("class {name}: bias {value}"),
        )
    )
    if mean_images is not None and np.ptp(b) > 0:  # all-equal biases have no correlation
        # The average score x̄ · W[:, k] over all training images, x̄ the overall mean image.
        average_score = (class_counts @ mean_images / class_counts.sum()) @ W
        r = float(np.corrcoef(b, average_score)[0, 1])
        low, high = int(np.argmin(b)), int(np.argmax(b))
        st.caption(
            _(
                "This model: biases from {low} ({low_class}) to {high} ({high_class}); correlation "
                r"of $b_k$ with the average score $\bar x \cdot W[:,k]$ over all training images: "
                "{correlation}."
            ).format(
                low=f"{b[low]:+.2f}",
                low_class=class_names[low],
                high=f"{b[high]:+.2f}",
                high_class=class_names[high],
                correlation=f"{r:+.2f}",
            )
        )


def pair_section(W, b, class_names, mean_images) -> tuple[int, int]:
    """Two classes picked, and their difference template with what it means; returns the pair."""
    n_classes = len(class_names)
    pair_heading = st.empty()  # filled in once the pair is picked
    a, b_idx = (
        column.selectbox(
            _("Class {letter}").format(letter=letter),
            range(n_classes),
            format_func=lambda j: class_names[j],
            key=key,
        )
        for column, letter, key in zip(st.columns(2), "ab", PAIR_KEYS, strict=True)
    )
    pair_heading.subheader(
        _("Why {a} is not {b}: difference templates").format(
            a=named(class_names[a]), b=named(class_names[b_idx])
        )
    )
    if a == b_idx:
        st.info(_("Pick two different classes."))
    else:
        diff = W[:, a] - W[:, b_idx]
        left, right = st.columns(2)
        left.container(key="weights_pair_diff").html(
            picture_html(diff, f"W[:, {a}] − W[:, {b_idx}]", diverging=True, max_px=340)
        )
        with right:
            st.markdown(
                f"logit_{a} − logit_{b_idx} = x · (W[:, {a}] − W[:, {b_idx}]) "
                f"+ (b_{a} − b_{b_idx})."
            )
            st.markdown(
                _(
                    "Between these two, only this difference matters. Ink on **red** pixels "
                    "favours **{a}** over **{b}**, ink on **blue** pixels favours {b}."
                ).format(a=class_names[a], b=class_names[b_idx])
            )
            st.markdown(
                _("Bias difference b_{a} − b_{b} = {difference}.").format(
                    a=a, b=b_idx, difference=f"{b[a] - b[b_idx]:+.3f}"
                )
            )
            if mean_images is not None:
                st.markdown(
                    _(
                        "On the average {a} the difference scores {score_a}; on the average {b} it "
                        "scores {score_b}."
                    ).format(
                        a=class_names[a],
                        b=class_names[b_idx],
                        score_a=f"{float(mean_images[a] @ diff) + b[a] - b[b_idx]:+.2f}",
                        score_b=f"{float(mean_images[b_idx] @ diff) + b[a] - b[b_idx]:+.2f}",
                    )
                )
    return a, b_idx


@st.cache_resource(show_spinner=False)
def _deskewed_class_means(dataset_name: str, _dataset) -> np.ndarray:
    """(C, 784) mean deskewed training image of each class, in [0, 1]; once per process."""
    images = deskew(_dataset.train_images).astype(np.float64) / 255.0
    labels = _dataset.train_labels
    return np.stack([images[labels == k].mean(axis=0) for k in range(_dataset.n_classes)])


def class_means_as_seen(entry, dataset, mean_images: np.ndarray) -> np.ndarray:
    """The class means the model is fed: deskewed ones for a model trained on deskewed images
    (its preprocess), else `mean_images` (C, 784)."""
    if not entry.model.deskew:
        return mean_images
    with st.spinner(_("Deskewing the training images ...")):
        return _deskewed_class_means(dataset.name, dataset)


def templates_section(entry, W, class_names) -> None:
    """The model's ten templates as pictures, and on request the optimum's below them."""
    st.subheader(_("The templates"))
    limit = float(np.abs(W).max()) or 1.0
    st.caption(
        _(
            "W[:, k] of each class as a 28×28 picture, all on one scale from −{limit} (blue) "
            "through 0 (white) to +{limit} (red). Hover a picture for its range; the one-class "
            "view below shows one template larger, next to its class's mean image."
        ).format(limit=f"{limit:.3g}")
    )
    st.container(key="weights_templates").html(templates_grid_html(W, class_names, zmax=limit))
    if st.toggle(
        _("Compare with the best softmax regression"),
        key=COMPARE_KEY,
        help=_(
            "The templates of the optimum for this model's L2 and input (computed with L-BFGS), "
            "to see how close training came to the lowest training loss a linear model can "
            "reach (lowest on the training set, not always best on the test set)."
        ),
    ):
        optimum_templates(entry, W, class_names)


def template_correlations(W: np.ndarray, W_best: np.ndarray) -> np.ndarray:
    """Pearson correlation of each class's template with the optimum's: W, W_best (784, C) ->
    (C,); 0 for a template that is constant."""
    a = W - W.mean(axis=0)
    b = W_best - W_best.mean(axis=0)
    norms = np.linalg.norm(a, axis=0) * np.linalg.norm(b, axis=0)
    return np.divide((a * b).sum(axis=0), norms, out=np.zeros(W.shape[1]), where=norms > 0)


def optimum_templates(entry, W, class_names) -> None:
    """The optimum's templates for the model's dataset, L2 and deskewing, on their own scale."""
    config = {
        "l2": float((entry.model.config or {}).get("l2", 0.0)),
        "deskew": entry.model.deskew,
    }
    best = optimum.optimum_for(entry.dataset, config["l2"], config["deskew"])
    if best is None or best.model.W.shape != W.shape:
        st.caption(optimum.optimum_note(entry.dataset, config))
        return
    W_best = np.asarray(best.model.W, dtype=np.float64)
    limit = float(np.abs(W_best).max()) or 1.0
    st.caption(
        _(
            "The best softmax regression with L2 = {l2}: test accuracy {accuracy}, weights on "
            "their own scale ±{limit}, {ratio}× this model's in size (Frobenius norm). Its "
            "templates correlate {correlation} with this model's on average."
        ).format(
            l2=f"{best.key.l2:g}",
            accuracy=percent(best.test_acc),
            limit=f"{limit:.3g}",
            ratio=f"{np.linalg.norm(W_best) / (np.linalg.norm(W) or 1.0):.2g}",
            correlation=f"{template_correlations(np.asarray(W, np.float64), W_best).mean():.2f}",
        )
    )
    if best.key.l2 == 0:
        st.caption(_(OPTIMUM_WITHOUT_L2))
    else:
        st.caption(_(OPTIMUM_WITH_L2))
    st.container(key="weights_optimum_templates").html(
        templates_grid_html(W_best, class_names, zmax=limit)
    )
