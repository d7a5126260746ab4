"""The Experiments page's ready experiments: each a few short runs that differ in one setting,
and what to look at in their comparison (no Streamlit here: bench/experiments.py measures the
same runs with the core trainer, and its numbers are the ones the texts state).

Shapes: N_val validation images (784,) uint8; W (784, C) per-epoch snapshots.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from core.datasets import Dataset
from core.metrics import evaluate_arrays
from core.train import TrainConfig
from ui.i18n import N_

# The validation experiment trains on the first 50,000 training images and holds out the rest.
VALIDATION_SIZE = 10_000


@dataclass(frozen=True)
class ExperimentRun:
    label: str  # N_-marked: what sets this run apart ("learning rate 0.001")
    config: TrainConfig


@dataclass(frozen=True)
class Experiment:
    key: str
    title: str  # N_-marked
    settings: str  # N_-marked: the settings all its runs share, and the run count
    look_at: str  # N_-marked: two sentences, their numbers measured by bench/experiments.py
    runs: tuple[ExperimentRun, ...]
    templates: bool = False  # show each run's final templates
    step_curves: bool = False  # show the minibatch loss against epochs (the noise)
    validation: bool = False  # trained on 50,000 images, "test" columns are the validation set


def _runs(base: TrainConfig, *variants: tuple[str, dict]) -> tuple[ExperimentRun, ...]:
    return tuple(ExperimentRun(label, replace(base, **changes)) for label, changes in variants)


# The notebook's settings for 3 epochs, and how an experiment of three such runs states them.
THREE_EPOCHS = TrainConfig(epochs=3)
THREE_EPOCHS_THREE_RUNS = N_("3 epochs each, lr 0.1, batch 128, seed 0; three runs.")

EXPERIMENTS = (
    Experiment(
        "learning_rate",
        N_("Learning rate: too small, right, too large"),
        N_("3 epochs each, batch 128, seed 0; four runs."),
        N_(
            "After 3 epochs lr 0.001 is still at 79.8% and lr 0.1 at 91.2%, while lr 10 "
            "classifies 90.3% right with a loss four times larger: too large makes it "
            "overconfident, not lost. It runs away only when lr × L2 > 2 makes every step "
            "enlarge the weights: the last run hits the safety stop within 10 steps."
        ),
        _runs(
            THREE_EPOCHS,
            (N_("lr 0.001 (too small)"), {"lr": 0.001}),
            (N_("lr 0.1 (the notebook's)"), {"lr": 0.1}),
            (N_("lr 10 (too large)"), {"lr": 10.0}),
            (N_("lr 10 with L2 0.25 (lr × L2 = 2.5)"), {"lr": 10.0, "l2": 0.25}),
        ),
    ),
    Experiment(
        "batch_size",
        N_("Batch size: 1, 128, the whole set"),
        N_(
            "2 epochs each, lr 0.1, seed 0; three runs. Batch 1 makes 60,000 steps an epoch "
            "and takes most of the time."
        ),
        N_(
            "Per epoch, smaller batches make more steps: after 2 epochs the whole set (2 steps) "
            "is only at 56.9% and batch 128 (938 steps) at 90.8%. Batch 1 (120,000 steps) ends "
            "at 88.5% with more than twice the loss: one image's gradient is so noisy at lr 0.1 "
            "that its loss curve jumps, and its epochs take by far the longest."
        ),
        _runs(
            TrainConfig(epochs=2),
            (N_("batch 1"), {"batch_size": 1}),
            (N_("batch 128 (the notebook's)"), {"batch_size": 128}),
            (N_("batch 60,000 (the whole set)"), {"batch_size": 60_000, "log_every": 1}),
        ),
        step_curves=True,
    ),
    Experiment(
        "l2",
        N_("L2 weight decay: off, mild, strong"),
        THREE_EPOCHS_THREE_RUNS,
        N_(
            "Strong L2 (0.01) pulls every weight towards zero at each step: after 3 epochs the "
            "templates are a third smaller (norm 5.4 instead of 7.9) and 8% less speckled "
            "(neighbouring weights differ less, relative to their size), for 0.7 points of test "
            "accuracy (90.5% instead of 91.2%). L2 0.001 pulls ten times more weakly and "
            "changes little in 3 epochs."
        ),
        _runs(
            THREE_EPOCHS,
            (N_("L2 0 (the notebook's)"), {"l2": 0.0}),
            (N_("L2 0.001"), {"l2": 0.001}),
            (N_("L2 0.01 (strong)"), {"l2": 0.01}),
        ),
        templates=True,
    ),
    Experiment(
        "init",
        N_("Initial weights: zero, small, large"),
        THREE_EPOCHS_THREE_RUNS,
        N_(
            "Zero and the notebook's randn × 0.01 end at 91.2% alike: the loss is convex, so "
            "there is no bad valley to start in. Scale 1 is at 83.3% after 3 epochs: its "
            "random noise has to be unlearned first, and the pixels that are blank in every "
            "image keep it for good (look at the templates' borders)."
        ),
        _runs(
            THREE_EPOCHS,
            (N_("init 0"), {"init_scale": 0.0}),
            (N_("init 0.01 (the notebook's)"), {"init_scale": 0.01}),
            (N_("init 1"), {"init_scale": 1.0}),
        ),
        templates=True,
    ),
    Experiment(
        "optimizer",
        N_("SGD, momentum, Adam"),
        N_(
            "3 epochs each, batch 128, seed 0; three runs, each at a usual rate for its rule: "
            "SGD lr 0.1, momentum 0.9 with lr 0.01 (the same step size in the long run), Adam "
            "lr 0.001."
        ),
        N_(
            "All three end within a point of each other (SGD 91.2%, momentum 91.2%, Adam "
            "91.8% after 3 epochs): on a convex problem this small the update rule matters "
            "little. Adam gets there a little faster, but at SGD's lr 0.1 it would bounce."
        ),
        _runs(
            THREE_EPOCHS,
            (N_("SGD, lr 0.1 (the notebook's)"), {}),
            (N_("momentum 0.9, lr 0.01"), {"optimizer": "momentum", "lr": 0.01}),
            (N_("Adam, lr 0.001"), {"optimizer": "adam", "lr": 0.001}),
        ),
    ),
    Experiment(
        "deskew",
        N_("With and without deskewing"),
        N_("3 epochs each, the notebook's settings, seed 0; two runs."),
        N_(
            "The same model on straightened digits: 93.8% instead of 91.2% after 3 epochs, "
            "and a lower loss from the first epoch. Deskewing removes the slant that one "
            "template per class could not cover."
        ),
        _runs(
            THREE_EPOCHS,
            (N_("images as they are"), {}),
            (N_("deskewed images"), {"deskew": True}),
        ),
    ),
    Experiment(
        "validation",
        N_("A validation set vs choosing by the test set"),
        N_(
            "Trained on the first 50,000 training images; the last 10,000 are the validation "
            "set. 6 epochs each at lr 0.3, 1 and 3, batch 128, seed 0; three runs, 18 "
            "candidates (a run after an epoch)."
        ),
        N_(
            "Picked by validation accuracy, lr 1 after epoch 4 scores 91.98% on the test set, an "
            "honest estimate: the test images took no part in the choice. Picked by test "
            "accuracy, lr 0.3 after epoch 6 scores 92.20%, but that is the best of 18 noisy "
            "scores, chosen for being high: choosing an epoch or a run by the notebook's "
            "per-epoch test accuracy makes that accuracy optimistic in the same way."
        ),
        _runs(
            TrainConfig(epochs=6),
            (N_("lr 0.3"), {"lr": 0.3}),
            (N_("lr 1"), {"lr": 1.0}),
            (N_("lr 3"), {"lr": 3.0}),
        ),
        validation=True,
    ),
)
BY_KEY = {experiment.key: experiment for experiment in EXPERIMENTS}


def validation_split(dataset: Dataset, size: int = VALIDATION_SIZE) -> Dataset:
    """The dataset with its last `size` training images as the "test" split (views, no copy):
    a run on it never sees them, and evaluates on them every epoch."""
    if not 0 < size < len(dataset.train_labels):
        raise ValueError(f"validation size must be in 1..{len(dataset.train_labels) - 1}")
    keep = len(dataset.train_labels) - size
    return Dataset(
        dataset.name,
        dataset.train_images[:keep],
        dataset.train_labels[:keep],
        dataset.train_images[keep:],
        dataset.train_labels[keep:],
        dataset.class_names,
        dataset.source,
    )


def snapshot_accuracies(snapshots, images: np.ndarray, labels: np.ndarray) -> list[float]:
    """Accuracy of each snapshot (epoch, W (D, C), b (C,)) on uint8 images (N, D), labels (N,),
    already preprocessed as the run's were."""
    return [evaluate_arrays(W, b, images, labels)[1] for _epoch, W, b in snapshots]


@dataclass(frozen=True)
class Choice:
    run: int  # index into the experiment's runs
    epoch: int  # 1-based
    validation_acc: float
    test_acc: float


def choices(val_accs: list[list[float]], test_accs: list[list[float]]) -> tuple[Choice, Choice]:
    """The candidate (run, epoch) picked by validation accuracy and the one picked by test
    accuracy, from per-run lists of per-epoch accuracies (ties: the first candidate)."""
    candidates = [
        Choice(run, epoch + 1, val, test)
        for run, (vals, tests) in enumerate(zip(val_accs, test_accs, strict=True))
        for epoch, (val, test) in enumerate(zip(vals, tests, strict=True))
    ]
    if not candidates:
        raise ValueError("no candidates: every run needs at least one epoch")
    by_validation = max(candidates, key=lambda c: c.validation_acc)
    by_test = max(candidates, key=lambda c: c.test_acc)
    return by_validation, by_test
