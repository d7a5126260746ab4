"""What the Train page is made of, each part on its own: the settings check, the runs table, the
confusion matrix's predictions and examples, and what a model entry says about its classes."""

from __future__ import annotations

import math
from dataclasses import fields

import numpy as np
import pytest

from core.datasets import CLASS_NAMES
from core.model import SoftmaxRegression
from core.train import RunStatus, TrainConfig
from tests.apptest_helpers import tiny_dataset
from ui.run_results import SETTING_COLUMNS, cell_examples, predicted_classes, runs_table
from ui.state import ModelEntry, RunRecord, dataset_of
from ui.train_form import FORM_FIELDS, LABELS, adam_warning, checked_config, run_summary
from ui.train_options import OPTION_FIELDS


class ErrorSlot:
    def __init__(self):
        self.messages = []

    def error(self, message):
        self.messages.append(message)


def test_the_form_has_one_input_per_setting():
    assert [f.key for f in FORM_FIELDS] == [f.name for f in fields(TrainConfig) if f.name in LABELS]
    assert set(LABELS) | set(OPTION_FIELDS) == set(SETTING_COLUMNS)


def test_valid_settings_become_a_config_and_bad_ones_a_message():
    slot = ErrorSlot()
    config = checked_config({**TrainConfig().to_dict(), "epochs": 3}, slot, 60_000)
    assert config == TrainConfig(epochs=3) and not slot.messages
    assert checked_config({**TrainConfig().to_dict(), "lr": -1.0}, slot, 60_000) is None
    assert checked_config({**TrainConfig().to_dict(), "speed": 2}, slot, 60_000) is None
    assert len(slot.messages) == 2
    assert all(m.startswith("These settings cannot be used") for m in slot.messages)
    assert "lr" in slot.messages[0]


def test_a_run_over_the_servers_step_bound_is_refused_with_what_fits(monkeypatch):
    slot = ErrorSlot()
    notebook = TrainConfig().to_dict()  # 20 epochs of 469 steps: 9,380 steps
    monkeypatch.delenv("MNIST_LAB_MAX_RUN_STEPS", raising=False)
    assert checked_config(notebook, slot, 60_000) == TrainConfig() and not slot.messages
    monkeypatch.setenv("MNIST_LAB_MAX_RUN_STEPS", "5000")
    assert checked_config(notebook, slot, 60_000) is None
    assert len(slot.messages) == 1
    assert "9,380 training steps" in slot.messages[0] and "at most 10 epochs" in slot.messages[0]
    assert checked_config({**notebook, "epochs": 10}, slot, 60_000) == TrainConfig(epochs=10)


def test_the_runs_table_has_a_row_per_run_with_its_settings_and_result():
    history = [{"epoch": 1, "test_acc": 0.9, "test_loss": 0.35}]
    config = TrainConfig(lr=0.5, seed=4).to_dict()
    records = [
        RunRecord("Run 1", config, history, seconds=1.26),
        RunRecord("Run 2", config, outcome=RunStatus.DIVERGED, dataset="fashion-mnist"),
    ]
    first, second = runs_table(records)
    assert first["run"] == "Run 1" and first["outcome"] == "finished"
    assert first["learning rate"] == 0.5 and first["seed"] == 4
    assert first["epochs done"] == 1 and first["test acc (%)"] == pytest.approx(90.0)
    assert first["seconds computing"] == 1.3
    assert second["outcome"] == "diverged" and second["dataset"] == "fashion-mnist"
    assert math.isnan(second["test acc (%)"]) and math.isnan(second["test loss"])


def test_predicted_classes_are_the_models_predictions_on_the_test_set():
    data = tiny_dataset()
    rng = np.random.default_rng(1)
    model = SoftmaxRegression(rng.normal(0, 0.1, (784, 10)).astype(np.float32), np.zeros(10))
    predicted = predicted_classes(model, data)
    np.testing.assert_array_equal(predicted, model.predict(data.test_images / np.float32(255)))


def test_cell_examples_are_the_images_of_one_true_and_predicted_class():
    labels = np.array([4, 4, 9, 4, 9])
    predicted = np.array([9, 4, 9, 9, 4])
    np.testing.assert_array_equal(cell_examples(labels, predicted, 4, 9), [0, 3])
    assert len(cell_examples(labels, predicted, 9, 9)) == 1


def _model(classes=None) -> SoftmaxRegression:
    return SoftmaxRegression(np.zeros((784, 10), np.float32), np.zeros(10), classes=classes)


def test_a_models_dataset_is_the_one_whose_classes_it_names():
    assert dataset_of(_model(CLASS_NAMES["fashion-mnist"])) == "fashion-mnist"
    assert dataset_of(_model(CLASS_NAMES["mnist"])) == "mnist"
    assert dataset_of(_model()) == "mnist", "the notebook's W.npy + b.npy name no classes"


def test_an_entry_names_its_classes_from_the_model_then_its_dataset():
    named = ModelEntry("a", _model(tuple("abcdefghij")), "mnist", "uploaded")
    assert named.class_names == tuple("abcdefghij")
    unnamed = ModelEntry("b", _model(), "fashion-mnist", "uploaded")
    assert unnamed.class_names == CLASS_NAMES["fashion-mnist"]
    unknown = ModelEntry("c", _model(), "tiny", "uploaded")
    assert unknown.class_names == tuple(str(k) for k in range(10))


def test_overconfident_means_loss_above_a_uniform_guess_with_most_answers_right():
    from ui.run_results import is_overconfident

    assert is_overconfident({"train_loss": 36.7, "train_acc": 0.91})  # lr 300 after 2 epochs
    assert not is_overconfident({"train_loss": 0.27, "train_acc": 0.92})  # the notebook's
    assert not is_overconfident({"train_loss": 2.5, "train_acc": 0.2})  # simply not learning


def test_a_live_runs_settings_fold_into_one_line():
    assert run_summary(TrainConfig(seed=3)) == (
        "⚙️ Learning rate 0.1 · batch 128 · 20 epochs · seed 3"
    )
    assert run_summary(TrainConfig(lr=5.0, batch_size=60000, epochs=1, seed=0)) == (
        "⚙️ Learning rate 5 · batch 60,000 · 1 epoch · seed 0"
    )


def test_adam_at_the_notebooks_learning_rate_gets_a_warning_and_a_small_rate_does_not():
    assert "try 0.001" in adam_warning("adam", 0.1)
    assert adam_warning("adam", 0.001) is None
    assert adam_warning("sgd", 0.1) is None
    assert adam_warning("momentum", 0.1) is None
