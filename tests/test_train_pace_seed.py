"""The Train page's seed rule and pace control through AppTest: each default run takes the next
seed (shown in the form before Start and in the runs table), a pinned seed or a link's repeats
a run exactly, Reset unpins; the pace applies to the live run and the next ones, and step by
step moves one minibatch per click."""

from __future__ import annotations

import numpy as np
from streamlit.testing.v1 import AppTest

from tests.apptest_helpers import (
    APPTEST_SESSION_ID,
    click,
    rerun_until,
    session_run,
    train_page,
    wait_for_runs,
)
from ui import state
from ui.pace import WATCHABLE_EPOCH_SECONDS
from ui.train_controls import PACE_INPUT
from ui.train_form import PIN_INPUT
from ui.training import runs_of_session

SEED_INPUT = state.TRAIN_INPUT_PREFIX + "seed"
# One full-batch step an epoch: a run of the notebook's other settings ends in a moment.
QUICK = {"batch_size": 60000, "epochs": 2}


def shown_seed(at: AppTest) -> int:
    return at.number_input(key=SEED_INPUT).value


def runs_table_seeds(at: AppTest) -> list[int]:
    table = at.dataframe[-1].value
    return list(table["seed"])


def test_three_default_runs_take_seeds_1_2_3_and_give_three_different_curves(app):
    train_page(app, **QUICK)
    for n, seed in enumerate((1, 2, 3), start=1):
        assert shown_seed(app) == seed, "the form shows the seed before Start"
        click(app, "Start training")
        wait_for_runs(app, n)
    assert shown_seed(app) == 4
    records = app.session_state[state.RUNS]
    assert [r.config["seed"] for r in records] == [1, 2, 3]
    assert runs_table_seeds(app) == [1, 2, 3]
    curves = [tuple(h["test_acc"] for h in r.history) for r in records]
    assert len(set(curves)) == 3, "three seeds, three different curves"
    assert any(c.label == "Pin the seed" or "Pin the seed" in c.label for c in app.toggle)


def test_a_pinned_seed_repeats_the_run_exactly_and_reset_unpins_it(app):
    train_page(app, seed=7, **QUICK)
    app.toggle(key=PIN_INPUT).set_value(True)
    click(app, "Start training")
    wait_for_runs(app, 1)
    assert shown_seed(app) == 7 and app.toggle(key=PIN_INPUT).value
    click(app, "Start training")
    wait_for_runs(app, 2)
    first, second = app.session_state[state.RUNS]
    assert first.config["seed"] == second.config["seed"] == 7
    numbers = [
        [{k: v for k, v in h.items() if k != "seconds"} for h in r.history] for r in (first, second)
    ]
    assert numbers[0] == numbers[1], "the same seed repeats the run number for number"
    assert app.query_params["seed"] == ["7"] or app.query_params["seed"] == "7"
    click(app, "Reset")
    assert not app.toggle(key=PIN_INPUT).value
    assert shown_seed(app) == 1, "no unpinned run yet: the next seed is still the first"


def test_a_seed_from_a_link_is_pinned(app):
    app.query_params["seed"] = "42"
    train_page(app, **QUICK)
    assert shown_seed(app) == 42 and app.toggle(key=PIN_INPUT).value
    click(app, "Start training")
    wait_for_runs(app, 1)
    assert app.session_state[state.RUNS][-1].config["seed"] == 42
    assert shown_seed(app) == 42


def test_the_pace_applies_to_the_live_run_and_step_by_step_takes_one_step_per_click(app):
    train_page(app)
    app.segmented_control(key=PACE_INPUT).set_value("watchable").run()
    train_page(app, epochs=100, batch_size=2)  # (a form's inputs count from the next click)
    click(app, "Start training")
    run = session_run()
    assert run.view().paced_steps_per_sec == 30_000 / WATCHABLE_EPOCH_SECONDS
    # Step by step: the run pauses; each click on One step is one minibatch.
    app.segmented_control(key=PACE_INPUT).set_value("step").run()
    rerun_until(app, lambda at: run.view().status == "paused", what="the run to pause")
    before = run.view().global_step
    for clicks in (1, 2, 3):
        click(app, "One step")
        assert run.view().global_step == before + clicks
    resume = next(b for b in app.button if "Resume" in b.label)
    assert resume.disabled, "step by step goes on by One step only"
    # Full speed: it goes on, at no pace.
    app.segmented_control(key=PACE_INPUT).set_value("full").run()
    assert run.view().status in ("running", "queued") and run.view().paced_steps_per_sec is None
    assert runs_of_session(APPTEST_SESSION_ID).live is run


def test_step_by_step_starts_a_paused_run_that_moves_one_minibatch_per_click(app):
    train_page(app)
    app.segmented_control(key=PACE_INPUT).set_value("step").run()
    click(app, "Start training")
    run = session_run()
    assert run.view().status == "paused" and run.view().global_step == 0
    click(app, "One step")
    click(app, "One step")
    assert run.view().global_step == 2
    assert np.isfinite(run.view().last_batch_loss)
