"""A session's training runs, on the Streamlit side: starting and controlling them from the Train
page, redrawing the live one, and moving a finished one into the session's runs and models.

The runs themselves (threads that never call Streamlit) are in ui/background.py. The Train page
shows `BackgroundRun.view()` and, while the run can change, keeps redrawing it from the same
script run about every 0.75 s (`follow_live_run`), so the browser gets 1-2 chart updates a second
however fast the trainer steps. Each session owns its runs through a session-scoped resource
whose release (tab closed, websocket lost) stops the thread. A process-wide FairScheduler
(ui/scheduler.py) grants the runs short turns, at most one per core at once: runs that want to
train take turns, a paused run holds nothing, and a run waits "queued" only until its first turn.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable

import streamlit as st
from streamlit.delta_generator import DeltaGenerator
from streamlit.runtime.scriptrunner import get_script_run_ctx

from core.datasets import DATASET_TITLES, Dataset
from core.train import RunStatus, TrainConfig
from ui import state
from ui.background import BackgroundRun, RunView, SessionRuns
from ui.i18n import N_, _
from ui.pace import WATCHABLE_EPOCH_SECONDS
from ui.scheduler import FairScheduler, capacity_from_env

# Session id -> that session's SessionRuns, while the session holds them (see runs_of_session).
_RUNS_BY_SESSION: weakref.WeakValueDictionary[str, SessionRuns] = weakref.WeakValueDictionary()


@st.cache_resource
def training_scheduler() -> FairScheduler:
    """The process-wide scheduler every session's runs take turns from."""
    return FairScheduler(capacity_from_env())


@st.cache_resource(scope="session", on_release=lambda runs: runs.shutdown())
def _session_runs(session_id: str) -> SessionRuns:
    runs = SessionRuns()
    _RUNS_BY_SESSION[session_id] = runs
    return runs


def session_runs() -> SessionRuns:
    """This session's runs; released (and the thread stopped) when the session ends."""
    return _session_runs(get_script_run_ctx().session_id)


def runs_of_session(session_id: str) -> SessionRuns | None:
    """The runs of the session `session_id`, from outside its script runs (tests, diagnostics);
    None once the session has ended or before it started any."""
    return _RUNS_BY_SESSION.get(session_id)


# How a run's status reads to a visitor (RunStatus values stay English in core and records).
STATUS_WORDS = {
    RunStatus.READY: N_("ready"),
    RunStatus.QUEUED: N_("queued"),
    RunStatus.RUNNING: N_("running"),
    RunStatus.PAUSED: N_("paused"),
    RunStatus.FINISHED: N_("finished"),
    RunStatus.STOPPED: N_("stopped"),
    RunStatus.DIVERGED: N_("diverged"),
    RunStatus.FAILED: N_("failed"),
}


def status_word(status: str) -> str:
    """A run status as the visitor reads it ("finished" -> "已完成")."""
    return _(STATUS_WORDS[status]) if status in STATUS_WORDS else str(status)


# Lifecycle: what the Train page's form and buttons do.

# The Train page's paces -> seconds an epoch takes at least (None: as fast as it computes). Step by
# step is a paused run that the One step button moves on.
PACE_EPOCH_SECONDS = {"full": None, "watchable": WATCHABLE_EPOCH_SECONDS, "step": None}


def chosen_pace() -> str:
    return st.session_state[state.PACE]


def apply_pace(pace: str) -> None:
    """Choose `pace` for the next runs and the live one: step by step pauses it, the other two
    set it going at their pace."""
    st.session_state[state.PACE] = pace
    run = session_runs().live
    if run is None:
        return
    run.set_pace(PACE_EPOCH_SECONDS[pace])
    if pace == "step":
        run.pause()
    else:
        run.resume()


def end_live_run() -> None:
    """Stop the live run, if any, and keep its record: nothing is thrown away silently."""
    runs = session_runs()
    if runs.live is not None:
        runs.shutdown()
        collect_finished_run()


def start_run(config: TrainConfig, dataset: Dataset, paused: bool = False) -> BackgroundRun:
    """End the live run (keeping its record) and start a new one with `config` on `dataset`, at
    the chosen pace (step by step: paused)."""
    end_live_run()
    # training_scheduler() is a Streamlit call, where a newer click can stop this script run: call
    # it before SessionRuns numbers the run, or the next Start would make a "Run 2" of Run 1.
    scheduler = training_scheduler()
    pace = chosen_pace()
    return session_runs().start(
        config,
        dataset,
        scheduler,
        paused=paused or pace == "step",
        epoch_seconds=PACE_EPOCH_SECONDS[pace],
    )


def start_unless_repeated(config: TrainConfig, dataset: Dataset, seed_moves_on: bool) -> bool:
    """Start's click: a new run, unless it is the second click of a double click on Start; True
    when a run started. `seed_moves_on`: the seed is not pinned, so the form moved on to the
    next seed after the first click (the second click may carry it)."""
    if session_runs().is_repeat_start(config, dataset, seed_moves_on):
        return False
    start_run(config, dataset)
    return True


def step_once(config: TrainConfig | None, dataset: Dataset) -> None:
    """One step's click: one minibatch of the paused live run, or of a new paused run with
    `config` (needed then) when there is none."""
    run = session_runs().live
    if run is None:
        run = start_run(config, dataset, paused=True)
    run.step_once()


def stop_live_run() -> None:
    run = session_runs().live
    if run is not None:
        run.stop()
        run.join(timeout=5)


def forget_live_run() -> None:
    """Stop the live run, keep its record, and clear the live view (Reset)."""
    end_live_run()
    session_runs().current = None


# Drawing the live run.

# Seconds between redraws of a live run: the browser manages 1-2 chart updates a second.
REFRESH_SECONDS = 0.75
# Streamlit's "Running... Stop" widget in the page header (its own e2e tests use this id).
STATUS_WIDGET = '[data-testid="stStatusWidget"]'


def follow_live_run(show: Callable[[RunView], None], keep_following: bool = True) -> None:
    """Draw this session's live run with `show`, then redraw it every REFRESH_SECONDS for as long
    as it can change (queued or running); a run that has ended triggers a full rerun instead,
    which collects it (see collect_finished_run) and shows its results.

    Call it last on the page: this script run stays in the loop. A visitor's click or page switch
    starts a new script run and stops this one at its next redraw (`show` must draw something
    every time: each element sent is a point where Streamlit can stop the script). A closed tab
    ends the session, which stops this loop and, through session_runs, the training thread.

    Why not `st.fragment(run_every=...)`: its timer lives in the browser, is cleared by every
    full-page run and armed again by a message of that run. Under load (10 sessions training on
    2 cores) Streamlit 1.67 sometimes drops the end of a finished run's messages when a request
    arrives before they are sent, and the page then never polls again.
    """
    if keep_following:
        # While this script run follows the run, Streamlit's header shows "Running..." and a Stop
        # button that would only freeze this view (training goes on): the page's own progress
        # and buttons say and do it properly, so hide that widget meanwhile.
        st.html(f"<style>{STATUS_WIDGET} {{display: none;}}</style>")
    while (view := live_run_view()) is not None:
        show(view)
        if not keep_following or view.status == RunStatus.PAUSED:
            return  # a paused run changes only on this visitor's click, which redraws the page
        time.sleep(REFRESH_SECONDS)


def page_section(drawn: bool, run_is_live: bool) -> DeltaGenerator:
    """The place of one part of the Train page, kept whether the part is drawn or not; draw into
    it with `with page_section(...):`.

    Not drawn: an empty slot (`st.empty()`), which takes no room. A script run following a live
    run does not end, and until it does Streamlit keeps showing (faded) whatever the run before
    drew in a place nothing replaces. Drawn while a run is live: a slot's container, likewise.
    Drawn otherwise: a plain container. A slot's container reaches the browser as an empty element
    first, and now and then the browser rebuilt the whole part (the keyboard focus lost).
    """
    if not drawn:
        return st.empty()
    return st.empty().container() if run_is_live else st.container()


def live_run_view() -> RunView | None:
    """The view of this session's live run, None without one.

    A run that has just ended triggers a full rerun instead, which collects it into the session
    (see collect_finished_run) and shows its results.
    """
    run = session_runs().live
    if run is None:
        return None
    view = run.view()
    if view.is_final:
        st.rerun()
    return view


def collect_finished_run() -> RunView | None:
    """Move a run that has ended into the session: its record, and its model as the current one.

    Called on every script run (any page), so a run that ends while the visitor is on another page
    still lands. Returns the view of the run it collected, else None.
    """
    runs = session_runs()
    run = runs.live
    if run is None:
        return None
    view = run.view(with_snapshots=True)
    if not view.is_final:
        return None
    runs.collected = True
    model_name = ""
    if view.history:  # at least one full epoch: worth keeping as a model
        test_acc = view.history[-1]["test_acc"]
        model_name = state.unique_name(
            f"{view.name} ({DATASET_TITLES[view.dataset]}, {test_acc:.2%})"
        )
        state.add_model(
            state.ModelEntry(
                name=model_name,
                model=run.model,
                dataset=view.dataset,
                origin="trained",
                test_acc=test_acc,
                snapshots=view.snapshots,
            ),
            make_current=becomes_current(view),
        )
    state.add_run(
        state.RunRecord(
            name=view.name,
            config=view.config.to_dict(),
            history=view.history,
            step_losses=view.step_losses,
            outcome=view.status,
            message=view.message,
            seconds=view.elapsed,
            dataset=view.dataset,
            wall_seconds=view.wall_seconds,
            model_name=model_name,
        )
    )
    return view


def becomes_current(view: RunView) -> bool:
    """Whether a run that ended makes its model the current one: when it finished an epoch
    (its weights are that epoch's) and did not diverge."""
    return bool(view.history) and view.status != RunStatus.DIVERGED
