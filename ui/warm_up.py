"""Warm the process-wide caches in a background thread when the server starts.

A first visit to Explore, Weights or Confidence would otherwise pay for reading the default
dataset and computing its statistics, its PCA and the shipped model's calibration (seconds on a
fresh server); one to Train, Draw or Experiments for importing pandas. The thread fills the same
st.cache_resource entries the pages read; a page that asks before it is done waits on
Streamlit's per-entry lock instead of computing twice.
"""

from __future__ import annotations

import logging
import threading
import time

import streamlit as st

LOG = logging.getLogger(__name__)
# Let the first page's messages go out before the thread competes with them for the interpreter:
# on a busy server (load 10 on 2 cores) starting at once delayed the first Home visit by seconds.
# 0.3 s rather than 1: the warm-up (about 1.5 s) then overlaps less of the next visitor's first
# page (bench/page_speed.py, interleaved: Explore's first visit 2.4 -> 2.2 s, Home's the same;
# with no grace, Home's took 0.3 s longer).
FIRST_PAGE_GRACE_S = 0.3


def warm_caches(dataset_name: str = "mnist") -> None:  # the sidebar's default dataset
    """Fill the caches a first visit needs: the dataset `dataset_name`, its statistics, its PCA
    and the PCA's picture, and the shipped model's calibration on it. A missing dataset is left
    for the pages to report. Imports here, in the thread: the first run of app.py need not wait
    for them."""
    from core.datasets import DatasetError
    from ui import calibration_parts
    from ui.dataset_stats import PCA_SAMPLE, _dataset_stats_once, _pca_projection_once
    from ui.explore_pca import pca_picture_uri
    from ui.loaders import _load_dataset_once, shipped_model
    from ui.state import fingerprint

    try:
        dataset = _load_dataset_once(dataset_name)
    except DatasetError as err:
        LOG.info("warm-up skipped: %s", err)
        return
    _dataset_stats_once(dataset.name, dataset)
    _pca_projection_once(dataset.name, dataset, PCA_SAMPLE)
    pca_picture_uri(dataset.name, dataset)
    model = shipped_model()
    if model is not None:
        key = fingerprint(model, dataset.name)
        calibration_parts.calibration_of(key, model, dataset)


def import_figure_modules() -> None:
    """Import the Plotly figure modules and with them pandas (about half a second): Train,
    Experiments and Draw's canvas need pandas; the pages warm_caches prepares do not."""
    import ui.charts  # noqa: F401
    import ui.figures  # noqa: F401


def _warm_caches_later() -> None:
    time.sleep(FIRST_PAGE_GRACE_S)
    warm_caches()
    import_figure_modules()


@st.cache_resource(show_spinner=False)
def start_warm_up() -> threading.Thread:
    """Start warm_caches in a daemon thread, once per process (later calls return it)."""
    thread = threading.Thread(target=_warm_caches_later, name="warm-caches", daemon=True)
    thread.start()
    return thread
