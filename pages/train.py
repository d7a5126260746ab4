"""Train: run the notebook's minibatch SGD live, in a background thread, and compare runs."""

from __future__ import annotations

import streamlit as st

from core.train import RunStatus
from ui import links, state
from ui.i18n import _
from ui.live_panel import LivePanel
from ui.nav import TRAIN
from ui.page import dataset_or_stop, start_page
from ui.run_results import show_confusion, show_result, show_runs
from ui.sidebar import sidebar_run_status
from ui.train_controls import live_view_toggle, pace_help, run_controls
from ui.train_form import (
    fill_form_from_link,
    publish_form,
    run_summary,
    seed_used,
    settings_form,
    warning_slot,
)
from ui.train_text import explain_training
from ui.training import follow_live_run, page_section, session_runs, start_unless_repeated

start_page(TRAIN, live_run_status=False)  # the live panel below shows it
dataset_name = st.session_state[state.DATASET]
dataset = dataset_or_stop(dataset_name)
# A link's settings fill the form (train?lr=5&epochs=3); nothing starts until Start.
fill_form_from_link(len(dataset.train_labels))
links.show_ignored_note()

run = session_runs().live
# While a run is live the explanations and the form fold away (the form into one line), so that
# what moves fits on a laptop screen without scrolling; they come back when the run ends (that
# script run starts afresh). The page keeps one shape while it follows a run (page_section).
if run is None:
    with page_section(drawn=True, run_is_live=False):
        explain_training()
    with page_section(drawn=True, run_is_live=False):
        config, form_error = settings_form(len(dataset.train_labels))
        live_view_on = live_view_toggle()
    publish_form()
    seed_moves_on = not st.session_state[state.SEED_PINNED]
    if config is not None and start_unless_repeated(config, dataset, seed_moves_on):
        seed_used(config.seed)
        st.rerun()  # the page again, folded
else:
    page_section(drawn=False, run_is_live=True)  # the explanations
    with page_section(drawn=True, run_is_live=True):
        summary = st.container(horizontal=True, vertical_alignment="center")
        summary.markdown(run_summary(run.config), width="content")
        with summary:
            live_view_on = live_view_toggle()
        form_error = warning_slot(run.config)
        st.empty()  # where the unfolded form has its Live view toggle (see live_view_toggle)
run = session_runs().live  # a double click's second Start found the first click's run
run_controls(run, form_error, dataset)
pace_note = st.empty()  # always here: the page keeps one shape while it follows a run
if run is None:
    pace_note.caption(pace_help())
# The live run is drawn here, last of all (follow_live_run keeps this script run redrawing it).
frozen_note, live_slot = st.empty(), st.empty()

# The parts below the live panel, each in its place (page_section) whether drawn or not, as a
# script run that follows a live run keeps showing (faded) what the one before drew down there.
finished = st.session_state[state.RUNS]
on_this_dataset = [r for r in finished if r.dataset == dataset_name]
entry = state.current_model()
result_shown = bool(on_this_dataset) and run is None
confusion_shown = run is None and entry is not None and entry.dataset == dataset_name
with page_section(result_shown, run_is_live=run is not None):
    if result_shown:
        show_result(on_this_dataset[-1])
with page_section(confusion_shown, run_is_live=run is not None):
    if confusion_shown:
        show_confusion(entry, dataset)
with page_section(bool(finished), run_is_live=run is not None):
    if finished:
        show_runs(finished)

if run is not None:
    trained_on = dataset_or_stop(run.dataset_name)  # the sidebar may show another dataset now
    panel = LivePanel(live_slot, trained_on.class_names, len(trained_on.train_labels))
    follow_live_run(panel.show, keep_following=live_view_on)
    # Only after the view is drawn (follow_live_run returns at once when not following): the
    # note must not appear while the panel still shows the previous script run's last redraw.
    if not live_view_on and run.view().status != RunStatus.PAUSED:
        # The panel stands still, so the sidebar's small status moves instead, and brings the
        # results in when the run ends.
        sidebar_run_status()
        frozen_note.caption(
            _(
                "📷 Live view is off: this is the run as it was at your last click. It goes on "
                "training (the sidebar shows how far), and its results appear here when it ends; "
                "turn Live view on to follow it here."
            )
        )
