"""Process-wide cached loaders: the dataset and the shipped model, loaded once, shared read-only."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from core.datasets import Dataset, load_dataset
from core.model import SoftmaxRegression
from ui.state import DEFAULT_MODEL_NAME, ModelEntry

REPO_DIR = Path(__file__).resolve().parents[1]
DEFAULT_MODEL_PATH = REPO_DIR / "models" / "default" / "model.npz"


@st.cache_resource(show_spinner="Loading the dataset ...")
def load_shared_dataset(name: str) -> Dataset:
    """The dataset `name`, read once per process; its arrays are read-only, so sharing is safe.

    Raises core.datasets.DatasetError (not cached) when it is not available.
    """
    return load_dataset(name)


@st.cache_resource
def _shipped_model() -> SoftmaxRegression | None:
    if not DEFAULT_MODEL_PATH.exists():
        return None
    model = SoftmaxRegression.load(DEFAULT_MODEL_PATH)
    # Shared by every session: make accidental in-place edits fail loudly.
    model.W.flags.writeable = False
    model.b.flags.writeable = False
    return model


def load_default_model() -> ModelEntry | None:
    model = _shipped_model()
    if model is None:
        return None
    test_acc = (model.metrics or {}).get("test_acc")
    return ModelEntry(DEFAULT_MODEL_NAME, model, "mnist", "shipped", test_acc)
