"""Benchmark: visitors' training runs sharing the server through ui.scheduler.FairScheduler.

    PYTHONPATH=. .venv/bin/python bench/fair_share.py [--epochs 20] [--repeats 3] [--visitors 10]
    PYTHONPATH=. .venv/bin/python bench/fair_share.py --watchable 30 [--watchable-epochs 3]

In-process, on real MNIST: every visitor is a ui.background.BackgroundRun (the app's own run and
thread, without Streamlit and its browser) taking turns from one FairScheduler with the app's
capacity (MNIST_LAB_MAX_CONCURRENT_RUNS, default one per core). A "long" run is batch 1 for 100
epochs (six million steps: it never ends here); a "paused" one is paused as soon as its first
turn came, as a visitor looking at the templates would; a "default" run is the notebook's
settings (``--epochs`` epochs of batch 128).

* Scenario A: a newcomer's default run alone, then beside two long runs: both paused, one
  paused and one training, both training; each case ``--repeats`` times, interleaved, after a
  warm-up run. Reported (medians): its wait for the first turn, its time to
  result against solo (the goal: at most 3x), whether its weights equal the solo run's (same
  seed: scheduling changes wall time, never results), and the CPU seconds the paused runs'
  threads used while paused.
* Scenario B: ``3 x --visitors`` visitors at once (default, long training, long paused); each
  group's wait for the first turn, the default runs' time to result against solo, the paused
  threads' CPU, and the process's memory.
* Scenario C (``--watchable N``): N visitors start a ``--watchable-epochs`` run at the
  watchable pace at once, as a class would. A paced run takes a turn only for the steps that
  are due, so the runs should keep the pace (an epoch every WATCHABLE_EPOCH_SECONDS) instead
  of queueing: each run's seconds per epoch (wall), its wait for a first turn, and the CPU the
  process used meanwhile.

A thread's CPU time is read from /proc/self/task/<tid>/stat (clock ticks, 10 ms). Every wait
has a time limit and the long runs are stopped at the end. Prints markdown tables; no asserts:
this is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time
from pathlib import Path

import numpy as np

from core.datasets import Dataset, load_dataset
from core.train import RunStatus, TrainConfig
from ui.background import BackgroundRun
from ui.pace import WATCHABLE_EPOCH_SECONDS
from ui.scheduler import DEFAULT_TURN_SECONDS, FairScheduler, capacity_from_env

LONG = TrainConfig(batch_size=1, epochs=100)
POLL_SECONDS = 0.05


def thread_cpu_seconds(name: str) -> float | None:
    """CPU seconds (user + system) of this process's live thread called `name`; None if gone."""
    thread = next((t for t in threading.enumerate() if t.name == name), None)
    if thread is None or thread.native_id is None:
        return None
    try:
        stat = Path(f"/proc/self/task/{thread.native_id}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb() -> tuple[float, float]:
    """(current, peak) resident set size of this process, in MB."""
    fields = {}
    with open("/proc/self/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            fields[key] = value
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


class Visitor:
    """One visitor's run, watched from outside: start, first turn, pause, end."""

    def __init__(self, name: str, config: TrainConfig, dataset: Dataset, scheduler: FairScheduler):
        self.run = BackgroundRun(name, config, dataset, scheduler)
        self.pauses = False
        self.started_at = 0.0
        self.ended_at: float | None = None
        self.paused_cpu_from: float | None = None  # its thread's CPU seconds when paused
        self.paused_cpu = 0.0  # CPU seconds its thread used while paused

    def start(self, pauses: bool = False) -> Visitor:
        self.pauses = pauses
        self.started_at = time.monotonic()
        self.run.start()
        return self

    def look(self) -> None:
        """What the monitor does every POLL_SECONDS: pause after the first turn, note the end."""
        if self.pauses and self.paused_cpu_from is None and self.run.first_turn_at is not None:
            self.run.pause()
            self.paused_cpu_from = thread_cpu_seconds(self.run_thread)
        if self.ended_at is None and not self.run.alive:
            self.ended_at = time.monotonic()

    def stop(self) -> None:
        if self.paused_cpu_from is not None:
            now = thread_cpu_seconds(self.run_thread)
            self.paused_cpu = (now or self.paused_cpu_from) - self.paused_cpu_from
        self.run.stop()

    @property
    def run_thread(self) -> str:
        return f"train-{self.run.name}"

    @property
    def first_turn_seconds(self) -> float | None:
        first = self.run.first_turn_at
        return None if first is None else first - self.started_at

    @property
    def seconds_to_result(self) -> float | None:
        finished = self.run.view().status == RunStatus.FINISHED
        return self.ended_at - self.started_at if finished and self.ended_at else None


def watch(visitors: list[Visitor], until, limit: float) -> None:
    """Let the monitor look at every visitor until `until()` holds or `limit` seconds pass."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        for visitor in visitors:
            visitor.look()
        if until():
            return
        time.sleep(POLL_SECONDS)


def stop_all(visitors: list[Visitor]) -> None:
    for visitor in visitors:
        visitor.stop()
    for visitor in visitors:
        visitor.run.join(10)


def newcomer_beside(
    long_runs: list[bool], config: TrainConfig, dataset: Dataset, scheduler, limit: float
) -> tuple[Visitor, list[Visitor]]:
    """Long runs (True: paused after its first turn) under way, then a newcomer's run: wait
    for its result (at most `limit` seconds)."""
    background = [
        Visitor(f"long-{i}", LONG, dataset, scheduler).start(pauses=paused)
        for i, paused in enumerate(long_runs)
    ]
    # The long runs are under way (and the paused ones paused) when the newcomer arrives.
    watch(background, lambda: all(v.run.first_turn_at for v in background), limit)
    watch(background, lambda: False, 0.5)
    newcomer = Visitor("newcomer", config, dataset, scheduler).start()
    everyone = [newcomer, *background]
    watch(everyone, lambda: newcomer.ended_at is not None, limit)
    stop_all(everyone)
    return newcomer, background


def same_weights(a: Visitor, b: Visitor) -> bool:
    model_a, model_b = a.run.model, b.run.model
    return np.array_equal(model_a.W, model_b.W) and np.array_equal(model_a.b, model_b.b)


def seconds(value: float | None, digits: int = 2) -> str:
    return "did not finish" if value is None else f"{value:.{digits}f}"


# Scenario A: the long runs beside the newcomer (True: paused after its first turn).
CASES = {
    "alone": [],
    "2 long runs, both paused": [True, True],
    "2 long runs, 1 paused, 1 training": [True, False],
    "2 long runs, both training": [False, False],
}


def scenario_a(
    dataset: Dataset, scheduler, config: TrainConfig, repeats: int, limit: float
) -> float | None:
    """Scenario A, each case `repeats` times (cases interleaved, so a change in the machine's
    load hits them alike); prints the medians and returns the solo time to result."""
    # A first run pays for page faults and the BLAS start: out of the figures.
    newcomer_beside([], TrainConfig(epochs=1), dataset, scheduler, limit)
    outcomes: dict[str, list[tuple[Visitor, list[Visitor]]]] = {label: [] for label in CASES}
    for _ in range(repeats):
        for label, long_runs in CASES.items():
            outcomes[label].append(newcomer_beside(long_runs, config, dataset, scheduler, limit))
    reference = outcomes["alone"][0][0]
    solo_times = [n.seconds_to_result for n, _ in outcomes["alone"] if n.seconds_to_result]
    solo_time = statistics.median(solo_times) if solo_times else None
    print(
        f"\n### A: a newcomer's run ({config.epochs} epochs of batch {config.batch_size}), "
        f"medians of {repeats}\n"
    )
    print(
        "| newcomer | wait for first turn s | time to result s (min–max) | x solo "
        "| same weights as solo | paused runs' CPU s while paused (max) |"
    )
    print("|---|---:|---:|---:|---|---:|")
    for label, runs in outcomes.items():
        times = [n.seconds_to_result for n, _ in runs if n.seconds_to_result is not None]
        waits = [n.first_turn_seconds for n, _ in runs if n.first_turn_seconds is not None]
        took = statistics.median(times) if len(times) == len(runs) else None
        ratio = "–" if took is None or solo_time is None else f"{took / solo_time:.2f}"
        spread = f" ({min(times):.2f}–{max(times):.2f})" if took is not None else ""
        same = all(same_weights(n, reference) for n, _ in runs)
        paused = [v.paused_cpu for _, background in runs for v in background if v.pauses]
        print(
            f"| {label} | {statistics.median(waits):.3f} | {seconds(took)}{spread} | {ratio} "
            f"| {'yes' if same else 'NO'} | {f'{max(paused):.2f}' if paused else '–'} |"
        )
    return solo_time


def scenario_b(
    dataset: Dataset,
    scheduler,
    config: TrainConfig,
    per_group: int,
    solo_time: float | None,
    limit: float,
) -> None:
    rss_before, _ = rss_mb()
    groups = {
        f"default ({config.epochs} epochs)": (config, False),
        "long, training": (LONG, False),
        "long, paused": (LONG, True),
    }
    visitors = {
        group: [Visitor(f"{group} #{i}", cfg, dataset, scheduler) for i in range(per_group)]
        for group, (cfg, _) in groups.items()
    }
    everyone = [v for group in visitors.values() for v in group]
    # Arriving together, in turns: default, long, paused, default, ...
    for i in range(per_group):
        for group, (_, pauses) in groups.items():
            visitors[group][i].start(pauses=pauses)
    defaults = next(iter(visitors.values()))
    watch(everyone, lambda: all(v.ended_at for v in defaults), limit)
    rss_during, _ = rss_mb()
    stop_all(everyone)
    _, rss_peak = rss_mb()
    solo_time = solo_time or float("nan")
    print(f"\n### B: {len(everyone)} visitors at once ({per_group} of each kind)\n")
    print(
        "| visitors | wait for first turn s (median / max) | time to result s (median / max) "
        "| x solo (median / max) | CPU s per paused thread while paused (max) |"
    )
    print("|---|---:|---:|---:|---:|")
    for group, members in visitors.items():
        waits = [v.first_turn_seconds for v in members if v.first_turn_seconds is not None]
        wait_text = f"{statistics.median(waits):.2f} / {max(waits):.2f}" if waits else "–"
        if len(waits) < len(members):
            wait_text += f" ({len(members) - len(waits)} never)"
        results = [v.seconds_to_result for v in members if v.seconds_to_result is not None]
        result_text = ratio_text = "–"
        if results:
            result_text = f"{statistics.median(results):.1f} / {max(results):.1f}"
            result_text += "" if len(results) == len(members) else f" ({len(results)} finished)"
            ratio_text = (
                f"{statistics.median(results) / solo_time:.1f} / {max(results) / solo_time:.1f}"
            )
        paused = [v.paused_cpu for v in members if v.pauses]
        print(
            f"| {group} | {wait_text} | {result_text} | {ratio_text} "
            f"| {f'{max(paused):.2f}' if paused else '–'} |"
        )
    print(
        f"\nProcess memory (RSS): {rss_before:.0f} MB before the visitors, {rss_during:.0f} MB "
        f"when the default runs had ended, peak {rss_peak:.0f} MB."
    )


def process_cpu_seconds() -> float:
    """CPU seconds (user + system) of this whole process so far."""
    times = os.times()
    return times.user + times.system


def scenario_c(dataset: Dataset, scheduler, visitors: int, epochs: int, limit: float) -> None:
    """`visitors` runs at the watchable pace, started together: do they keep the pace?"""
    config = TrainConfig(epochs=epochs)
    class_ = [Visitor(f"paced #{i}", config, dataset, scheduler) for i in range(visitors)]
    cpu_before, wall_before = process_cpu_seconds(), time.monotonic()
    for visitor in class_:
        visitor.run.set_pace(WATCHABLE_EPOCH_SECONDS)
        visitor.start()
    watch(class_, lambda: all(v.ended_at for v in class_), limit)
    cpu = process_cpu_seconds() - cpu_before
    wall = time.monotonic() - wall_before
    stop_all(class_)
    waits = sorted(v.first_turn_seconds for v in class_ if v.first_turn_seconds is not None)
    per_epoch = sorted(v.seconds_to_result / epochs for v in class_ if v.seconds_to_result)
    print(
        f"\n### C: {visitors} visitors at the watchable pace at once ({epochs} epochs of batch "
        f"{config.batch_size}; the pace: an epoch every {WATCHABLE_EPOCH_SECONDS:g} s)\n"
    )
    print(
        "| finished | s per epoch, wall (median / max) | wait for first turn s (median / max) "
        "| process CPU while they ran |"
    )
    print("|---:|---:|---:|---:|")
    epoch_text = f"{statistics.median(per_epoch):.2f} / {per_epoch[-1]:.2f}" if per_epoch else "–"
    wait_text = f"{statistics.median(waits):.2f} / {waits[-1]:.2f}" if waits else "–"
    print(
        f"| {len(per_epoch)}/{visitors} | {epoch_text} | {wait_text} "
        f"| {cpu:.1f} s in {wall:.1f} s ({cpu / wall:.0%} of one core) |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20, help="epochs of a default run")
    parser.add_argument("--visitors", type=int, default=10, help="visitors of each kind in B")
    parser.add_argument("--turn-seconds", type=float, default=DEFAULT_TURN_SECONDS)
    parser.add_argument("--capacity", type=int, default=None, help="default: from the env")
    parser.add_argument("--limit", type=float, default=600.0, help="most seconds per wait")
    parser.add_argument("--repeats", type=int, default=3, help="repeats of each case in A")
    parser.add_argument("--skip-a", action="store_true", help="scenario B only (solo first)")
    parser.add_argument(
        "--watchable", type=int, default=0, help="scenario C only: this many paced visitors"
    )
    parser.add_argument("--watchable-epochs", type=int, default=3, help="epochs of a paced run")
    args = parser.parse_args()
    dataset = load_dataset("mnist")
    capacity = args.capacity or capacity_from_env()
    scheduler = FairScheduler(capacity=capacity, turn_seconds=args.turn_seconds)
    config = TrainConfig(epochs=args.epochs)
    load = os.getloadavg()[0]
    print(
        f"{os.cpu_count()} cores (load average {load:.1f} at the start), capacity {capacity} "
        f"turns at once, turns of {args.turn_seconds:g} s"
    )
    if args.watchable:
        scenario_c(dataset, scheduler, args.watchable, args.watchable_epochs, args.limit)
        return
    if args.skip_a:
        solo, _ = newcomer_beside([], config, dataset, scheduler, args.limit)
        solo_time = solo.seconds_to_result
        print(f"\nSolo default run: {seconds(solo_time)} s")
    else:
        solo_time = scenario_a(dataset, scheduler, config, args.repeats, args.limit)
    scenario_b(dataset, scheduler, config, args.visitors, solo_time, args.limit)


if __name__ == "__main__":
    main()
