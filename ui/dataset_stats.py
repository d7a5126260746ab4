"""Derived dataset arrays for the Explore and Weights pages, computed once per process.

Cached with st.cache_resource keyed by the dataset NAME only (the Dataset itself is passed as
`_dataset`, which Streamlit does not hash): every session shares one read-only copy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

from core import analysis
from core.datasets import Dataset
from ui.i18n import _

PCA_SAMPLE = 3000
HIST_BINS = 64


@dataclass(frozen=True)
class DatasetStats:
    """Summary arrays of one dataset (all read-only).

    mean_images: (C, 784) float32 in [0, 1], per class over the training split;
    variance: (784,) float32 per-pixel variance over the training split ([0, 1] scale);
    hist_counts (HIST_BINS,) int64 and hist_edges (HIST_BINS + 1,): pixel intensities, train;
    train_counts, test_counts: (C,) images per class.
    """

    mean_images: np.ndarray
    variance: np.ndarray
    hist_counts: np.ndarray
    hist_edges: np.ndarray
    train_counts: np.ndarray
    test_counts: np.ndarray


@dataclass(frozen=True)
class PCAProjection:
    """2-D PCA of a fixed random sample of the training images.

    indices (n,) rows of the training split; labels (n,); proj (n, 2) float32; ratio (2,).
    """

    indices: np.ndarray
    labels: np.ndarray
    proj: np.ndarray
    ratio: np.ndarray


def _frozen(*arrays: np.ndarray) -> None:
    for array in arrays:
        array.flags.writeable = False


def dataset_stats(name: str, _dataset: Dataset) -> DatasetStats:
    """Statistics of the dataset called `name` (pass the loaded Dataset as `_dataset`); a
    spinner in the visitor's language while they are computed (shown after half a second)."""
    with st.spinner(_("Computing class means, variance and histogram ...")):
        return _dataset_stats_once(name, _dataset)


@st.cache_resource(show_spinner=False)
def _dataset_stats_once(name: str, _dataset: Dataset) -> DatasetStats:
    d = _dataset
    n_classes = d.n_classes
    counts, edges = analysis.pixel_histogram(d.train_images, bins=HIST_BINS)
    stats = DatasetStats(
        mean_images=analysis.mean_images(d.train_images, d.train_labels, n_classes),
        variance=analysis.pixel_variance(d.train_images),
        hist_counts=counts,
        hist_edges=edges,
        train_counts=np.bincount(d.train_labels, minlength=n_classes),
        test_counts=np.bincount(d.test_labels, minlength=n_classes),
    )
    _frozen(
        stats.mean_images,
        stats.variance,
        stats.hist_counts,
        stats.hist_edges,
        stats.train_counts,
        stats.test_counts,
    )
    return stats


def pca_projection(name: str, _dataset: Dataset, n_sample: int = PCA_SAMPLE) -> PCAProjection:
    """PCA of `n_sample` training images of dataset `name`, sampled with default_rng(0)."""
    with st.spinner(_("Projecting a sample onto its two main directions (PCA) ...")):
        return _pca_projection_once(name, _dataset, n_sample)


@st.cache_resource(show_spinner=False)
def _pca_projection_once(name: str, _dataset: Dataset, n_sample: int) -> PCAProjection:
    d = _dataset
    indices = analysis.sample_indices(len(d.train_labels), n_sample, np.random.default_rng(0))
    proj, ratio = analysis.pca_2d(d.train_images, indices)
    result = PCAProjection(indices, np.asarray(d.train_labels)[indices], proj, ratio)
    _frozen(result.indices, result.labels, result.proj, result.ratio)
    return result
