"""Benchmark: how ui.scheduler.FairScheduler shares the CPU between training runs on real MNIST.

    PYTHONPATH=. .venv/bin/python bench/fair_share.py [--epochs 3] [--seconds 20]

Each run is a thread driving a core.train.Trainer the way BackgroundRun would with the
scheduler: ask for a turn, step until it expires, hand it back, ask again; a paused run waits on
its own event and asks for nothing.

* Scenario A: a newcomer's run (the notebook's settings, ``--epochs`` epochs) solo, then while
  two long runs (batch 1, 100 epochs) are active: one training and one paused, then both
  training. Reported: its wall time against solo (the goal is at most 3x), the time to its first
  step, the CPU seconds of the paused run's thread, and whether its final weights equal the solo
  run's (same seed: scheduling changes wall time, never results).
* Scenario B: thirty runs started at once (10 newcomer runs, 10 long training, 10 long paused):
  each group's wait before its first step and progress after ``--seconds``, and the process RSS.

Every wait has a time limit and the long runs are stopped at the end. Prints markdown tables;
no asserts: this is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time

import numpy as np

from core.datasets import Dataset, load_dataset
from core.train import TrainConfig, Trainer
from ui.scheduler import DEFAULT_TURN_SECONDS, FairScheduler, capacity_from_env

LONG = TrainConfig(batch_size=1, epochs=100)


class BenchRun:
    """One run in its own thread, taking turns from the scheduler like BackgroundRun would."""

    def __init__(
        self,
        name: str,
        config: TrainConfig,
        dataset: Dataset,
        scheduler: FairScheduler,
        paused: bool = False,
    ):
        self.name = name
        self.trainer = Trainer(config, dataset)
        self.scheduler = scheduler
        self.stop_event = threading.Event()
        self.paused = paused  # for the whole run: the benchmark never resumes it
        self.unpaused = threading.Event()
        if not paused:
            self.unpaused.set()
        self.started_at = 0.0
        self.first_step_at: float | None = None
        self.ended_at: float | None = None
        self.cpu_seconds = 0.0
        self.thread = threading.Thread(target=self._work, name=f"bench-{name}", daemon=True)

    def start(self) -> None:
        self.started_at = time.perf_counter()
        self.thread.start()

    def stop(self) -> None:
        self.stop_event.set()
        self.unpaused.set()

    def _work(self) -> None:
        cpu_start = time.thread_time()
        try:
            while not self.stop_event.is_set() and not self.trainer.done:
                if not self.unpaused.is_set():
                    self.unpaused.wait(0.1)  # paused: holds no turn, asks for none
                    continue
                with self.scheduler.turn(self.name, give_up=self.stop_event) as turn:
                    if turn is None:
                        break
                    while not (turn.expired() or self.stop_event.is_set() or self.trainer.done):
                        self.trainer.step()
                        if self.first_step_at is None:
                            self.first_step_at = time.perf_counter()
        finally:
            self.cpu_seconds = time.thread_time() - cpu_start
            self.ended_at = time.perf_counter()

    @property
    def wall_seconds(self) -> float:
        return (self.ended_at or time.perf_counter()) - self.started_at

    @property
    def first_step_seconds(self) -> float | None:
        return None if self.first_step_at is None else self.first_step_at - self.started_at


def stop_all(runs: list[BenchRun]) -> None:
    for run in runs:
        run.stop()
    for run in runs:
        run.thread.join(10)


def newcomer_with(
    others: list[tuple[str, bool]],
    config: TrainConfig,
    dataset: Dataset,
    scheduler: FairScheduler,
    time_limit: float,
) -> tuple[BenchRun, list[BenchRun]]:
    """Start the long runs `others` (name, paused), then the newcomer; wait for it to finish."""
    background = [BenchRun(name, LONG, dataset, scheduler, paused) for name, paused in others]
    for run in background:
        run.start()
    time.sleep(0.5)  # the long runs are under way when the newcomer arrives
    newcomer = BenchRun("newcomer", config, dataset, scheduler)
    newcomer.start()
    newcomer.thread.join(time_limit)
    newcomer.stop()
    stop_all([newcomer, *background])
    return newcomer, background


def rss_mb() -> tuple[float, float]:
    """(current, peak) resident set size of this process, in MB."""
    fields = {}
    with open("/proc/self/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            fields[key] = value
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def scenario_a(dataset: Dataset, scheduler: FairScheduler, epochs: int, limit: float) -> None:
    config = TrainConfig(epochs=epochs)
    solo, _ = newcomer_with([], config, dataset, scheduler, limit)
    cases = [
        ("solo", solo, []),
        (
            "long runs: 1 training, 1 paused",
            *newcomer_with(
                [("long-1", False), ("long-2", True)], config, dataset, scheduler, limit
            ),
        ),
        (
            "long runs: 2 training",
            *newcomer_with(
                [("long-1", False), ("long-2", False)], config, dataset, scheduler, limit
            ),
        ),
    ]
    print(f"\n### A: a newcomer's run (notebook settings, {epochs} epochs) beside two long runs\n")
    print(
        "| newcomer beside | wall s | x solo | first step s | same weights as solo "
        "| long runs' steps meanwhile | paused thread CPU s |"
    )
    print("|---|---:|---:|---:|---|---:|---:|")
    for label, newcomer, background in cases:
        finished = newcomer.trainer.done and newcomer.trainer.global_step == (
            newcomer.trainer.total_steps
        )
        same = np.array_equal(newcomer.trainer.W, solo.trainer.W) and np.array_equal(
            newcomer.trainer.b, solo.trainer.b
        )
        paused = [run for run in background if run.paused]
        print(
            f"| {label} | {newcomer.wall_seconds:.2f}{'' if finished else ' (cut)'} "
            f"| {newcomer.wall_seconds / solo.wall_seconds:.2f} "
            f"| {newcomer.first_step_seconds or float('nan'):.3f} | {'yes' if same else 'NO'} "
            f"| {', '.join(f'{run.trainer.global_step:,}' for run in background) or '-'} "
            f"| {', '.join(f'{run.cpu_seconds:.4f}' for run in paused) or '-'} |"
        )


def scenario_b(dataset: Dataset, scheduler: FairScheduler, epochs: int, seconds: float) -> None:
    groups = {
        f"newcomer ({epochs} epochs)": (TrainConfig(epochs=epochs), False),
        "long, training": (LONG, False),
        "long, paused": (LONG, True),
    }
    rss_before, _ = rss_mb()
    runs: dict[str, list[BenchRun]] = {
        group: [BenchRun(f"{group} #{i}", config, dataset, scheduler, paused) for i in range(10)]
        for group, (config, paused) in groups.items()
    }
    everyone = [run for group in runs.values() for run in group]
    for run in everyone:
        run.start()
    deadline = time.perf_counter() + seconds
    most_wanting = 0
    while time.perf_counter() < deadline:
        most_wanting = max(most_wanting, scheduler.active + scheduler.waiting)
        time.sleep(0.1)
    rss_during, _ = rss_mb()
    progress = {
        group: [run.trainer.global_step / run.trainer.total_steps for run in group_runs]
        for group, group_runs in runs.items()
    }
    steps = {
        group: [run.trainer.global_step for run in group_runs] for group, group_runs in runs.items()
    }
    stop_all(everyone)
    _, rss_peak = rss_mb()
    print(f"\n### B: thirty runs at once, after {seconds:.0f} s\n")
    print(
        "| group (10 runs) | wait before first step s (median / max) | steps (min / median) "
        "| progress (min / median) | finished | CPU s per thread (median) |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for group, group_runs in runs.items():
        waits = [run.first_step_seconds for run in group_runs if run.first_step_seconds is not None]
        wait_text = (
            f"{statistics.median(waits):.2f} / {max(waits):.2f}"
            + ("" if len(waits) == len(group_runs) else f" ({len(group_runs) - len(waits)} never)")
            if waits
            else "never stepped"
        )
        print(
            f"| {group} | {wait_text} "
            f"| {min(steps[group]):,} / {statistics.median(steps[group]):,.0f} "
            f"| {min(progress[group]):.1%} / {statistics.median(progress[group]):.1%} "
            f"| {sum(run.trainer.done for run in group_runs)} "
            f"| {statistics.median(run.cpu_seconds for run in group_runs):.3f} |"
        )
    print(
        f"\nRuns wanting turns at once: up to {most_wanting}. Process RSS: {rss_before:.0f} MB "
        f"before the 30 runs, {rss_during:.0f} MB with them, peak {rss_peak:.0f} MB."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3, help="epochs of the newcomer's run")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of scenario B")
    parser.add_argument("--turn-seconds", type=float, default=DEFAULT_TURN_SECONDS)
    parser.add_argument("--capacity", type=int, default=None, help="default: from the env")
    parser.add_argument(
        "--time-limit", type=float, default=120.0, help="most seconds one newcomer run may take"
    )
    args = parser.parse_args()
    dataset = load_dataset("mnist")
    capacity = args.capacity or capacity_from_env()
    scheduler = FairScheduler(capacity=capacity, turn_seconds=args.turn_seconds)
    print(
        f"{os.cpu_count()} cores, capacity {capacity} turns at once, "
        f"turns of {args.turn_seconds:g} s"
    )
    scenario_a(dataset, scheduler, args.epochs, args.time_limit)
    scenario_b(dataset, scheduler, args.epochs, args.seconds)


if __name__ == "__main__":
    main()
