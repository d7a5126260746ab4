"""The Confidence page's pieces: the current model's calibration on its test set (computed once per
process and model), the reliability diagram, and the grid of its most confident mistakes.

Temperature scaling needs images the model did not learn from. The app's models learned from all
the training images, so the temperature is fitted on the test images with an even index and
judged on those with an odd index (the two halves come from the same writers).
Shapes: N test images, C classes, B bins.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas  # noqa: F401 - whole before a figure is built: see tests/test_structure.py
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from core.calibration import (
    ReliabilityBins,
    expected_calibration_error,
    fit_temperature,
    logits_uint8,
    most_confident_mistakes,
    reliability_bins,
    temperature_probs,
)
from core.datasets import Dataset
from core.model import SoftmaxRegression, softmax
from ui.i18n import _, percent

MISTAKES_SHOWN = 20
# Models whose calibration stays cached per process (a few sessions' current models).
CACHED_MODELS = 16
ACCURACY_COLOR, DIAGONAL_COLOR, COUNT_COLOR = "#1f77b4", "#7f7f7f", "#9467bd"


@dataclass(frozen=True)
class Calibration:
    """probs (N, C) float32 on the test images; bins and ece over all N; temperature fitted on
    the even-index half; half_before / half_after: bins of the odd-index half without and with
    it, and their ECEs."""

    probs: np.ndarray
    bins: ReliabilityBins
    ece: float
    temperature: float
    half_before: ReliabilityBins
    half_after: ReliabilityBins
    ece_before: float
    ece_after: float

    @property
    def n_fit(self) -> int:
        return (len(self.probs) + 1) // 2

    @property
    def n_judged(self) -> int:
        return len(self.probs) // 2


def compute_calibration(model: SoftmaxRegression, dataset: Dataset) -> Calibration:
    """The model's calibration on the test split, its images preprocessed as the model expects."""
    images = model.preprocess(dataset.test_images)
    labels = np.asarray(dataset.test_labels)
    logits = logits_uint8(model.W, model.b, images)
    probs = softmax(logits).astype(np.float32)
    fit, judged = slice(0, None, 2), slice(1, None, 2)
    temperature = fit_temperature(logits[fit], labels[fit])
    before = probs[judged]
    after = temperature_probs(logits[judged], temperature)
    return Calibration(
        probs=probs,
        bins=reliability_bins(probs, labels),
        ece=expected_calibration_error(probs, labels),
        temperature=temperature,
        half_before=reliability_bins(before, labels[judged]),
        half_after=reliability_bins(after, labels[judged]),
        ece_before=expected_calibration_error(before, labels[judged]),
        ece_after=expected_calibration_error(after, labels[judged]),
    )


@st.cache_resource(show_spinner=False, max_entries=CACHED_MODELS)
def calibration_of(key: str, _model: SoftmaxRegression, _dataset: Dataset) -> Calibration:
    """compute_calibration, once per process for each model fingerprint `key` (read-only)."""
    result = compute_calibration(_model, _dataset)
    result.probs.flags.writeable = False
    return result


def reliability_figure(bins: ReliabilityBins, title: str, height: int = 420) -> go.Figure:
    """Accuracy per confidence bin (bars, drawn over the bin) against the diagonal, and below
    it the number of images in each bin (log scale: the top bin holds most of them)."""
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.7, 0.3])
    width = np.diff(bins.edges)
    centres = bins.edges[:-1] + width / 2
    used = bins.counts > 0
    hover = _("confidence %{customdata[0]:.3f}<br>accuracy %{y:.3f}<br>%{customdata[1]} images")
    fig.add_bar(
        x=centres[used],
        y=bins.accuracy[used],
        width=width[used] * 0.95,
        customdata=np.column_stack([bins.confidence[used], bins.counts[used]]),
        marker_color=ACCURACY_COLOR,
        name=_("accuracy in the bin"),
        hovertemplate=hover + "<extra></extra>",
        row=1,
        col=1,
    )
    fig.add_scatter(
        x=[0, 1],
        y=[0, 1],
        mode="lines",
        line={"dash": "dash", "color": DIAGONAL_COLOR},
        name=_("perfectly calibrated"),
        hoverinfo="skip",
        row=1,
        col=1,
    )
    fig.add_bar(
        x=centres[used],
        y=bins.counts[used],
        width=width[used] * 0.95,
        marker_color=COUNT_COLOR,
        name=_("images in the bin"),
        hovertemplate=_("%{y} images") + "<extra></extra>",
        row=2,
        col=1,
    )
    fig.update_yaxes(title=_("accuracy"), range=[0, 1], tickformat=".0%", row=1, col=1)
    fig.update_yaxes(title=_("images"), type="log", row=2, col=1)
    fig.update_xaxes(range=[0, 1], tickformat=".0%", row=1, col=1)
    fig.update_xaxes(title=_("confidence (the largest probability)"), range=[0, 1], row=2, col=1)
    fig.update_xaxes(tickformat=".0%", row=2, col=1)
    fig.update_layout(
        title={"text": title, "x": 0, "font": {"size": 15}},
        height=height,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        legend={"orientation": "h", "y": -0.2},
        bargap=0,
    )
    return fig


def mistakes(calibration: Calibration, labels: np.ndarray, k: int = MISTAKES_SHOWN):
    """Indices (<= k,) of the most confident mistakes, with their predicted class and its
    probability."""
    worst = most_confident_mistakes(calibration.probs, labels, k)
    predicted = calibration.probs[worst].argmax(axis=1)
    return worst, predicted, calibration.probs[worst, predicted]


def mistake_captions(
    indices: np.ndarray, predicted: np.ndarray, confidence: np.ndarray, labels, names
) -> list[str]:
    """Each mistake's caption: what the model said, how sure, and the truth."""
    return [
        _("said {predicted} ({confidence})\nwas {true}").format(
            predicted=names[p], confidence=percent(c, 1), true=names[labels[i]]
        )
        for i, p, c in zip(indices, predicted, confidence, strict=True)
    ]


def over_ninety_wrong(calibration: Calibration, labels: np.ndarray) -> tuple[int, int]:
    """(wrong answers with confidence above 90%, wrong answers)."""
    wrong = calibration.probs.argmax(axis=1) != labels
    sure = calibration.probs.max(axis=1) > 0.9
    return int(np.count_nonzero(wrong & sure)), int(np.count_nonzero(wrong))
