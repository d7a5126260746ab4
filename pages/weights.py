"""Weights: the ten templates W[:, k] of the current model, its biases, pair differences and
how the templates formed during training."""

import numpy as np
import streamlit as st

from core.datasets import DATASET_TITLES, DatasetError
from ui import links
from ui import weights_parts as parts
from ui.charts import NO_TOOLBAR, bias_figure
from ui.class_names import display_class_names
from ui.dataset_stats import dataset_stats
from ui.figures import heatmap28, templates_figure
from ui.i18n import _, percent
from ui.loaders import load_shared_dataset
from ui.nav import TRAIN, WEIGHTS
from ui.page import model_or_stop, start_page
from ui.state import MAX_MODELS_WITH_SNAPSHOTS, display_model_name

start_page(WEIGHTS)
st.markdown(
    _(
        "A linear model sees each image only through ten **templates**: W[:, k] gives every pixel "
        "a weight for class k. Ink on a red pixel raises the class's score, ink on a blue pixel "
        "lowers it; white (zero) weights add nothing. Only differences between templates matter: "
        "adding the same number to one pixel's ten weights changes no probability, so the "
        "difference templates below show what really separates two classes."
    )
)

entry = model_or_stop(
    _("There is no model yet. Train one (it takes about a minute) or upload one in the sidebar.")
)

W = np.asarray(entry.model.W, dtype=np.float32)  # (784, C)
b = np.asarray(entry.model.b, dtype=np.float32)  # (C,)
n_classes = W.shape[1]
class_names = display_class_names(entry.class_names)
snapshots = entry.snapshots
epochs = [int(snapshot[0]) for snapshot in snapshots]  # 1-based: epochs completed
default_pair = parts.apply_link(n_classes, epochs)
links.show_ignored_note()

try:
    dataset = load_shared_dataset(entry.dataset)
    mean_images = dataset_stats(dataset.name, dataset).mean_images
    class_counts = np.bincount(dataset.train_labels, minlength=n_classes)
except DatasetError as err:
    mean_images = None
    dataset_problem = str(err)

model_facts = {
    "name": display_model_name(entry.name),
    "origin": _(parts.ORIGINS[entry.origin]),
    "dataset": DATASET_TITLES[entry.dataset],
}
if entry.test_acc is None:
    st.caption(_("Model: **{name}** ({origin}, {dataset}).").format(**model_facts))
else:
    st.caption(
        _("Model: **{name}** ({origin}, {dataset}, {accuracy} test accuracy).").format(
            accuracy=percent(entry.test_acc, 2), **model_facts
        )
    )

parts.maths_expander()

# -- all templates ---------------------------------------------------------------------------------
st.subheader(_("The templates"))
m = float(np.abs(W).max()) or 1.0
st.caption(
    _(
        "W[:, k] of each class as a 28×28 picture, all on one scale from −{limit} (blue) through "
        "0 (white) to +{limit} (red). Hover a pixel for its weight."
    ).format(limit=f"{m:.3g}")
)
st.plotly_chart(templates_figure(W, class_names), key="weights_templates", config=NO_TOOLBAR)

st.subheader(_("The bias of each class"))
st.caption(
    _(
        "$b_k$ is added to the score of class $k$ whatever the image. Only differences between "
        "biases matter (adding the same number to all ten changes no probability). They mostly "
        "balance how much each template responds to images in general: a template that scores "
        "every image high gets a low bias. Class frequency plays a small part: on MNIST it would "
        "shift the biases by at most ±0.12."
    )
)
st.plotly_chart(bias_figure(b, class_names), key="weights_bias")
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

# -- one class -------------------------------------------------------------------------------------
st.subheader(_("One class up close"))
k = st.selectbox(
    _("Class"), range(n_classes), format_func=lambda j: class_names[j], key=parts.CLASS_KEY
)
cols = st.columns(3)
cols[0].plotly_chart(
    heatmap28(W[:, k], _("template W[:, {k}]").format(k=k), diverging=True, zmax=m, height=320),
    key="weights_detail_template",
    config=NO_TOOLBAR,
)
if mean_images is not None:
    mean_k = mean_images[k]
    cols[1].plotly_chart(
        heatmap28(
            mean_k,
            _("mean training image of {name}").format(name=class_names[k]),
            zmax=1.0,
            height=320,
        ),
        key="weights_detail_mean",
        config=NO_TOOLBAR,
    )
    evidence = mean_k * W[:, k]
    cols[2].plotly_chart(
        heatmap28(evidence, _("mean image × template"), diverging=True, height=320),
        key="weights_detail_evidence",
        config=NO_TOOLBAR,
    )
    st.caption(
        _(
            "Left: what the model looks for. Middle: what a typical {name} looks like. Right: "
            "pixel by pixel, how much the average image adds to its own class score (sum {sum}, "
            "plus bias {bias})."
        ).format(name=class_names[k], sum=f"{evidence.sum():+.2f}", bias=f"{b[k]:+.2f}")
    )
else:
    cols[1].warning(
        _("The mean image needs the {dataset} dataset: {problem}").format(
            dataset=entry.dataset, problem=dataset_problem
        )
    )

# -- pairs -----------------------------------------------------------------------------------------
pair_heading = st.empty()  # filled in once the pair is picked
a, b_idx = (
    column.selectbox(
        _("Class {letter}").format(letter=letter),
        range(n_classes),
        format_func=lambda j: class_names[j],
        key=key,
    )
    for column, letter, key in zip(st.columns(2), "ab", parts.PAIR_KEYS, strict=True)
)
pair_heading.subheader(
    _("Why {a} is not {b}: difference templates").format(
        a=parts.named(class_names[a]), b=parts.named(class_names[b_idx])
    )
)
if a == b_idx:
    st.info(_("Pick two different classes."))
else:
    diff = W[:, a] - W[:, b_idx]
    left, right = st.columns(2)
    left.plotly_chart(
        heatmap28(diff, f"W[:, {a}] − W[:, {b_idx}]", diverging=True, height=360),
        key="weights_pair_diff",
        config=NO_TOOLBAR,
    )
    with right:
        st.markdown(
            f"logit_{a} − logit_{b_idx} = x · (W[:, {a}] − W[:, {b_idx}]) + (b_{a} − b_{b_idx})."
        )
        st.markdown(
            _(
                "Between these two, only this difference matters. Ink on **red** pixels favours "
                "**{a}** over **{b}**, ink on **blue** pixels favours {b}."
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

# -- during training -------------------------------------------------------------------------------
st.subheader(_("Watch the templates form"))
parts.initial_weights_expander()
shown_epoch = None
if not snapshots:
    if entry.origin == "trained":
        why = _(
            "**{name}** has no per-epoch snapshots: only the {count} newest models trained in "
            "this session keep them. Train a model to watch its templates emerge epoch by epoch."
        )
    else:
        why = _(
            "**{name}** has no per-epoch snapshots: only models trained in this session have "
            "them. Train a model to watch its templates emerge epoch by epoch."
        )
    st.info(why.format(name=display_model_name(entry.name), count=MAX_MODELS_WITH_SNAPSHOTS))
    st.page_link(TRAIN.path, label=_("Go to the Train page"), icon=TRAIN.icon)
else:
    # One scale for every epoch, so growing weights show as deepening colours.
    shared = max(float(np.abs(np.asarray(Ws)).max()) for _epoch, Ws, _b in snapshots) or 1.0
    if len(snapshots) > 1:
        shown_epoch = st.select_slider(_("After epoch"), options=epochs, key=parts.SNAPSHOT_KEY)
    else:
        shown_epoch = epochs[0]
    W_e = snapshots[epochs.index(shown_epoch)][1]
    st.caption(
        _(
            "The templates after epoch {epoch} of {epochs}, on one scale (±{limit}) for all "
            "epochs. Drag the slider from the left to see them emerge."
        ).format(epoch=shown_epoch, epochs=epochs[-1], limit=f"{shared:.3g}")
    )
    st.plotly_chart(
        templates_figure(np.asarray(W_e), class_names, zmax=shared),
        key="weights_snapshot_templates",
        config=NO_TOOLBAR,
    )

# The view in the address bar (defaults left out, so a plain address stays plain).
links.publish(
    {
        "class": k or None,
        "pair": (a, b_idx) if (a, b_idx) != default_pair and a != b_idx else None,
        "epoch": shown_epoch if len(epochs) > 1 and shown_epoch != epochs[-1] else None,
    }
)
