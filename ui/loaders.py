"""Process-wide cached loaders: the dataset and the shipped model, loaded once, shared read-only."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from core.datasets import Dataset, load_dataset
from core.model import SoftmaxRegression
from ui.i18n import _

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
