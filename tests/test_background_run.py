"""BackgroundRun's controls return once they have taken effect; Stop keeps a coherent model; runs
take turns from the FairScheduler: the cap holds, a paused or stopped run holds nothing, and the
same seed gives the same weights however the runs share the server.

With Live view on, a paused run is drawn once and not again until the visitor's next click, so
Pause and One step must not return before the thread has done what they ask: the page drawn
right after them shows the step the run really is at.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager

import numpy as np
import pytest

from core.train import RunStatus, TrainConfig
from tests.apptest_helpers import tiny_dataset, wait_until
from ui.background import BackgroundRun, RunView
from ui.scheduler import FairScheduler

PAUSED, QUEUED, RUNNING = RunStatus.PAUSED, RunStatus.QUEUED, RunStatus.RUNNING
# Batch 1 over 100 epochs: far more steps than a test waits for.
LONG = TrainConfig(epochs=100, batch_size=1)


def _run(
    paused: bool = False, scheduler: FairScheduler | None = None, name: str = "t"
) -> BackgroundRun:
    run = BackgroundRun(name, LONG, tiny_dataset(), scheduler or FairScheduler(capacity=1))
    run.start(paused=paused)
    return run


@contextmanager
def stopped_at_the_end(*runs: BackgroundRun):
    try:
        yield runs
    finally:
        for run in runs:
            run.stop()
        for run in runs:
            run.join(5)
        assert not any(run.alive for run in runs)


def test_pause_returns_with_the_thread_held_between_steps():
    run = _run()
    try:
        wait_until(lambda: run.view().global_step >= 50, what="the run to start")
        for _ in range(5):  # pause repeatedly: each time the count must already stand still
            run.pause()
            view = run.view()
            assert view.status == PAUSED
            time.sleep(0.2)  # time enough for a run that went on to take steps
            assert run.view().global_step == view.global_step, "it moved after pause() returned"
            run.resume()
            wait_until(lambda v=view: run.view().global_step > v.global_step, what="a step")
    finally:
        run.stop()
        run.join(5)
    assert not run.alive


def test_step_once_returns_after_its_step():
    run = _run(paused=True)
    try:
        for expected in (1, 2, 3):
            run.step_once()
            assert run.view().global_step == expected
            assert run.view().last_batch_loss is not None
        time.sleep(0.2)  # time enough for a run that went on to take steps
        assert run.view().global_step == 3, "a paused run takes no step of its own"
    finally:
        run.stop()
        run.join(5)
    assert not run.alive


def test_a_stopped_run_gives_the_model_of_its_last_epoch_labelled_stopped():
    data = tiny_dataset()
    run = _run()
    try:
        wait_until(
            lambda: run.view().history and run.view().global_step % len(data.train_labels) >= 10,
            timeout=20,
            what="an epoch to end",
        )
    finally:
        run.stop()
        run.join(5)
    view = run.view()
    assert view.status == "stopped"
    model = run.model
    assert model.metrics["status"] == "stopped"
    # The accuracy it is labelled with is the accuracy of its weights (not mid-epoch ones).
    X_test = data.test_images / np.float32(255)
    accuracy = (model.predict(X_test) == data.test_labels).mean()
    assert accuracy == pytest.approx(view.history[-1]["test_acc"])


def _view(**progress) -> RunView:
    values = dict(
        name="t",
        config=TrainConfig(),
        dataset="tiny",
        status=RunStatus.RUNNING,
        message="",
        global_step=0,
        total_steps=3000,
        epoch=0,
        elapsed=0.0,
        last_batch_loss=None,
        steps_per_sec=0.0,
        step_losses=[],
        step_accs=[],
        history=[],
        latest_W=None,
    )
    return RunView(**{**values, **progress})


def test_the_time_left_follows_the_average_pace_not_the_last_half_second():
    # 1,000 steps in 2 s of computing: 2,000 more take 4 s, whatever the last window's speed.
    for window_speed in (50.0, 500.0, 5000.0):
        view = _view(global_step=1000, elapsed=2.0, steps_per_sec=window_speed)
        assert view.eta_seconds == pytest.approx(4.0)
    # In the first second, the window's speed is all there is.
    assert _view(global_step=100, elapsed=0.2, steps_per_sec=500.0).eta_seconds == 5.8
    assert _view(status=RunStatus.PAUSED, global_step=1000, elapsed=2.0).eta_seconds is None
    assert _view().eta_seconds is None


def test_the_time_left_accounts_for_the_share_of_the_server():
    # Computing half of the time, the 4 s of computing left take 8 s.
    view = _view(global_step=1000, elapsed=2.0, sharing_with=3, share=0.5)
    assert view.eta_seconds == pytest.approx(8.0)
    # The window's wall-clock speed already shows the share: it is not divided again.
    view = _view(global_step=100, elapsed=0.2, steps_per_sec=250.0, sharing_with=3, share=0.5)
    assert view.eta_seconds == pytest.approx(11.6)


# ---------------------------------------------------------------------------------------------
# Turns from the scheduler


class StepLog:
    """Wraps the trainers of runs not started yet: which run stepped, in order, and the most
    steps that were in progress at the same moment."""

    def __init__(self):
        self._lock = threading.Lock()
        self._inside = 0
        self.most_at_once = 0
        self.order: list[str] = []

    def watch(self, run: BackgroundRun) -> BackgroundRun:
        trainer = run._trainer
        step = trainer.step

        def logged_step():
            with self._lock:
                self._inside += 1
                self.most_at_once = max(self.most_at_once, self._inside)
                self.order.append(run.name)
            try:
                return step()
            finally:
                with self._lock:
                    self._inside -= 1

        trainer.step = logged_step
        return run

    def switches(self) -> int:
        """How often the stepping run changed: turns taken in alternation."""
        with self._lock:
            order = list(self.order)
        return sum(a != b for a, b in zip(order, order[1:], strict=False))


@pytest.mark.parametrize("capacity", [1, 2])
def test_no_more_runs_step_at_once_than_the_capacity(capacity):
    scheduler = FairScheduler(capacity=capacity, turn_seconds=0.02)
    log = StepLog()
    runs = [log.watch(BackgroundRun(f"r{i}", LONG, tiny_dataset(), scheduler)) for i in range(3)]
    with stopped_at_the_end(*runs):
        for run in runs:
            run.start()
        # Every run trains, turn after turn (for capacity 2, until two were seen stepping at
        # once: the log sees overlapping steps when they happen).
        wait_until(
            lambda: log.switches() >= 12 and all(r.view().global_step > 0 for r in runs),
            timeout=30,
            what="the runs taking turns",
        )
        if capacity == 2:
            wait_until(lambda: log.most_at_once == 2, timeout=30, what="two steps at once")
        assert all(r.view().status == RUNNING for r in runs)
        assert scheduler.active <= capacity
    assert log.most_at_once == capacity
    assert scheduler.active == 0 and scheduler.waiting == 0


def test_a_paused_run_holds_no_turn_and_the_other_run_trains():
    scheduler = FairScheduler(capacity=1)
    first = _run(scheduler=scheduler, name="first")
    second = BackgroundRun("second", LONG, tiny_dataset(), scheduler)
    with stopped_at_the_end(first, second):
        wait_until(lambda: first.view().global_step > 0, what="the first run to train")
        first.pause()
        paused_at = first.view().global_step
        second.start()
        wait_until(lambda: second.view().global_step > 500, timeout=20, what="the second run")
        assert first.view().global_step == paused_at and first.view().status == PAUSED
        assert first.started_at <= first.first_turn_at <= second.first_turn_at
        assert second.view().sharing_with == 0 and second.view().share == 1.0
        # Resumed, it takes turns again, and both see that they share the server.
        first.resume()
        wait_until(lambda: first.view().global_step > paused_at, what="the first run's turn")
        wait_until(lambda: second.view().sharing_with == 1, what="the second run to share")
        assert second.view().share == pytest.approx(0.5)


def test_queued_until_its_first_turn_and_pause_or_stop_leave_the_queue_at_once():
    scheduler = FairScheduler(capacity=1)
    someone = scheduler.request("another visitor")  # holds the only turn
    run = _run(scheduler=scheduler)
    with stopped_at_the_end(run):
        wait_until(lambda: scheduler.waiting == 1, what="the run to line up")
        view = run.view()
        assert view.status == QUEUED and view.global_step == 0 and run.first_turn_at is None
        assert view.sharing_with == 1 and view.share == pytest.approx(0.5)
        run.pause()  # returns once the run has left the queue
        assert scheduler.waiting == 0 and run.view().status == PAUSED
        run.resume()
        wait_until(lambda: scheduler.waiting == 1, what="the run to line up again")
        run.stop()
        run.join(timeout=2)
        assert not run.alive, "stop while waiting ends the thread at once"
        assert run.view().status == "stopped" and run.view().global_step == 0
        assert scheduler.waiting == 0 and someone.held
    someone.release()
    assert scheduler.active == 0


def test_one_step_while_another_run_trains_takes_one_step_per_click():
    scheduler = FairScheduler(capacity=1)
    trains = _run(scheduler=scheduler, name="trains")
    steps = _run(paused=True, scheduler=scheduler, name="steps")
    with stopped_at_the_end(trains, steps):
        wait_until(lambda: trains.view().global_step > 0, what="the training run")
        for expected in (1, 2, 3):
            steps.step_once(wait=5.0)
            assert steps.view().global_step == expected
        assert steps.view().status == PAUSED and trains.view().status == RUNNING


def test_the_same_seed_gives_the_same_weights_whether_runs_share_or_not():
    config = TrainConfig(epochs=20, batch_size=4, seed=7)  # 2,560 steps on the tiny set
    solo = BackgroundRun("solo", config, tiny_dataset(), FairScheduler(capacity=1))
    solo.start()
    solo.join(60)
    # Two runs with the same settings take tiny turns, in alternation, on one core.
    scheduler = FairScheduler(capacity=1, turn_seconds=0.002)
    log = StepLog()
    pair = [log.watch(BackgroundRun(n, config, tiny_dataset(), scheduler)) for n in "ab"]
    with stopped_at_the_end(*pair):
        for run in pair:
            run.start()
        for run in pair:
            run.join(60)
    assert log.switches() > 10, "the runs did not share the core"
    for run in (solo, *pair):
        assert run.view().status == "finished"
    for run in pair:
        assert np.array_equal(run.model.W, solo.model.W)
        assert np.array_equal(run.model.b, solo.model.b)


# ---------------------------------------------------------------------------------------------
# The watchable pace


def test_a_paced_run_gives_the_same_weights_as_a_full_speed_run():
    config = TrainConfig(epochs=3, batch_size=16, seed=11)  # 32 steps an epoch on the tiny set
    full = BackgroundRun("full", config, tiny_dataset(), FairScheduler(capacity=1))
    paced = BackgroundRun("paced", config, tiny_dataset(), FairScheduler(capacity=1))
    paced.set_pace(0.3)  # about 107 steps a second, in ticks: many turns and sleeps
    for run in (full, paced):
        run.start()
    with stopped_at_the_end(full, paced):
        wait_until(lambda: paced.view().global_step > 0, what="the paced run")
        assert paced.view().paced_steps_per_sec == pytest.approx(32 / 0.3)
        for run in (full, paced):
            run.join(30)
    for run in (full, paced):
        assert run.view().status == "finished"
    assert np.array_equal(paced.model.W, full.model.W)
    assert np.array_equal(paced.model.b, full.model.b)


def test_paced_runs_hold_no_turn_while_they_wait_so_all_progress_on_one_slot():
    # One slot and turns of a minute: a paced run that kept its turn while it waited for its
    # next step would keep the others out for that minute.
    scheduler = FairScheduler(capacity=1, turn_seconds=60)
    runs = [BackgroundRun(f"p{i}", LONG, tiny_dataset(), scheduler) for i in range(6)]
    for run in runs:
        run.set_pace(5.0)  # batch 1: 512 steps an epoch, about 102 a second
        run.start()
    with stopped_at_the_end(*runs):
        wait_until(
            lambda: all(r.view().global_step >= 100 for r in runs),
            timeout=30,
            what="every paced run to take 100 steps",
        )
        assert all(r.view().status == RUNNING for r in runs)
        # Between their ticks they all sleep at once, holding nothing and asking for nothing.
        wait_until(lambda: scheduler.active == 0 and scheduler.waiting == 0, what="a free slot")


def test_a_paced_run_that_waited_for_its_first_turn_starts_at_its_pace_not_in_a_burst():
    scheduler = FairScheduler(capacity=1, turn_seconds=60)
    blocker = _run(scheduler=scheduler, name="blocker")  # holds the only slot
    paced = BackgroundRun("paced", LONG, tiny_dataset(), scheduler)
    paced.set_pace(5.0)  # batch 1: 512 steps an epoch, about 102 a second
    with stopped_at_the_end(blocker, paced):
        wait_until(lambda: blocker.view().global_step > 0, what="the blocker's turn")
        paced.start()
        time.sleep(1.5)  # queued: 150 steps' worth of its pace go by
        assert paced.view().status == QUEUED
        blocker.pause()
        wait_until(lambda: paced.view().global_step > 0, what="the paced run's first step")
        time.sleep(0.2)
        # At its pace 0.2 s is about 20 steps (a tick of about 10 at a time); owed since its
        # start, the queued time would come as a burst of about 100 (a second's catch-up).
        assert paced.view().global_step <= 50


def test_a_paced_run_pauses_at_once_and_full_speed_leaves_the_pace():
    run = _run()
    run.set_pace(60.0)  # 512 steps a minute: it sleeps between its ticks
    with stopped_at_the_end(run):
        wait_until(lambda: run.view().global_step > 0, what="a paced step")
        run.pause()
        view = run.view()
        assert view.status == PAUSED
        time.sleep(0.3)
        assert run.view().global_step == view.global_step
        run.resume()
        run.set_pace(None)
        assert run.view().paced_steps_per_sec is None
        wait_until(lambda: run.view().global_step > view.global_step + 200, what="full speed")


def test_the_time_left_of_a_paced_run_is_at_least_its_pace():
    view = _view(global_step=100, elapsed=2.0, steps_per_sec=50.0, paced_steps_per_sec=10.0)
    assert view.eta_seconds == pytest.approx(290.0)  # 2,900 steps left at 10 a second
