"""Experiments: ready-made sets of short runs that differ in one setting, run one after another,
then compared."""

import streamlit as st

from core.datasets import DATASET_TITLES
from ui import experiments as parts
from ui import state, training
from ui.class_names import display_class_names
from ui.experiment_catalog import BY_KEY, EXPERIMENTS
from ui.i18n import _
from ui.nav import EXPERIMENTS as PAGE
from ui.page import dataset_or_stop, start_page

start_page(PAGE)
dataset = dataset_or_stop(st.session_state[state.DATASET])
st.markdown(
    _(
        "Each experiment trains a few short runs that differ in one setting, one after another, "
        "then puts their curves side by side. Keep this page open while they train: the next "
        "run starts when the previous one has ended."
    )
)
if dataset.name != "mnist":
    st.caption(
        _("The numbers in the texts were measured on MNIST; on {dataset} they differ.").format(
            dataset=DATASET_TITLES.get(dataset.name, dataset.name)
        )
    )

# A run that ended since the last script run: keep its result, start the next, and draw the
# sidebar again (a validation run's model is renamed when its result is kept).
if parts.move_on(dataset):
    st.rerun()
running = parts.active()
busy = running is not None

key = st.selectbox(
    _("Experiment"),
    [e.key for e in EXPERIMENTS],
    format_func=lambda k: _(BY_KEY[k].title),
    key=state.EXPERIMENT_CHOICE,
    disabled=busy,
)
experiment = BY_KEY[key]
st.caption(_(experiment.settings))
st.markdown(
    " · ".join(f"**{_(run.label)}**" for run in experiment.runs),
)

if busy:
    if st.button(_("Cancel the experiment"), icon="⏹️"):
        parts.cancel(running, training.session_runs())
        st.rerun()
else:
    if training.session_runs().live is not None:
        st.caption(_("Starting ends the run in progress on the Train page (its record is kept)."))
    if st.button(_("Run this experiment"), icon="▶️", type="primary"):
        parts.begin(experiment, dataset)
        st.rerun()


@st.fragment(run_every=1.0)
def follow_queue() -> None:
    """Move the queue on once a second; a run that ended redraws the whole page."""
    if parts.move_on(dataset):
        st.rerun()
    view = training.live_run_view()
    st.caption(parts.status_line(running))
    if view is not None:
        st.progress(view.fraction_done)


if busy:
    follow_queue()
current = parts.queues().get(key)
if current is not None:
    if not current.busy:
        st.caption(parts.status_line(current))
    if current.results:
        st.subheader(_("What to look at"))
        st.markdown(_(experiment.look_at))
        parts.show_comparison(current, display_class_names(dataset.class_names))
