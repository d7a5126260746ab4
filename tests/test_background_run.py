"""BackgroundRun's controls return once they have taken effect; Stop keeps a coherent model.

With Live view on, a paused run is drawn once and not again until the visitor's next click, so
Pause and One step must not return before the thread has done what they ask: the page drawn
right after them shows the step the run really is at.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from core.train import RunStatus, TrainConfig
from tests.apptest_helpers import tiny_dataset, wait_until
from ui.background import BackgroundRun, RunView, TrainingSlots

PAUSED = RunStatus.PAUSED


def _run(paused: bool = False) -> BackgroundRun:
    # Batch 1 over 100 epochs: far more steps than a test waits for.
    config = TrainConfig(epochs=100, batch_size=1)
    run = BackgroundRun("t", config, tiny_dataset(), TrainingSlots(1))
    run.start(paused=paused)
    return run


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
    # 1,000 steps in 2 s: 2,000 more take 4 s, whatever the last window's speed was.
    for window_speed in (50.0, 500.0, 5000.0):
        view = _view(global_step=1000, elapsed=2.0, steps_per_sec=window_speed)
        assert view.eta_seconds == pytest.approx(4.0)
    # In the first second, the window's speed is all there is.
    assert _view(global_step=100, elapsed=0.2, steps_per_sec=500.0).eta_seconds == 5.8
    assert _view(status=RunStatus.PAUSED, global_step=1000, elapsed=2.0).eta_seconds is None
    assert _view().eta_seconds is None
