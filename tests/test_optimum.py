"""ui/optimum.py: keys, the shipped optima, the gap of a run, the chart lines, and the store that
computes another optimum on demand, one pass per scheduler turn."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from core.model import SoftmaxRegression
from core.train import TrainConfig
from tests.apptest_helpers import wait_until
from ui import optimum as opt
from ui.charts import epoch_metric_figure, step_loss_figure
from ui.scheduler import FairScheduler


def fake_optimum(key: opt.OptimumKey, test_acc: float = 0.92) -> opt.Optimum:
    model = SoftmaxRegression(np.zeros((784, 10), np.float32), np.zeros(10, np.float32))
    model.metrics = {
        "train_loss": 0.25,
        "test_loss": 0.27,
        "train_acc": 0.93,
        "test_acc": test_acc,
        "solver_train_loss": 0.26,
        "solver_iterations": 111,
        "solver_converged": True,
    }
    return opt.Optimum.from_model(key, model)


def test_a_key_rounds_l2_so_the_forms_numbers_agree():
    assert opt.OptimumKey.of("mnist", 0.0001) == opt.OptimumKey.of("mnist", 1e-4 * (1 + 1e-12))
    assert opt.OptimumKey.of("mnist", 1e-4).file_name == "mnist_l2_0.0001.npz"
    assert opt.OptimumKey.of("mnist", 0, deskew=True).file_name == "mnist_l2_0_deskew.npz"


@pytest.mark.parametrize("l2", [0.0, 1e-4])
@pytest.mark.parametrize("deskew", [False, True])
def test_the_notebooks_settings_are_shipped_and_agree_with_their_key(l2, deskew):
    key = opt.OptimumKey.of("mnist", l2, deskew)
    optimum = opt.load_shipped(key)
    assert optimum is not None, f"models/optimum/{key.file_name} is missing"
    assert optimum.model.W.shape == (784, 10)
    assert optimum.model.deskew == deskew
    assert optimum.model.config["l2"] == l2
    # L2 > 0 has a minimum, and the solver reached it; L2 = 0 has none, so the cap ended it.
    assert optimum.converged == (l2 > 0)
    assert 0.9 < optimum.test_acc < 1 and 0 < optimum.train_loss < 0.3
    assert not optimum.model.W.flags.writeable  # shared by every session


def test_the_shipped_optimum_beats_the_notebooks_sgd_on_the_training_loss():
    shipped_sgd = SoftmaxRegression.load(opt.REPO_DIR / "models" / "default" / "model.npz")
    best = opt.load_shipped(opt.OptimumKey.of("mnist", 0.0))
    assert best.train_loss < shipped_sgd.metrics["train_loss"]


def test_an_unshipped_key_has_no_file():
    assert opt.load_shipped(opt.OptimumKey.of("mnist", 0.123)) is None


def test_the_gap_of_a_run_is_measured_from_the_optimum():
    best = fake_optimum(opt.OptimumKey.of("mnist", 0.0), test_acc=0.925)
    gap = opt.run_gap(best, {"train_loss": 0.27, "test_acc": 0.9223})
    assert gap.train_loss_above == pytest.approx(0.02)
    assert gap.test_points_below == pytest.approx(0.27)
    assert "0.27 points below" in opt.gap_text(best, {"train_loss": 0.27, "test_acc": 0.9223})
    luckier = opt.gap_text(best, {"train_loss": 0.27, "test_acc": 0.93})
    assert "0.50 points above" in luckier and "by chance" in luckier


def test_the_reference_lines_are_dashed_lines_on_the_loss_and_accuracy_charts():
    lines = opt.reference_lines(fake_optimum(opt.OptimumKey.of("mnist", 1e-4)))
    losses = {"train_loss": 0.3, "test_loss": 0.31}
    history = [{"epoch": 1, **losses, "train_acc": 0.9, "test_acc": 0.9}]
    for figure, value in (
        (step_loss_figure([(0, 2.3), (469, 0.3)], 469, history, reference=lines.loss), 0.25),
        (epoch_metric_figure(history, "loss", reference=lines.loss), 0.25),
        (epoch_metric_figure(history, "acc", reference=lines.acc), 0.92),
    ):
        dashed = [s for s in figure.layout.shapes if s.line.dash == "dash" and s.y0 == value]
        assert len(dashed) == 1
        labels = [a.text for a in figure.layout.annotations]
        assert any("training optimum" in text for text in labels)
    assert opt.reference_lines(None) == opt.ReferenceLines(None, None)
    plain = epoch_metric_figure(history, "loss")
    assert not plain.layout.shapes


class FakeDataset:
    name = "mnist"


def test_the_store_computes_a_key_once_taking_a_scheduler_turn_for_each_pass(tmp_path):
    scheduler = FairScheduler(capacity=1)
    passes_with_a_turn = []
    release = threading.Event()

    def solve(key, dataset, on_pass):
        for done in range(3):
            on_pass(done)
            passes_with_a_turn.append(scheduler.active)
        release.wait(5)
        return fake_optimum(key)

    store = opt.OptimumStore(scheduler, shipped_dir=tmp_path, solve=solve)
    key = opt.OptimumKey.of("mnist", 0.5)
    job = store.request(key, FakeDataset())
    assert store.request(key, FakeDataset()) is job  # under way: not started twice
    assert store.ready(key) is None
    wait_until(lambda: len(passes_with_a_turn) == 3, what="three passes")
    assert passes_with_a_turn == [1, 1, 1] and job.passes == 2
    release.set()
    wait_until(lambda: store.ready(key) is not None, what="the optimum")
    assert scheduler.active == 0 and scheduler.waiting == 0  # its last turn handed back
    assert store.job(key) is None and store.request(key, FakeDataset()) is None


def test_the_store_refuses_more_than_its_pending_limit_and_keeps_a_failure(tmp_path):
    stop = threading.Event()

    def solve(key, dataset, on_pass):
        stop.wait(5)
        raise ValueError("no data")

    store = opt.OptimumStore(FairScheduler(capacity=1), shipped_dir=tmp_path, solve=solve)
    keys = [opt.OptimumKey.of("mnist", l2) for l2 in (1, 2, 3, 4)]
    jobs = [store.request(key, FakeDataset()) for key in keys]
    assert all(jobs[: opt.MAX_PENDING]) and jobs[opt.MAX_PENDING] is None
    stop.set()
    wait_until(lambda: all(job.error for job in jobs[: opt.MAX_PENDING]), what="failures")
    store.forget_failed(keys[0])
    assert store.job(keys[0]) is None and store.job(keys[1]).error == "no data"


def test_the_note_under_the_charts_says_how_far_a_computation_is(tmp_path, monkeypatch):
    store = opt.OptimumStore(FairScheduler(capacity=1), shipped_dir=tmp_path)
    key = opt.OptimumKey.of("mnist", 0.01)
    job = opt.Job(key, FakeDataset(), passes=42)
    store._jobs[key] = job  # under way, as the worker would have it
    monkeypatch.setattr(opt, "optimum_store", lambda: store)
    note = opt.optimum_note("mnist", {"l2": 0.01, "deskew": False})
    assert note.startswith("⏳ Computing") and "pass 42" in note and "L2 = 0.01" in note
    job.error = "out of memory"
    assert "failed: out of memory" in opt.optimum_note("mnist", {"l2": 0.01})
    assert store.job(key) is None  # forgotten, so the next look starts it again
    store._ready[key] = fake_optimum(key)
    ready = opt.optimum_note("mnist", TrainConfig(l2=0.01))
    assert ready.startswith("Dashed lines: the best any softmax regression with L2 = 0.01")
