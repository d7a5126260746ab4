"""Weights: the ten templates W[:, k] of the current model, its biases, pair differences and
how the templates formed during training."""

import numpy as np
import streamlit as st

from core.datasets import DATASET_TITLES, DatasetError
from ui import state
from ui.charts import NO_TOOLBAR, bias_figure
from ui.dataset_stats import dataset_stats
from ui.figures import heatmap28, templates_figure
from ui.loaders import load_shared_dataset
from ui.nav import TRAIN, WEIGHTS
from ui.page import model_or_stop, start_page, with_article
from ui.state import MAX_MODELS_WITH_SNAPSHOTS

start_page(WEIGHTS)
st.markdown(
    "A linear model sees each image only through ten **templates**: W[:, k] gives every pixel a "
    "weight for class k. Ink on a red pixel is evidence *for* the class, ink on a blue pixel "
    "evidence *against* it; white pixels do not matter."
)

entry = model_or_stop(
    "There is no model yet. Train one (it takes about a minute) or upload one in the sidebar."
)

model = entry.model
W = np.asarray(model.W, dtype=np.float32)  # (784, C)
b = np.asarray(model.b, dtype=np.float32)  # (C,)
n_classes = W.shape[1]
class_names = entry.class_names

try:
    dataset = load_shared_dataset(entry.dataset)
    mean_images = dataset_stats(dataset.name, dataset).mean_images
except DatasetError as err:
    mean_images = None
    dataset_problem = str(err)

acc = "" if entry.test_acc is None else f", {entry.test_acc:.2%} test accuracy"
st.caption(
    f"Model: **{entry.name}** ({state.ORIGIN_TEXT[entry.origin].lower()}, "
    f"{DATASET_TITLES[entry.dataset]}{acc})."
)

with st.expander("The maths: how templates turn into a prediction"):
    st.markdown(
        r"""
For an image $x$ (784 pixel values in $[0, 1]$), the score (logit) of class $k$ is

$$\text{logit}_k = x \cdot W[:, k] + b_k = \sum_{i=1}^{784} x_i\,W_{ik} + b_k .$$

Softmax turns the ten logits into probabilities,
$p_k = e^{\text{logit}_k} / \sum_j e^{\text{logit}_j}$, and the prediction is the class with the
highest score. So each class simply matches the image against its template: pixels where the
digit has ink and the template is red raise the score, ink on blue pixels lowers it.
"""
    )

# -- all templates ---------------------------------------------------------------------------------
st.subheader("The templates")
m = float(np.abs(W).max()) or 1.0
st.caption(
    f"W[:, k] of each class as a 28×28 picture, all on one scale from −{m:.3g} (blue) through 0 "
    f"(white) to +{m:.3g} (red). Hover a pixel for its weight."
)
st.plotly_chart(templates_figure(W, class_names), key="weights_templates", config=NO_TOOLBAR)

st.subheader("The bias of each class")
st.caption(
    "b_k is added to the score of class k whatever the image: a head start (or handicap) "
    "learned from how common and how easy the class is."
)
st.plotly_chart(bias_figure(b, class_names), key="weights_bias")

# -- one class -------------------------------------------------------------------------------------
st.subheader("One class up close")
k = st.selectbox(
    "Class", range(n_classes), format_func=lambda j: class_names[j], key="weights_class"
)
cols = st.columns(3)
cols[0].plotly_chart(
    heatmap28(W[:, k], f"template W[:, {k}]", diverging=True, zmax=m, height=320),
    key="weights_detail_template",
    config=NO_TOOLBAR,
)
if mean_images is not None:
    mean_k = mean_images[k]
    cols[1].plotly_chart(
        heatmap28(mean_k, f"mean training image of {class_names[k]}", zmax=1.0, height=320),
        key="weights_detail_mean",
        config=NO_TOOLBAR,
    )
    evidence = mean_k * W[:, k]
    cols[2].plotly_chart(
        heatmap28(evidence, "mean image × template", diverging=True, height=320),
        key="weights_detail_evidence",
        config=NO_TOOLBAR,
    )
    st.caption(
        f"Left: what the model looks for. Middle: what a typical {class_names[k]} looks like. "
        "Right: pixel by pixel, how much the average image adds to its own class score "
        f"(sum {evidence.sum():+.2f}, plus bias {b[k]:+.2f})."
    )
else:
    cols[1].warning(f"The mean image needs the {entry.dataset} dataset: {dataset_problem}")

# -- pairs -----------------------------------------------------------------------------------------
pair_heading = st.empty()  # filled in once the pair is picked
default_a, default_b = (4, 9) if n_classes > 9 else (0, 1)
a, b_idx = (
    column.selectbox(
        f"Class {name}",
        range(n_classes),
        index=default,
        format_func=lambda j: class_names[j],
        key=f"weights_pair_{name}",
    )
    for column, name, default in zip(st.columns(2), "ab", (default_a, default_b), strict=True)
)
pair_heading.subheader(
    f"Why {with_article(class_names[a])} is not {with_article(class_names[b_idx])}: "
    "difference templates"
)
if a == b_idx:
    st.info("Pick two different classes.")
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
            f"Between these two, only this difference matters. **Red** pixels are evidence for "
            f"**{class_names[a]}** over **{class_names[b_idx]}**, **blue** pixels the reverse: "
            f"ink there pushes the model towards {class_names[b_idx]}."
        )
        st.markdown(f"Bias difference b_{a} − b_{b_idx} = {b[a] - b[b_idx]:+.3f}.")
        if mean_images is not None:
            st.markdown(
                f"On the average {class_names[a]} the difference scores "
                f"{float(mean_images[a] @ diff) + b[a] - b[b_idx]:+.2f}; on the average "
                f"{class_names[b_idx]} it scores "
                f"{float(mean_images[b_idx] @ diff) + b[a] - b[b_idx]:+.2f}."
            )

# -- during training -------------------------------------------------------------------------------
st.subheader("Watch the templates form")
snapshots = entry.snapshots
if not snapshots:
    why = (
        f"only the {MAX_MODELS_WITH_SNAPSHOTS} newest models trained in this session keep them"
        if entry.origin == "trained"
        else "only models trained in this session have them"
    )
    st.info(
        f"**{entry.name}** has no per-epoch snapshots: {why}. "
        "Train a model to watch its templates emerge epoch by epoch."
    )
    st.page_link(TRAIN.path, label="Go to the Train page", icon=TRAIN.icon)
else:
    epochs = [int(epoch) for epoch, _, _ in snapshots]  # 1-based: epochs completed
    # One scale for every epoch, so growing weights show as deepening colours.
    shared = max(float(np.abs(np.asarray(Ws)).max()) for _, Ws, _ in snapshots) or 1.0
    if len(snapshots) > 1:
        shown_epoch = st.select_slider(
            "After epoch",
            options=epochs,
            value=epochs[-1],
            key="weights_snapshot",
        )
    else:
        shown_epoch = epochs[0]
    _, W_e, _ = snapshots[epochs.index(shown_epoch)]
    st.caption(
        f"The templates after epoch {shown_epoch} of {epochs[-1]}, on one scale "
        f"(±{shared:.3g}) for all epochs. Drag the slider from the left to see them emerge."
    )
    st.plotly_chart(
        templates_figure(np.asarray(W_e), class_names, zmax=shared),
        key="weights_snapshot_templates",
        config=NO_TOOLBAR,
    )
