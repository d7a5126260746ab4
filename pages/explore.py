"""Explore the data: browse the images, class balance, class means, pixel statistics, PCA."""

import numpy as np
import streamlit as st

from ui import state
from ui.charts import NO_TOOLBAR, class_distribution_figure, pca_figure, pixel_histogram_figure
from ui.dataset_stats import dataset_stats, pca_projection
from ui.figures import heatmap28
from ui.images import image_grid_html
from ui.nav import EXPLORE
from ui.page import dataset_or_stop, start_page

start_page(EXPLORE)

PER_PAGE = 50
ALL = -1

st.markdown(
    "Before training anything, look at what the model will see: every image is 28×28 = 784 grey "
    "pixels, and the classifier knows nothing else about it. Browse the images, check that the "
    "classes are balanced, and see how much the classes differ on average."
)

name = st.session_state[state.DATASET]
dataset = dataset_or_stop(name)
class_names = dataset.class_names
n_classes = dataset.n_classes
stats = dataset_stats(dataset.name, dataset)

st.caption(
    f"{dataset.name}: {len(dataset.train_labels):,} training and {len(dataset.test_labels):,} "
    f"test images, {n_classes} classes. Source: {dataset.source}."
)

# -- browse ----------------------------------------------------------------------------------------
st.subheader("Browse the images")
left, middle, right = st.columns([2, 2, 3])
split = left.radio("Split", ["train", "test"], horizontal=True, key="explore_split")


def _class_label(k: int) -> str:
    if k == ALL:
        return "All classes"
    return class_names[k] if class_names[k] == str(k) else f"{k}: {class_names[k]}"


chosen = middle.selectbox(
    "Class", [ALL, *range(n_classes)], key="explore_class", format_func=_class_label
)
images = dataset.train_images if split == "train" else dataset.test_images
labels = dataset.train_labels if split == "train" else dataset.test_labels
matching = np.arange(len(labels)) if chosen == ALL else np.flatnonzero(labels == chosen)
n_pages = max(1, -(-len(matching) // PER_PAGE))
# One page widget per filter, so changing the filter starts again at page 1.
page = right.number_input(
    f"Page (of {n_pages:,}, {PER_PAGE} images each)",
    min_value=1,
    max_value=n_pages,
    value=1,
    step=1,
    key=f"explore_page_{split}_{chosen}",
)
shown = matching[(page - 1) * PER_PAGE : page * PER_PAGE]
if len(shown):
    first = (page - 1) * PER_PAGE
    st.caption(
        f"{len(matching):,} {split} images"
        + ("" if chosen == ALL else f" of class {class_names[chosen]}")
        + f"; this page shows numbers {first + 1:,} to {first + len(shown):,} of them. "
        "Under each picture: its index in the split · its label."
    )
    short_names = max(len(c) for c in class_names) <= 2
    captions = [
        f"#{i} · {class_names[labels[i]]}" if short_names else f"#{i}\n{class_names[labels[i]]}"
        for i in shown
    ]
    tooltips = [f"{split} image #{i}, label {class_names[labels[i]]}" for i in shown]
    st.container(key="explore_grid").html(
        image_grid_html(images[shown], captions, tooltips=tooltips)
    )
else:
    st.info("No images match this filter.")

# -- classes ---------------------------------------------------------------------------------------
st.subheader("How many of each class")
st.caption(
    "Share of each class in the training and test splits (hover for counts). Roughly balanced "
    "classes mean plain accuracy is a fair score."
)
st.plotly_chart(
    class_distribution_figure(stats.train_counts, stats.test_counts, class_names),
    key="explore_distribution",
)

st.subheader("The average image of each class")
st.caption(
    "Mean of all training images of a class, pixel by pixel (0 = black, 1 = white). A linear "
    "model's weight templates (see the Weights page) look a lot like differences of these."
)
st.container(key="explore_means").html(image_grid_html(stats.mean_images, list(class_names)))

# -- pixels ----------------------------------------------------------------------------------------
st.subheader("Pixels")
left, right = st.columns([3, 2])
with left:
    st.markdown("**Intensity histogram** (all training pixels)")
    st.plotly_chart(
        pixel_histogram_figure(stats.hist_counts, stats.hist_edges), key="explore_histogram"
    )
    zero_share = stats.hist_counts[0] / stats.hist_counts.sum()
    st.caption(
        f"Most pixels are background: {zero_share:.0%} fall in the darkest bin. The y axis is "
        "logarithmic so the few ink values stay visible."
    )
with right:
    st.markdown("**Variance of each pixel** across the training images")
    st.plotly_chart(
        heatmap28(stats.variance, colorscale="Viridis", height=320, colorbar_title="variance"),
        key="explore_variance",
        config=NO_TOOLBAR,
    )
    st.caption(
        "Bright pixels change a lot from image to image and carry information; dark ones are "
        "nearly the same in every image (mostly background), so the model can learn little "
        "there."
    )

# -- PCA -------------------------------------------------------------------------------------------
st.subheader("All 784 pixels squeezed into two numbers")
projection = pca_projection(dataset.name, dataset)
st.caption(
    f"A fixed random sample of {len(projection.indices):,} training images, projected onto the "
    "two directions along which the images vary most (principal component "
    f"analysis). These two directions keep {projection.ratio.sum():.0%} of the variance "
    f"({projection.ratio[0]:.1%} + {projection.ratio[1]:.1%}). Classes that overlap here are "
    "hard to tell apart with so little information; click a legend entry to hide a class, "
    "double-click to show only that class."
)
st.plotly_chart(
    pca_figure(projection.proj, projection.labels, class_names, indices=projection.indices),
    key="explore_pca",
)
with st.expander("How the projection is computed"):
    st.markdown(
        "Centre the sample (subtract the mean image), take the thin SVD "
        "X − x̄ = U S Vᵀ, and project onto the first two rows of Vᵀ: "
        "coordinates = (X − x̄) V[:, :2]. The share of variance of component j is "
        "S_j² / Σ S². All in NumPy (`core/analysis.py`)."
    )
