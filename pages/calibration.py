"""Confidence: is the current model right as often as it says? Its reliability diagram, expected
calibration error and most confident mistakes on the test set, and temperature scaling."""

import numpy as np
import streamlit as st

from ui import calibration_parts as parts
from ui.class_names import display_class_names
from ui.i18n import _, number, percent
from ui.images import image_grid_html
from ui.loaders import shared_html
from ui.nav import CONFIDENCE
from ui.page import dataset_or_stop, model_or_stop, start_page
from ui.state import display_model_name, fingerprint

start_page(CONFIDENCE)
st.markdown(
    _(
        "A model that says 90% should be right about 9 times in 10. The reliability diagram "
        "sorts the test digits by the model's confidence (its largest probability) into bins "
        "and compares each bin's accuracy with the diagonal: bars below it mean the model is "
        "surer than it is right (overconfident), bars above it mean it is too modest."
    )
)
entry = model_or_stop(
    _("There is no model yet. Train one (it takes about a minute) or upload one in the sidebar.")
)
dataset = dataset_or_stop(entry.dataset)
labels = np.asarray(dataset.test_labels)
with st.spinner(_("Scoring the test images ...")):
    model_key = fingerprint(entry.model, dataset.name)
    calibration = parts.calibration_of(model_key, entry.model, dataset)
names = display_class_names(entry.class_names)

st.caption(
    _("Model: **{name}**, on the {count} test images of its dataset.").format(
        name=display_model_name(entry.name), count=number(len(labels))
    )
)
accuracy = float(np.mean(calibration.probs.argmax(axis=1) == labels))
mean_confidence = float(np.mean(calibration.probs.max(axis=1)))
cols = st.columns(3)
cols[0].metric(_("accuracy"), percent(accuracy))
cols[1].metric(_("mean confidence"), percent(mean_confidence))
cols[2].metric(
    _("expected calibration error"),
    percent(calibration.ece),
    help=_(
        "The gap |accuracy − confidence| of each bin, averaged with the bins' image counts as "
        "weights: 0 for a perfectly calibrated model."
    ),
)
st.container(key="reliability").html(
    shared_html(
        ("reliability", model_key),
        lambda: parts.reliability_html(calibration.bins, _("Reliability diagram, all test images")),
    )
)

st.subheader(_("The most confident mistakes"))
sure_wrong, wrong = parts.over_ninety_wrong(calibration, labels)
st.caption(
    _(
        "A softmax always picks a class, however strange the image: {sure} of the model's {wrong} "
        "wrong answers came with a probability above 90%. These are the surest of them."
    ).format(sure=number(sure_wrong), wrong=number(wrong))
)
indices, predicted, confidence = parts.mistakes(calibration, labels)
if len(indices):
    st.container(key="confident_mistakes").html(
        image_grid_html(
            dataset.test_images[indices],
            parts.mistake_captions(indices, predicted, confidence, labels, names),
            tooltips=[_("test image #{index}").format(index=i) for i in indices],
            wrap_captions=True,  # "said 4 (99.8%)" is wider than a phone's tile: wrap, never cut
        )
    )

st.subheader(_("Temperature scaling"))
st.markdown(
    _(
        "Dividing every logit by one number T keeps each prediction (the largest stays the "
        "largest) and changes only how sure the model sounds: T > 1 softens overconfident "
        "probabilities, T < 1 sharpens modest ones. T is fitted by minimising the cross-entropy "
        "on the {fit} test images with an even index (this model learned from all the training "
        "images, so none of those are held out) and judged on the other {judged}."
    ).format(fit=number(calibration.n_fit), judged=number(calibration.n_judged))
)
st.metric(_("fitted temperature T"), f"{calibration.temperature:.3f}")
if calibration.temperature < 1:
    st.caption(_("T < 1: on the whole this model is a little too modest, so T sharpens it."))
else:
    st.caption(_("T > 1: on the whole this model is too sure of itself, so T softens it."))
before, after = st.columns(2)
before.container(key="reliability_before").html(
    shared_html(
        ("reliability_before", model_key),
        lambda: parts.reliability_html(
            calibration.half_before,
            _("Before (T = 1), on the judged half: ECE {ece}").format(
                ece=percent(calibration.ece_before)
            ),
            height=240,
        ),
    )
)
after.container(key="reliability_after").html(
    shared_html(
        ("reliability_after", model_key),
        lambda: parts.reliability_html(
            calibration.half_after,
            _("After (T = {t}), on the judged half: ECE {ece}").format(
                t=f"{calibration.temperature:.2f}", ece=percent(calibration.ece_after)
            ),
            height=240,
        ),
    )
)
