"""What a class reads after a run, an upload or on Explore (issue 15's new-user findings): the
finished run says it became the current model, its time is told as computing time and time on
the clock, stepping by hand shows each step's templates, the runs table shows momentum only
where it applies, a notebook upload's accuracy is measured, and the data's source is readable
in both languages. AppTest, plus BackgroundRun on a tiny dataset."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest

from core.datasets import _default_folders
from core.train import TrainConfig
from tests.apptest_helpers import (
    captions,
    click,
    open_page,
    session_run,
    tiny_dataset,
    train_page,
    wait_for_runs,
)
from ui import state
from ui.background import BackgroundRun
from ui.dataset_stats import source_text
from ui.loaders import shipped_model
from ui.run_results import NOT_USED, runs_table
from ui.scheduler import FairScheduler
from ui.sidebar import notebook_zip
from ui.train_controls import PACE_INPUT

# One full-batch step an epoch: a run ends in a moment.
QUICK = {"batch_size": 60000, "epochs": 1}


def metric_values(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_a_finished_run_says_it_is_now_the_current_model_and_both_its_times(app):
    train_page(app, **QUICK)
    click(app, "Start training")
    wait_for_runs(app, 1)
    record = app.session_state[state.RUNS][-1]
    assert app.session_state[state.CURRENT_MODEL] == record.model_name != ""
    success = " ".join(s.value for s in app.main.success)
    assert "Run 1 is now the current model: Weights, Draw and Confidence use it" in success
    shown = metric_values(app)
    computing, clock = shown["Computing time"], shown["Time on the clock"]
    assert computing == f"{record.seconds:.1f} s" and clock == f"{record.wall_seconds:.1f} s"
    assert 0 < record.seconds <= record.wall_seconds
    # Another model picked in the sidebar: the result no longer claims to be the current one.
    app.sidebar.selectbox[1].set_value(state.DEFAULT_MODEL_NAME).run()
    assert not any("is now the current model" in s.value for s in app.main.success)


def test_a_paced_runs_clock_time_includes_its_waits_and_its_computing_time_does_not():
    # 512 images, batch 128: 4 steps an epoch, 2 epochs at one epoch a second.
    config = TrainConfig(batch_size=128, epochs=2, seed=0)
    run = BackgroundRun("paced", config, tiny_dataset(), FairScheduler(capacity=1))
    run.set_pace(1.0)
    run.start()
    run.join(timeout=30)
    view = run.view()
    assert view.status == "finished"
    # The pace spreads 8 steps over about 2 s; computing them takes milliseconds.
    assert view.wall_seconds >= 1.0 > view.elapsed


def test_stepping_by_hand_shows_the_templates_after_every_step():
    run = BackgroundRun("steps", TrainConfig(seed=0), tiny_dataset(), FairScheduler(capacity=1))
    run.start(paused=True)
    try:
        assert run.view().latest_W is None
        run.step_once()
        first = run.view()
        assert first.latest_W_step == 1 and first.latest_W is not None
        run.step_once()
        second = run.view()
        assert second.latest_W_step == 2
        assert not np.array_equal(first.latest_W, second.latest_W)  # the step moved them
    finally:
        run.stop()
        run.join(timeout=5)


def test_the_train_page_shows_step_by_step_templates_with_their_step(app):
    train_page(app)
    app.segmented_control(key=PACE_INPUT).set_value("step").run()
    click(app, "Start training")
    assert "appear here after the first epoch, or after the first step" in captions(app)
    click(app, "One step")
    assert session_run().view().global_step == 1
    assert "The ten templates after step 1, as you stepped by hand" in captions(app)
    templates = [h.proto.body for h in app.get("html") if "digit-grid" in h.proto.body]
    assert templates and templates[-1].count("<figure>") == 10


@pytest.mark.parametrize(("optimizer", "shown"), [("momentum", "0.9"), ("sgd", NOT_USED)])
def test_the_runs_table_shows_momentum_only_for_the_momentum_rule(optimizer, shown):
    config = TrainConfig(optimizer=optimizer, momentum=0.9).to_dict()
    (row,) = runs_table([state.RunRecord("Run 1", config, seconds=0.31, wall_seconds=15.2)])
    assert row["momentum"] == shown
    assert (row["seconds computing"], row["seconds on the clock"]) == (0.3, 15.2)


def test_adam_runs_show_no_momentum_either():
    config = TrainConfig(optimizer="adam", lr=0.001).to_dict()
    assert runs_table([state.RunRecord("Run 1", config)])[0]["momentum"] == NOT_USED


def test_a_notebook_upload_shows_its_test_accuracy_measured(app):
    shipped = shipped_model()
    with zipfile.ZipFile(io.BytesIO(notebook_zip(shipped))) as archive:
        files = [(name, archive.read(name), "") for name in ("W.npy", "b.npy")]
    app.sidebar.file_uploader[0].set_value(files).run()
    entry = app.session_state[state.MODELS][app.session_state[state.CURRENT_MODEL]]
    assert entry.name == "Uploaded: W.npy + b.npy"
    # The same weights as the shipped model: the same accuracy on MNIST's test set.
    expected = f"{shipped.metrics['test_acc']:.2%}"
    assert entry.test_acc == pytest.approx(shipped.metrics["test_acc"])
    assert f"test accuracy {expected}" in " ".join(s.value for s in app.sidebar.success)
    assert f"test accuracy {expected}" in " ".join(c.value for c in app.sidebar.caption)
    assert "not measured" not in " ".join(c.value for c in app.sidebar.caption)


@pytest.mark.parametrize("name", ["mnist", "fashion-mnist"])
def test_every_source_core_names_is_told_in_words_with_its_folder(name):
    for folder, label in _default_folders(name):
        told = source_text(label)
        # The shipped copy is named by its place in the repository, the others by their path.
        assert told != label and (str(folder) in told or folder.name in told)


def test_explore_says_where_the_data_comes_from_in_chinese(app):
    open_page(app, "pages/explore.py", lang="zh")
    said = captions(app)
    assert "随应用附带" in said and "shipped copy" not in said
