"""Weights: the ten templates W[:, k] of the current model, its biases, pair differences and
how the templates formed during training."""

import numpy as np
import streamlit as st

from core.datasets import DATASET_TITLES, DatasetError
from ui import links
from ui import weights_parts as parts
from ui.class_names import display_class_names
from ui.dataset_stats import dataset_stats
from ui.i18n import _, percent
from ui.loaders import load_shared_dataset
from ui.nav import TRAIN, WEIGHTS
from ui.page import model_or_stop, start_page
from ui.pictures import picture_html, templates_grid_html
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
    # What the model is fed: deskewed means for a model trained on deskewed images.
    mean_images = parts.class_means_as_seen(
        entry, dataset, dataset_stats(dataset.name, dataset).mean_images
    )
    class_counts = np.bincount(dataset.train_labels, minlength=n_classes)
except DatasetError as err:
    mean_images = class_counts = None
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
parts.templates_section(entry, W, class_names)

parts.bias_section(W, b, class_names, mean_images, class_counts)

# -- one class -------------------------------------------------------------------------------------
st.subheader(_("One class up close"))
k = st.selectbox(
    _("Class"), range(n_classes), format_func=lambda j: class_names[j], key=parts.CLASS_KEY
)
m = float(np.abs(W).max()) or 1.0  # the templates' shared scale
cols = st.columns(3)
cols[0].container(key="weights_detail_template").html(
    picture_html(W[:, k], _("template W[:, {k}]").format(k=k), diverging=True, zmax=m)
)
if mean_images is not None:
    mean_k = mean_images[k]
    cols[1].container(key="weights_detail_mean").html(
        picture_html(
            mean_k, _("mean training image of {name}").format(name=class_names[k]), zmax=1.0
        )
    )
    evidence = mean_k * W[:, k]
    cols[2].container(key="weights_detail_evidence").html(
        picture_html(evidence, _("mean image × template"), diverging=True)
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
a, b_idx = parts.pair_section(W, b, class_names, mean_images)

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
    st.container(key="weights_snapshot_templates").html(
        templates_grid_html(np.asarray(W_e), class_names, zmax=shared)
    )

# The view in the address bar (defaults left out, so a plain address stays plain).
links.publish(
    {
        "class": k or None,
        "pair": (a, b_idx) if (a, b_idx) != default_pair and a != b_idx else None,
        "epoch": shown_epoch if len(epochs) > 1 and shown_epoch != epochs[-1] else None,
    }
)
