"""The Train page's run controls: the pace (full speed, watchable, step by step) and the buttons
(pause, resume, stop, one step, reset, live view)."""

from __future__ import annotations

import streamlit as st

from core.datasets import Dataset
from core.train import RunStatus
from ui import state
from ui.background import BackgroundRun
from ui.i18n import N_, _
from ui.pace import WATCHABLE_EPOCH_SECONDS
from ui.train_form import checked_config, next_run_values, reset, seed_used
from ui.training import apply_pace, step_once, stop_live_run

# The pace control's widget key (its choice is kept in state.PACE: Streamlit forgets a widget's
# key on a page that does not draw it).
PACE_INPUT = "train_pace_input"
PACE_LABELS = {
    "full": N_("⏩ Full speed"),
    "watchable": N_("👀 Watchable"),
    "step": N_("👣 Step by step"),
}
PACE_HELP = N_(
    "Full speed trains as fast as the server can; Watchable takes one epoch every {seconds} "
    "seconds, so the loss curve and the ten templates form while you watch; Step by step "
    "trains one minibatch per click on One step. The pace changes only when the steps happen, "
    "never what they compute: the same seed gives the same weights at every pace."
)


def pace_help() -> str:
    return _(PACE_HELP).format(seconds=f"{WATCHABLE_EPOCH_SECONDS:g}")


def _pace_changed() -> None:
    apply_pace(st.session_state[PACE_INPUT])


def pace_control() -> str:
    """The pace: for the live run at once, and for the next ones."""
    st.session_state.setdefault(PACE_INPUT, st.session_state[state.PACE])
    return st.segmented_control(
        _("Pace"),
        options=list(PACE_LABELS),
        format_func=lambda pace: _(PACE_LABELS[pace]),
        required=True,
        key=PACE_INPUT,
        on_change=_pace_changed,
        help=pace_help(),
        label_visibility="collapsed",
    )


def run_controls(run: BackgroundRun | None, form_error, dataset: Dataset) -> None:
    """The pace and the buttons, in one row.

    The same buttons in every state, enabled or not: while a script run follows the live run,
    an element that another took the place of would stay on screen, faded, until the run ends."""
    status = run.view().status if run is not None else None
    controls = st.container(horizontal=True, vertical_alignment="center")
    with controls:
        pace = pace_control()
    if controls.button(_("⏸️ Pause"), disabled=status not in (RunStatus.RUNNING, RunStatus.QUEUED)):
        run.pause()
        st.rerun()
    if controls.button(_("⏯️ Resume"), disabled=status != RunStatus.PAUSED or pace == "step"):
        run.resume()
        st.rerun()
    if controls.button(
        _("⏹️ Stop"),
        disabled=run is None,
        help=_(
            "End the run now; the weights after its last finished epoch (if any) become a model."
        ),
    ):
        stop_live_run()
        st.rerun()
    if controls.button(
        _("⏭️ One step"),
        disabled=run is not None and status != RunStatus.PAUSED,
        type="primary" if pace == "step" else "secondary",
        help=_("Train one minibatch. Starts a paused run if none is going."),
    ):
        # A new paused run takes the settings last started with, checked as Start checks them.
        n_train = len(dataset.train_labels)
        new_config = None if run else checked_config(next_run_values(), form_error, n_train)
        if run is not None or new_config is not None:
            step_once(new_config, dataset)
            if new_config is not None:
                seed_used(new_config.seed)
            st.rerun()
    controls.button(
        _("↩️ Reset"),
        help=_(
            "Stop any run (it stays in the runs table), clear the live view and restore the "
            "notebook's settings."
        ),
        on_click=reset,
    )


def live_view_toggle() -> bool:
    """Whether the page follows the live run. Drawn under the form, or in the folded form's
    summary line: a container keeps the children it had in the script run before, faded, until
    this one draws something in their place, so the folded form draws as many (the last empty)."""
    return st.toggle(
        _("📡 Live view"),
        value=True,
        key=state.LIVE_VIEW,
        help=_(
            "Redraw the run's progress about once a second while it trains. Off: the page stays "
            "still (the run goes on) until you click something."
        ),
    )
