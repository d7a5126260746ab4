"""Explore's PCA section: 3,000 training images on the first two principal components, as a
picture (a Plotly chart one toggle away)."""

from __future__ import annotations

import streamlit as st

from core.datasets import Dataset
from ui.dataset_stats import pca_projection
from ui.i18n import _, number, percent
from ui.loaders import shared_figure
from ui.pictures import CLASS_COLOURS
from ui.scatter_picture import scatter_picture_html, scatter_uri

PICTURE_SIZE = (760, 460)  # px, as shown


@st.cache_resource(show_spinner=False)
def pca_picture_uri(name: str, _dataset: Dataset) -> str:
    """The PCA sample as a picture, once per process and dataset (in no language: the warm-up
    thread draws it before the first visit)."""
    projection = pca_projection(name, _dataset)
    return scatter_uri(projection.proj, projection.labels, CLASS_COLOURS, *PICTURE_SIZE)


def pca_section(dataset: Dataset, class_names: tuple[str, ...]) -> None:
    st.subheader(_("All 784 pixels squeezed into two numbers"))
    projection = pca_projection(dataset.name, dataset)
    st.caption(
        _(
            "A fixed random sample of {count} training images, projected onto the two "
            "directions along which the images vary most (principal component analysis). These "
            "two directions keep {total} of the variance ({first} + {second}). Classes that "
            "overlap here are hard to tell apart with so little information."
        ).format(
            count=number(len(projection.indices)),
            total=percent(projection.ratio.sum(), 0),
            first=percent(projection.ratio[0], 1),
            second=percent(projection.ratio[1], 1),
        )
    )
    # A picture by default: as a chart, 3,000 points cost the browser 0.5-0.9 s on every visit.
    if st.toggle(
        _("Interactive: hover a point for its image number, click a legend entry to hide a class"),
        key="explore_pca_interactive",
    ):
        # Imported on demand: ui.charts imports pandas, half a second on a fresh server.
        from ui.charts import pca_figure

        st.plotly_chart(
            shared_figure(
                ("explore_pca", dataset.name, class_names),
                lambda: pca_figure(
                    projection.proj, projection.labels, class_names, indices=projection.indices
                ),
            ),
            key="explore_pca",
        )
    else:
        picture = scatter_picture_html(
            pca_picture_uri(dataset.name, dataset),
            class_names,
            CLASS_COLOURS,
            axis_titles=(_("principal component 1"), _("principal component 2")),
            legend_title=_("class"),
            alt=_(
                "{count} training images as dots on the first two principal components, "
                "coloured by class"
            ).format(count=number(len(projection.indices))),
            width=PICTURE_SIZE[0],
        )
        st.container(key="explore_pca_picture").html(picture)
    with st.expander(_("How the projection is computed")):
        st.markdown(
            _(
                "Centre the sample (subtract the mean image), take the thin SVD X − x̄ = U S Vᵀ, "
                "and project onto the first two rows of Vᵀ: coordinates = (X − x̄) V[:, :2]. The "
                "share of variance of component j is S_j² / Σ S². All in NumPy "
                "(`core/analysis.py`)."
            )
        )
