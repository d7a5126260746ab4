"""Explore the data: browse the images, class balance, class means, pixel statistics, PCA."""

import numpy as np
import streamlit as st

from ui import links, state
from ui.bars_html import histogram_html, split_shares_html
from ui.class_names import display_class_names
from ui.dataset_stats import browse_grid_html, dataset_stats, source_text
from ui.explore_pca import pca_section
from ui.i18n import N_, _, number, percent
from ui.images import image_grid_html
from ui.loaders import shared_html
from ui.nav import EXPLORE
from ui.page import dataset_or_stop, start_page
from ui.pictures import VIRIDIS, picture_html

view = start_page(EXPLORE)

PER_PAGE = 50
ALL = -1
SPLITS = {"train": N_("train"), "test": N_("test")}
# Test accuracy of `python -m core.train` (the notebook's settings, seed 0) without and with
# --deskew (README, "Beyond the notebook").
DESKEW_MEASURED = (0.9223, 0.9465)

st.markdown(
    _(
        "Before training anything, look at what the model will see: every image is 28×28 = 784 "
        "grey pixels, and the classifier knows nothing else about it. Browse the images, check "
        "that the classes are balanced, and see how much the classes differ on average."
    )
)

name = st.session_state[state.DATASET]
dataset = dataset_or_stop(name)
class_names = display_class_names(dataset.class_names)
n_classes = dataset.n_classes
stats = dataset_stats(dataset.name, dataset)

st.caption(
    _(
        "{dataset}: {train} training and {test} test images, {classes} classes. Source: {source}."
    ).format(
        dataset=dataset.name,
        train=number(len(dataset.train_labels)),
        test=number(len(dataset.test_labels)),
        classes=n_classes,
        source=source_text(dataset.source),
    )
)

# -- browse ----------------------------------------------------------------------------------------
st.subheader(_("Browse the images"))
# A link's ?split=test&class=7&page=3 fills the widgets once; the visitor's changes go back in it.
links.bind_to_widget("split", links.choice(*SPLITS), "explore_split")
links.bind_to_widget("class", links.integer(0, n_classes - 1), "explore_class")
left, middle, right = st.columns([2, 2, 3])
split = left.radio(
    _("Split"),
    list(SPLITS),
    horizontal=True,
    key="explore_split",
    format_func={s: _(text) for s, text in SPLITS.items()}.get,
)


def _class_label(k: int) -> str:
    if k == ALL:
        return _("All classes")
    return class_names[k] if class_names[k] == str(k) else f"{k}: {class_names[k]}"


class_labels = {k: _class_label(k) for k in [ALL, *range(n_classes)]}
chosen = middle.selectbox(
    _("Class"), list(class_labels), key="explore_class", format_func=class_labels.get
)
images = dataset.train_images if split == "train" else dataset.test_images
labels = dataset.train_labels if split == "train" else dataset.test_labels
matching = np.arange(len(labels)) if chosen == ALL else np.flatnonzero(labels == chosen)
n_pages = max(1, -(-len(matching) // PER_PAGE))
# One page widget per filter, so changing the filter starts again at page 1.
page_key = f"explore_page_{split}_{chosen}"
links.bind_to_widget("page", links.integer(1, n_pages), page_key)
page = right.number_input(
    _("Page (of {pages}, {per_page} images each)").format(pages=number(n_pages), per_page=PER_PAGE),
    min_value=1,
    max_value=n_pages,
    step=1,
    key=page_key,
)
view.publish(
    {
        "split": None if split == "train" else split,
        "class": None if chosen == ALL else chosen,
        "page": None if page == 1 else page,
    }
)
links.show_ignored_note()
shown = matching[(page - 1) * PER_PAGE : page * PER_PAGE]
if len(shown):
    first = (page - 1) * PER_PAGE
    split_name = _(SPLITS[split])
    if chosen == ALL:
        summary = _(
            "{count} {split} images; this page shows numbers {first} to {last} of them. Under "
            "each picture: its index in the split · its label."
        )
    else:
        summary = _(
            "{count} {split} images of class {name}; this page shows numbers {first} to {last} "
            "of them. Under each picture: its index in the split · its label."
        )
    st.caption(
        summary.format(
            count=number(len(matching)),
            split=split_name,
            name=class_names[chosen],
            first=number(first + 1),
            last=number(first + len(shown)),
        )
    )
    deskewed = st.toggle(
        _("Deskewed"),
        key="explore_deskew",
        help=_(
            "Show these images sheared along their rows until the ink stands upright, as the "
            "Train page's Deskew option feeds them to the model."
        ),
    )
    if deskewed:
        st.caption(
            _(
                "Deskewed: each image is sheared along its rows so that its ink's row/column "
                "covariance becomes 0, with the centre of mass kept. Slanted digits stand up and "
                "look more alike, which lets one template per class fit them better (the "
                "notebook's settings on MNIST: {plain} → {deskewed} test accuracy)."
            ).format(plain=percent(DESKEW_MEASURED[0]), deskewed=percent(DESKEW_MEASURED[1]))
        )
    grid = shared_html(
        ("explore_grid", dataset.name, split, chosen, page, deskewed),
        lambda: browse_grid_html(images, labels, shown, class_names, split_name, deskewed),
    )
    st.container(key="explore_grid").html(grid)
else:
    st.info(_("No images match this filter."))

# -- classes ---------------------------------------------------------------------------------------
st.subheader(_("How many of each class"))
st.caption(
    _(
        "Share of each class in the training and test splits (hover for counts). Roughly "
        "balanced classes mean plain accuracy is a fair score."
    )
)
st.container(key="explore_distribution").html(
    shared_html(
        ("explore_distribution", dataset.name, class_names),
        lambda: split_shares_html(stats.train_counts, stats.test_counts, class_names),
    )
)

st.subheader(_("The average image of each class"))
st.caption(
    _(
        "Mean of all training images of a class, pixel by pixel (0 = black, 1 = white). The "
        "weight templates on the Weights page resemble *class mean − overall mean* far more than "
        "the class mean itself (the shipped MNIST model: correlation 0.56–0.74 against "
        "0.19–0.47)."
    )
)
st.container(key="explore_means").html(
    shared_html(
        ("explore_means", dataset.name), lambda: image_grid_html(stats.mean_images, class_names)
    )
)

# -- pixels ----------------------------------------------------------------------------------------
st.subheader(_("Pixels"))
left, right = st.columns([3, 2])
with left:
    st.markdown(_("**Intensity histogram** (all training pixels)"))
    st.container(key="explore_histogram").html(
        shared_html(
            ("explore_histogram", dataset.name),
            lambda: histogram_html(
                stats.hist_counts,
                stats.hist_edges,
                _("pixel intensity (0 = background, 1 = full ink)"),
                _("pixels (log scale)"),
            ),
        )
    )
    zero_share = stats.hist_counts[0] / stats.hist_counts.sum()
    st.caption(
        _(
            "Most pixels are background: {share} fall in the darkest bin. The y axis is "
            "logarithmic so the few ink values stay visible."
        ).format(share=percent(zero_share, 0))
    )
with right:
    st.markdown(_("**Variance of each pixel** across the training images"))
    st.container(key="explore_variance").html(picture_html(stats.variance, scale=VIRIDIS))
    never_inked = int((stats.mean_images == 0).all(axis=0).sum())
    st.caption(
        _(
            "Bright pixels change a lot from image to image, so they *can* carry information; "
            "variance alone is not class separation (a pixel can vary as much within one "
            "class). Dark ones are nearly the same in every image. The {count} pixels that are "
            "0 in every training image get no gradient from the data: they keep their starting "
            "weights (with L2 > 0 they shrink towards 0)."
        ).format(count=never_inked)
    )

# -- PCA -------------------------------------------------------------------------------------------
pca_section(dataset, class_names)
