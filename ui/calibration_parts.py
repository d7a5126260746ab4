"""The Confidence page's pieces: the current model's calibration on its test set (computed once per
process and model), the reliability diagram (HTML), and the grid of its most confident mistakes.

Temperature scaling needs images the model did not learn from. The app's models learned from all
the training images, so the temperature is fitted on the test images with an even index and
judged on those with an odd index (the two halves come from the same writers).
Shapes: N test images, C classes, B bins.
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass

import numpy as np
import streamlit as st

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
from ui.bars_html import bar_chart_css, log_axis, x_axis_css, x_axis_html
from ui.i18n import _, number, percent

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


RELIABILITY_STYLE = f"""<style>{bar_chart_css("reliability")}
.reliability {{max-width: none;}}
.reliability .plot div {{position: absolute; bottom: 0; min-height: 1px;}}
.reliability .plot .diagonal {{position: absolute; inset: 0; width: 100%; height: 100%;}}
.reliability .plot + .plot {{margin-top: 18px;}}
.reliability .panel {{position: absolute; left: 4px; top: -4px; font-size: 12px; color: #555;}}
{x_axis_css("reliability")}
.reliability .legend {{display: flex; flex-wrap: wrap; gap: 0 1.5em;}}
.reliability .legend i {{display: inline-block; width: 14px; height: 10px; margin-right: 4px;}}
</style>"""


# The diagonal: an SVG picture (st.html keeps no inline SVG) stretched over the accuracy panel,
# drawn over its bars.
DIAGONAL_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1" preserveAspectRatio="none">'
    f'<line x1="0" y1="1" x2="1" y2="0" stroke="{DIAGONAL_COLOR}" stroke-width="2" '
    'stroke-dasharray="6 4" vector-effect="non-scaling-stroke"/></svg>'
)
DIAGONAL = (
    '<img class="diagonal" alt="" src="data:image/svg+xml;base64,'
    f'{base64.b64encode(DIAGONAL_SVG.encode()).decode()}">'
)


def reliability_html(bins: ReliabilityBins, title: str, height: int = 300) -> str:
    """The reliability diagram as HTML (nothing for the browser to run): accuracy per
    confidence bin as bars over the bin against the dashed diagonal, and below it the number
    of images per bin on a log axis (the top bin holds most of them); each bin's confidence,
    accuracy and count in its tooltip. `height`: the accuracy panel's, in px."""
    used = np.flatnonzero(bins.counts > 0)
    counts_px = height * 0.4

    tips = [
        _("confidence {confidence}, accuracy {accuracy}, {count} images").format(
            confidence=f"{bins.confidence[b]:.3f}",
            accuracy=f"{bins.accuracy[b]:.3f}",
            count=number(int(bins.counts[b])),
        )
        for b in used
    ]

    widths = np.diff(bins.edges)

    def bars(values_px: np.ndarray, colour: str) -> str:
        return "".join(
            f'<div title="{html.escape(tips[i], quote=True)}" style="left: '
            f"{bins.edges[b] * 100:.2f}%; width: {widths[b] * 95:.2f}%; "
            f'height: {values_px[i]:.1f}px; background: {colour}"></div>'
            for i, b in enumerate(used)
        )

    accuracy_grid = "".join(
        f'<p class="grid{" zero" if tick == 0 else ""}" style="top: {(1 - tick) * height:.1f}px">'
        f"<span>{percent(tick, 0)}</span></p>"
        for tick in (0.0, 0.25, 0.5, 0.75, 1.0)
    )
    counts_bar_px, counts_grid = log_axis(bins.counts[used], counts_px)
    ticks = (0.0, 0.25, 0.5, 0.75, 1.0)
    axis = x_axis_html(ticks, [percent(tick, 0) for tick in ticks], 0.0, 1.0)
    words = {  # babel finds no _() inside an f-string
        "accuracy": _("accuracy"),
        "bin_accuracy": _("accuracy in the bin"),
        "diagonal": _("perfectly calibrated"),
        "bin_images": _("images in the bin"),
        "images": _("images"),
        "x_title": _("confidence (the largest probability)"),
    }
    legend = (
        f'<span><i style="background: {ACCURACY_COLOR}"></i>{words["bin_accuracy"]}</span>'
        f'<span><i style="border-top: 2px dashed {DIAGONAL_COLOR}; height: 0"></i>'
        f"{words['diagonal']}</span>"
        f'<span><i style="background: {COUNT_COLOR}"></i>{words["bin_images"]}</span>'
    )
    accuracy_px = np.nan_to_num(bins.accuracy[used]) * height
    return (
        f'{RELIABILITY_STYLE}<figure class="reliability"><strong>{html.escape(title)}</strong>'
        f'<div class="legend">{legend}</div>'
        f'<div class="plot" style="height: {height}px">'
        f'<span class="panel">{words["accuracy"]}</span>'
        f"{accuracy_grid}{bars(accuracy_px, ACCURACY_COLOR)}{DIAGONAL}</div>"
        f'<div class="plot" style="height: {counts_px:.0f}px">'
        f'<span class="panel">{words["images"]}</span>{counts_grid}'
        f"{bars(counts_bar_px, COUNT_COLOR)}</div>"
        f'<div class="axis">{axis}</div><small>{words["x_title"]}</small>'
        "</figure>"
    )


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
