"""The Confidence and Experiments pages through AppTest: the numbers agree with core, an
experiment's runs train one after another, and a cancelled experiment stops."""

from __future__ import annotations

import numpy as np
import pytest

from core.calibration import expected_calibration_error, fit_temperature, logits_uint8
from core.datasets import load_dataset
from core.model import softmax
from tests.apptest_helpers import rerun_until, session_run
from ui import experiment_catalog, state, training
from ui.experiment_catalog import Experiment, ExperimentRun
from ui.i18n import percent
from ui.loaders import shipped_model

FULL_BATCH = dict(batch_size=60_000, epochs=2, log_every=1)


def test_confidence_page_shows_cores_ece_and_temperature(app):
    app.switch_page("pages/calibration.py").run()
    assert not app.exception
    model, data = shipped_model(), load_dataset("mnist")
    logits = logits_uint8(model.W, model.b, data.test_images)
    probs = softmax(logits)
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["expected calibration error"] == percent(
        expected_calibration_error(probs, data.test_labels)
    )
    accuracy = np.mean(probs.argmax(axis=1) == data.test_labels)
    assert metrics["accuracy"] == percent(accuracy)
    temperature = fit_temperature(logits[::2], data.test_labels[::2])
    assert metrics["fitted temperature T"] == f"{temperature:.3f}"
    grid = app.get("html")
    assert any("said" in h.proto.body and "was" in h.proto.body for h in grid)


@pytest.fixture
def tiny_experiments(monkeypatch):
    """Two quick experiments on MNIST (full-batch runs: one step an epoch) and a slow one."""
    quick = Experiment(
        "quick",
        "Quick",
        "full batch",
        "look",
        tuple(
            ExperimentRun(f"lr {lr}", experiment_catalog.TrainConfig(lr=lr, **FULL_BATCH))
            for lr in (0.5, 1.0, 2.0)
        ),
        templates=True,
    )
    held_out = Experiment(
        "held_out",
        "Held out",
        "full batch",
        "look",
        (
            ExperimentRun(
                "lr 1",
                experiment_catalog.TrainConfig(lr=1.0, **{**FULL_BATCH, "batch_size": 50_000}),
            ),
        ),
        validation=True,
    )
    slow = Experiment(
        "slow",
        "Slow",
        "batch 1",
        "look",
        tuple(
            ExperimentRun(f"seed {s}", experiment_catalog.TrainConfig(batch_size=1, seed=s))
            for s in (0, 1)
        ),
    )
    for experiment in (quick, held_out, slow):
        monkeypatch.setitem(experiment_catalog.BY_KEY, experiment.key, experiment)
    monkeypatch.setattr(experiment_catalog, "EXPERIMENTS", (quick, held_out, slow))
    starts = []
    original = training.start_run

    def recording_start(config, dataset, paused=False):
        live = training.session_runs().live
        starts.append((config, live is None or live.view().is_final))
        return original(config, dataset, paused)

    monkeypatch.setattr(training, "start_run", recording_start)
    return starts


def _run_experiment(app, key):
    app.switch_page("pages/experiments.py").run()
    app.selectbox(key=state.EXPERIMENT_CHOICE).set_value(key).run()
    next(b for b in app.button if b.label == "Run this experiment").click().run()
    assert not app.exception


def _wait_until_done(app, key):
    rerun_until(app, lambda at: not at.session_state[state.EXPERIMENTS][key].busy, 120, key)


def test_an_experiment_runs_its_runs_one_after_another(app, tiny_experiments):
    _run_experiment(app, "quick")
    _wait_until_done(app, "quick")
    queue = app.session_state[state.EXPERIMENTS]["quick"]
    configs = [run.config for run in experiment_catalog.BY_KEY["quick"].runs]
    assert [config for config, _ in tiny_experiments] == configs
    assert all(previous_ended for _, previous_ended in tiny_experiments)
    assert [r.status for r in queue.results] == ["finished"] * 3
    assert [len(r.history) for r in queue.results] == [2, 2, 2]
    records = app.session_state[state.RUNS]
    assert [r.name for r in records] == [r.name for r in queue.results]
    app.run()
    assert "All 3 runs ended." in " ".join(c.value for c in app.caption)
    assert app.dataframe and len(app.dataframe[0].value) == 3


def test_a_validation_run_reports_the_test_set_as_test(app, tiny_experiments):
    _run_experiment(app, "held_out")
    _wait_until_done(app, "held_out")
    record = app.session_state[state.RUNS][-1]
    data = load_dataset("mnist")
    model = session_run().model
    last = record.history[-1]
    test_acc = np.mean(model.predict(data.test_images / 255.0) == data.test_labels)
    val_acc = np.mean(
        model.predict(data.train_images[50_000:] / 255.0) == data.train_labels[50_000:]
    )
    assert last["test_acc"] == pytest.approx(test_acc)
    assert last["val_acc"] == pytest.approx(val_acc)
    current = app.session_state[state.CURRENT_MODEL]
    entry = app.session_state[state.MODELS][current]
    assert entry.test_acc == pytest.approx(test_acc)
    assert current == entry.name == f"{record.name} (MNIST, {test_acc:.2%})"
    assert app.sidebar.selectbox[1].value == current, "the sidebar shows the renamed model"
    assert [m.label for m in app.metric] == [
        "Chosen by validation accuracy",
        "Chosen by test accuracy",
    ]


def test_a_cancelled_experiment_stops_its_run_and_its_queue(app, tiny_experiments):
    _run_experiment(app, "slow")
    assert len(tiny_experiments) == 1
    next(b for b in app.button if b.label == "Cancel the experiment").click().run()
    assert not app.exception
    run = session_run()
    run.join(timeout=10)
    assert run.view().status == "stopped"
    for _ in range(3):
        app.run()
    assert len(tiny_experiments) == 1
    queue = app.session_state[state.EXPERIMENTS]["slow"]
    assert queue.cancelled and not queue.busy
    assert "Cancelled after 0 of 2 runs." in " ".join(c.value for c in app.caption)
    assert [r.outcome for r in app.session_state[state.RUNS]] == ["stopped"]
