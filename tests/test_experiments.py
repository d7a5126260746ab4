"""The Experiments page's pure parts: the catalogue, the validation split and choice, and the
queue that starts an experiment's runs one after another."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from core.datasets import Dataset
from core.train import RunStatus, TrainConfig
from ui.experiment_catalog import EXPERIMENTS, choices, validation_split
from ui.experiments import ExperimentQueue, advance, result_of


def test_every_experiment_has_valid_short_runs_that_differ():
    for experiment in EXPERIMENTS:
        configs = [run.config.validate() for run in experiment.runs]
        assert 2 <= len(configs) <= 4
        assert len(set(configs)) == len(configs), experiment.key
        assert all(c.epochs <= 6 for c in configs)


def test_every_experiment_states_its_runs_epochs_and_count():
    """The settings text repeats facts of the configs: it must change when they do."""
    counts = {2: "two runs", 3: "three runs", 4: "four runs"}
    for experiment in EXPERIMENTS:
        epochs = {run.config.epochs for run in experiment.runs}
        assert len(epochs) == 1, experiment.key
        assert f"{epochs.pop()} epochs each" in experiment.settings, experiment.key
        assert counts[len(experiment.runs)] in experiment.settings, experiment.key


def test_validation_split_holds_out_the_last_training_images():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (100, 784), dtype=np.uint8)
    labels = rng.integers(0, 10, 100).astype(np.uint8)
    data = Dataset("mnist", images, labels, images[:5], labels[:5], tuple("0123456789"))
    split = validation_split(data, size=30)
    assert np.array_equal(split.train_images, images[:70])
    assert np.array_equal(split.test_images, images[70:])
    assert np.array_equal(split.test_labels, labels[70:])
    with pytest.raises(ValueError):
        validation_split(data, size=100)


def test_choosing_by_test_is_never_worse_on_test_than_choosing_by_validation():
    by_val, by_test = choices([[0.90, 0.93], [0.92, 0.91]], [[0.89, 0.90], [0.92, 0.905]])
    assert (by_val.run, by_val.epoch, by_val.test_acc) == (0, 2, 0.90)
    assert (by_test.run, by_test.epoch, by_test.test_acc) == (1, 1, 0.92)
    with pytest.raises(ValueError):
        choices([[]], [[]])


class FakeRun:
    def __init__(self, name, config):
        self.name, self.config, self.status = name, config, RunStatus.RUNNING

    def view(self, with_snapshots=False):
        return SimpleNamespace(
            name=self.name,
            config=self.config,
            status=self.status,
            is_final=self.status.is_final,
            history=[{"epoch": 1, "test_acc": 0.9}],
            step_losses=[(1, 2.0)],
            elapsed=1.5,
            snapshots=[(1, np.ones((784, 10)), np.zeros(10))],
        )


class FakeSession:
    """The session's one training slot: starting replaces its run."""

    def __init__(self):
        self.current, self.started = None, []

    def start(self, config):
        self.current = FakeRun(f"Run {len(self.started) + 1}", config)
        self.started.append(config)
        return self.current


def _finish(view, label):
    return result_of(view, label, 60_000)


def test_the_queue_starts_the_next_run_only_after_the_previous_ended():
    session, queue = FakeSession(), ExperimentQueue("learning_rate", "mnist")
    runs = queue.experiment.runs
    assert advance(queue, session, session.start, _finish)
    assert session.started == [runs[0].config] and queue.running == "Run 1"
    for _ in range(3):  # still training: nothing new
        assert not advance(queue, session, session.start, _finish)
    assert len(session.started) == 1
    session.current.status = RunStatus.FINISHED
    assert advance(queue, session, session.start, _finish)
    assert session.started == [runs[0].config, runs[1].config]
    assert [r.label for r in queue.results] == [runs[0].label]
    assert queue.results[0].steps_per_epoch == 469 and queue.results[0].final_W.shape == (784, 10)
    for k in range(1, len(runs)):
        session.current.status = RunStatus.STOPPED if k == 2 else RunStatus.FINISHED
        advance(queue, session, session.start, _finish)
    assert len(session.started) == len(runs) and queue.running is None and not queue.busy
    assert [r.status for r in queue.results][2] == RunStatus.STOPPED
    assert not advance(queue, session, session.start, _finish)


def test_another_run_in_the_slot_interrupts_the_queue():
    session, queue = FakeSession(), ExperimentQueue("init", "mnist")
    advance(queue, session, session.start, _finish)
    session.start(TrainConfig(epochs=1))  # a Start on the Train page
    assert advance(queue, session, session.start, _finish)
    assert queue.interrupted and not queue.busy
    session.current.status = RunStatus.FINISHED
    assert not advance(queue, session, session.start, _finish)
    assert len(session.started) == 2 and queue.results == []


def test_a_cancelled_queue_starts_nothing():
    session, queue = FakeSession(), ExperimentQueue("init", "mnist")
    advance(queue, session, session.start, _finish)
    queue.cancelled, queue.running = True, None
    session.current.status = RunStatus.STOPPED
    assert not advance(queue, session, session.start, _finish)
    assert len(session.started) == 1 and not queue.busy
