"""Measure the Experiments page's runs with the core trainer: the numbers its texts state.

    PYTHONPATH=. python bench/experiments.py [keys ...]

For each run: its outcome, time, per-epoch test accuracy and final losses; for template
experiments the templates' size and roughness; for the validation experiment the candidate
chosen by validation accuracy and the one chosen by test accuracy.
"""

from __future__ import annotations

import sys
import time

import numpy as np

from core.datasets import load_dataset
from core.deskew import deskew
from core.train import DoneEvent, EpochEvent, Trainer
from ui.experiment_catalog import (
    BY_KEY,
    EXPERIMENTS,
    choices,
    snapshot_accuracies,
    validation_split,
)


def roughness(W: np.ndarray) -> float:
    """Mean squared difference of horizontally and vertically neighbouring weights, over the
    mean squared weight: small when the templates are smooth."""
    T = W.T.reshape(-1, 28, 28)
    diffs = np.mean(np.diff(T, axis=1) ** 2) + np.mean(np.diff(T, axis=2) ** 2)
    return float(diffs / (2 * np.mean(T**2)))


def main(keys: list[str]) -> None:
    mnist = load_dataset("mnist")
    for experiment in [BY_KEY[k] for k in keys] if keys else EXPERIMENTS:
        print(f"== {experiment.key}: {experiment.settings}")
        data = validation_split(mnist) if experiment.validation else mnist
        val_accs, test_accs = [], []
        for run in experiment.runs:
            start = time.perf_counter()
            trainer = Trainer(run.config, data, keep_snapshots=None)
            done, history = None, []
            for event in trainer:
                if isinstance(event, EpochEvent):
                    history.append(event)
                elif isinstance(event, DoneEvent):
                    done = event
            seconds = time.perf_counter() - start
            accs = " ".join(f"{h.test_acc:.4f}" for h in history)
            line = f"  {run.label:40s} {done.reason.value:9s} {seconds:5.1f} s  acc/epoch {accs}"
            if history:
                last = history[-1]
                line += f"  train loss {last.train_loss:.3f} test loss {last.test_loss:.3f}"
                W = history[-1].W
                line += f"  |W| {np.linalg.norm(W):.2f} roughness {roughness(W):.3f}"
            print(line, "|", done.message[:80], flush=True)
            if experiment.validation:
                snaps = trainer.progress(with_snapshots=True).snapshots
                test_images = mnist.test_images
                if run.config.deskew:
                    test_images = deskew(test_images)
                val_accs.append([h.test_acc for h in history])
                test_accs.append(snapshot_accuracies(snaps, test_images, mnist.test_labels))
                print("    test acc/epoch", " ".join(f"{a:.4f}" for a in test_accs[-1]))
        if experiment.validation:
            by_val, by_test = choices(val_accs, test_accs)
            print(f"  chosen by validation: {by_val}")
            print(f"  chosen by test:       {by_test}")


if __name__ == "__main__":
    main(sys.argv[1:])
