"""Derived dataset arrays for the Explore and Weights pages, computed once per process.

Cached with st.cache_resource keyed by the dataset NAME only (the Dataset itself is passed as
`_dataset`, which Streamlit does not hash): every session shares one read-only copy.

They are deterministic, so data/summaries/<name>.npz ships them (about 60 kB, written by
`python scripts/dataset_summaries.py`): a first visit reads them instead of computing the PCA
(seconds on a busy server). The file names a fingerprint of the arrays it was computed from and
is used only when the loaded dataset has the same one.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import streamlit as st

from core import analysis
from core.datasets import Dataset
from core.deskew import deskew
from ui.i18n import N_, _
from ui.images import image_grid_html

PCA_SAMPLE = 3000
HIST_BINS = 64
SUMMARY_DIR = Path(__file__).resolve().parents[1] / "data" / "summaries"
# core.datasets says in English where it found a dataset (Dataset.source): the shipped copy, the
# download cache or Debian's package, each with its folder; a folder given by hand is its path.
SOURCE_TEXTS = (
    (re.compile(r"shipped copy (?P<path>\S+)"), N_("the copy shipped with the app, {path}")),
    (re.compile(r"download cache (?P<path>.+)"), N_("the download cache, {path}")),
    (
        re.compile(r"Debian package (?P<package>\S+) \((?P<path>.+)\)"),
        N_("Debian's package {package}, {path}"),
    ),
)


def source_text(source: str) -> str:
    """Where the dataset came from, in the visitor's language (a folder's path as it is)."""
    for pattern, text in SOURCE_TEXTS:
        if found := pattern.fullmatch(source):
            return _(text).format(**found.groupdict())
    return source


LOG = logging.getLogger(__name__)


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
    shipped = _shipped_summary(name, _dataset)
    return shipped[0] if shipped is not None else compute_stats(_dataset)


def compute_stats(d: Dataset) -> DatasetStats:
    """The statistics of dataset `d`, computed (read-only arrays)."""
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
    _frozen(*(getattr(stats, f.name) for f in fields(DatasetStats)))
    return stats


def pca_projection(name: str, _dataset: Dataset, n_sample: int = PCA_SAMPLE) -> PCAProjection:
    """PCA of `n_sample` training images of dataset `name`, sampled with default_rng(0)."""
    with st.spinner(_("Projecting a sample onto its two main directions (PCA) ...")):
        return _pca_projection_once(name, _dataset, n_sample)


@st.cache_resource(show_spinner=False)
def _pca_projection_once(name: str, _dataset: Dataset, n_sample: int) -> PCAProjection:
    shipped = _shipped_summary(name, _dataset) if n_sample == PCA_SAMPLE else None
    return shipped[1] if shipped is not None else compute_pca(_dataset, n_sample)


def compute_pca(d: Dataset, n_sample: int = PCA_SAMPLE) -> PCAProjection:
    """PCA of `n_sample` training images of `d` sampled with default_rng(0), computed."""
    indices = analysis.sample_indices(len(d.train_labels), n_sample, np.random.default_rng(0))
    proj, ratio = analysis.pca_2d(d.train_images, indices)
    result = PCAProjection(indices, np.asarray(d.train_labels)[indices], proj, ratio)
    _frozen(result.indices, result.labels, result.proj, result.ratio)
    return result


def browse_grid_html(images, labels, shown, class_names, split_name: str, deskewed: bool) -> str:
    """Explore's grid of the images `shown` (indices into `images` (N, 784) and `labels` (N,)),
    each captioned with its index and label; sheared upright first where `deskewed`."""
    short_names = max(len(c) for c in class_names) <= 2
    captions = [
        f"#{i} · {class_names[labels[i]]}" if short_names else f"#{i}\n{class_names[labels[i]]}"
        for i in shown
    ]
    tooltip = _("{split} image #{index}, label {label}")
    tooltips = [
        tooltip.format(split=split_name, index=i, label=class_names[labels[i]]) for i in shown
    ]
    pictures = deskew(images[shown]) if deskewed else images[shown]
    return image_grid_html(pictures, captions, tooltips=tooltips)


def fingerprint(d: Dataset) -> str:
    """SHA-1 of the dataset's arrays (about 50 ms for MNIST): which data a summary belongs to."""
    digest = hashlib.sha1()
    for array in (d.train_images, d.train_labels, d.test_images, d.test_labels):
        digest.update(str(array.shape).encode())
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def save_summary(path: Path, d: Dataset) -> None:
    """Write the statistics and PCA of `d` with its fingerprint to `path` (.npz)."""
    stats, projection = compute_stats(d), compute_pca(d)
    arrays = {f"stats_{f.name}": getattr(stats, f.name) for f in fields(DatasetStats)}
    arrays |= {f"pca_{f.name}": getattr(projection, f.name) for f in fields(PCAProjection)}
    np.savez_compressed(path, fingerprint=np.array(fingerprint(d)), **arrays)


def load_summary(path: Path, d: Dataset) -> tuple[DatasetStats, PCAProjection] | None:
    """The statistics and PCA stored at `path` if they were computed from `d`, else None."""
    if not path.exists():
        return None
    with np.load(path, allow_pickle=False) as stored:
        if str(stored["fingerprint"]) != fingerprint(d):
            LOG.warning("%s does not match the loaded %s; computing instead", path, d.name)
            return None
        stats = DatasetStats(**{f.name: stored[f"stats_{f.name}"] for f in fields(DatasetStats)})
        projection = PCAProjection(
            **{f.name: stored[f"pca_{f.name}"] for f in fields(PCAProjection)}
        )
    _frozen(*(getattr(stats, f.name) for f in fields(DatasetStats)))
    _frozen(*(getattr(projection, f.name) for f in fields(PCAProjection)))
    return stats, projection


@st.cache_resource(show_spinner=False)
def _shipped_summary(name: str, _dataset: Dataset) -> tuple[DatasetStats, PCAProjection] | None:
    return load_summary(SUMMARY_DIR / f"{name}.npz", _dataset)
