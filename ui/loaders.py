"""Process-wide caches shared read-only by every session: the dataset and the shipped model,
loaded once, and figures built once."""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable
from pathlib import Path

import plotly.graph_objects as go
import plotly.io
import streamlit as st

from core.datasets import Dataset, load_dataset
from core.model import SoftmaxRegression
from ui.i18n import _, current_language

REPO_DIR = Path(__file__).resolve().parents[1]
DEFAULT_MODEL_PATH = REPO_DIR / "models" / "default" / "model.npz"


def load_shared_dataset(name: str) -> Dataset:
    """The dataset `name`, read once per process; its arrays are read-only, so sharing is safe.

    Raises core.datasets.DatasetError (not cached) when it is not available. The spinner (in the
    visitor's language) shows only when loading takes more than half a second: on a first load.
    """
    with st.spinner(_("Loading the dataset ...")):
        return _load_dataset_once(name)


@st.cache_resource(show_spinner=False)
def _load_dataset_once(name: str) -> Dataset:
    return load_dataset(name)


@st.cache_resource
def shipped_model() -> SoftmaxRegression | None:
    """The model shipped in models/default/, read once per process; None where it is missing."""
    if not DEFAULT_MODEL_PATH.exists():
        return None
    model = SoftmaxRegression.load(DEFAULT_MODEL_PATH)
    # Shared by every session: make accidental in-place edits fail loudly.
    model.W.flags.writeable = False
    model.b.flags.writeable = False
    return model


# Figures built once per language and key; each is a few hundred kB at most (the PCA scatter).
SHARED_FIGURES = 64
# HTML built once per language and key: picture grids, about 50 kB each (15 MB at most).
SHARED_HTML = 300


def shared_figure(key: tuple[Hashable, ...], build: Callable[[], go.Figure]) -> go.Figure:
    """build(), once per process for each `key` in the visitor's language. `key` must name all
    the figure shows (dataset, model fingerprint, parameters). Building a Plotly figure costs
    tens of ms on every rerun; the result is shared by every session, so hand it to
    st.plotly_chart (which only reads it) and never change it."""
    return _figure_once((current_language(), *key), build)


@st.cache_resource(show_spinner=False, max_entries=SHARED_FIGURES)
def _figure_once(key: tuple[Hashable, ...], _build: Callable[[], go.Figure]) -> go.Figure:
    return PreparedFigure(_build())


def shared_html(key: tuple[Hashable, ...], build: Callable[[], str]) -> str:
    """build(), once per process for each `key` in the visitor's language: HTML that is costly
    to build (a grid of 50 pictures takes tens of ms to encode). `key` must name all it shows."""
    return _html_once((current_language(), *key), build)


@st.cache_resource(show_spinner=False, max_entries=SHARED_HTML)
def _html_once(key: tuple[Hashable, ...], _build: Callable[[], str]) -> str:
    return _build()


class PreparedFigure(go.Figure):
    """A copy of `figure` whose to_dict() returns one plain dict (its JSON, parsed once) instead
    of a deep copy per call: st.plotly_chart then only serialises it (the PCA scatter's copy
    took longer than the rest of the Explore page's rerun)."""

    def __init__(self, figure: go.Figure):
        super().__init__(figure)
        self._prepared = json.loads(plotly.io.to_json(figure))

    def to_dict(self) -> dict:
        return self._prepared
