"""Benchmark: core.train.Trainer vs the notebook loop (core/notebook.py), side by side.

    .venv/bin/python bench/train_speed.py --epochs 3 [--repeats 2] [--also-clean-env]

* Time: both implementations run in the SAME child process on the same data (notebook: float32
  X/255 and float32 one-hot, prepared once outside the timing), alternating, ``--repeats``
  times; we report the median wall-clock seconds per epoch. An epoch includes what each loop
  does per epoch: the notebook's full-training-set loss/acc; the trainer's train AND test
  evaluation (so the trainer does slightly more work). The first epoch of each run is dropped
  (page faults / warm-up). Two scenarios: quiet, and "busy" with a spinning subprocess holding
  one core.
* Peak memory: each implementation in a FRESH subprocess, measured with tracemalloc (NumPy
  reports its buffers to tracemalloc): peak of traced allocations after the uint8 dataset is
  loaded, so it counts the notebook's float32 copy and one-hot, its per-epoch shuffled copy and
  float64 evaluation temporaries, and the trainer's buffers. Max RSS of the whole child process
  is shown too for reference (includes the interpreter, NumPy and the uint8 dataset).
* Test accuracy after ``--epochs`` epochs with the same seed.
* ``--also-clean-env`` repeats the timing with OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unset (they
  are set on some machines and slow NumPy); the default run uses the environment as is.

Prints a markdown table (for the README). No asserts: this is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

OPENBLAS_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def _load():
    from core.datasets import load_dataset

    return load_dataset("mnist")


def _run_notebook(ds, epochs: int, seed: int, prepared=None):
    import numpy as np

    from core import notebook as nb

    X, Y = prepared[0] if prepared else nb.prepare(ds.train_images, ds.train_labels)
    Xt, Yt = prepared[1] if prepared else nb.prepare(ds.test_images, ds.test_labels)
    stamps = [time.perf_counter()]
    W, b, _ = nb.train(
        X, Y, np.random.default_rng(seed), epochs=epochs, log=None,
        on_epoch=lambda k: stamps.append(time.perf_counter()),
    )  # fmt: skip
    _, acc = nb.evaluate(Xt, Yt, W, b)
    return [t1 - t0 for t0, t1 in zip(stamps, stamps[1:], strict=False)], acc


def _run_trainer(ds, epochs: int, seed: int):
    from core.train import EpochEvent, TrainConfig, Trainer

    t = Trainer(TrainConfig(epochs=epochs, seed=seed), ds)
    stamps = [time.perf_counter()]
    for ev in t:
        if isinstance(ev, EpochEvent):
            stamps.append(time.perf_counter())
    return [t1 - t0 for t0, t1 in zip(stamps, stamps[1:], strict=False)], t.history[-1]["test_acc"]


def child_time(epochs: int, seed: int, repeats: int) -> dict:
    """Both implementations in this process, alternating."""
    from core import notebook as nb

    ds = _load()
    prepared = (
        nb.prepare(ds.train_images, ds.train_labels),
        nb.prepare(ds.test_images, ds.test_labels),
    )
    times = {"notebook": [], "trainer": []}
    acc = {}
    for _ in range(repeats):
        ep, acc["notebook"] = _run_notebook(ds, epochs, seed, prepared)
        times["notebook"] += ep[1:] if len(ep) > 1 else ep
        ep, acc["trainer"] = _run_trainer(ds, epochs, seed)
        times["trainer"] += ep[1:] if len(ep) > 1 else ep
    return {k: {"s_per_epoch": statistics.median(v), "acc": acc[k]} for k, v in times.items()}


def child_mem(which: str, epochs: int, seed: int) -> dict:
    ds = _load()
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    if which == "notebook":
        _, acc = _run_notebook(ds, epochs, seed)
    else:
        _, acc = _run_trainer(ds, epochs, seed)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return {
        "peak_mb": peak / 1e6,
        "maxrss_mb": rss * 1024 / 1e6,
        "rss_at_start_mb": rss0 * 1024 / 1e6,
    }


def _child(args: list[str], env: dict | None = None) -> dict:
    r = subprocess.run(
        [sys.executable, __file__, *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if r.returncode != 0:
        sys.exit(f"benchmark child failed: {r.stderr.strip().splitlines()[-1:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def _timing(epochs: int, seed: int, repeats: int, busy: bool, env: dict) -> dict:
    spinner = None
    if busy:
        # Holds one core for the whole measurement (like another heavy process would).
        spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        time.sleep(0.5)
    try:
        return _child(["--_time", "--epochs", str(epochs), "--seed", str(seed),
                       "--repeats", str(repeats)], env)  # fmt: skip
    finally:
        if spinner is not None:
            spinner.kill()
            spinner.wait()


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--repeats", type=int, default=2, help="alternating runs per implementation")
    p.add_argument("--also-clean-env", action="store_true", help="also time without OPENBLAS_*")
    p.add_argument("--_time", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--_mem", choices=("notebook", "trainer"), help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a._time:
        print(json.dumps(child_time(a.epochs, a.seed, a.repeats)))
        return
    if a._mem:
        print(json.dumps(child_mem(a._mem, a.epochs, a.seed)))
        return

    envs = {"as is": dict(os.environ)}
    if a.also_clean_env:
        envs["no OPENBLAS_*"] = {k: v for k, v in os.environ.items() if k not in OPENBLAS_VARS}
    set_vars = {k: os.environ[k] for k in OPENBLAS_VARS if k in os.environ}
    print(f"# epochs={a.epochs} seed={a.seed} repeats={a.repeats} cores={os.cpu_count()} "
          f"env: {set_vars or 'no OPENBLAS_* set'}", file=sys.stderr)  # fmt: skip

    load = os.getloadavg()[0]
    mem = {w: _child(["--_mem", w, "--epochs", str(a.epochs), "--seed", str(a.seed)])
           for w in ("notebook", "trainer")}  # fmt: skip
    rows = []
    for env_name, env in envs.items():
        for busy in (False, True):
            r = _timing(a.epochs, a.seed, a.repeats, busy, env)
            rows.append((env_name, "other core busy" if busy else "quiet", r))

    print(f"Measured with {os.cpu_count()} cores, load average {load:.1f} before the runs, "
          f"{a.epochs} epochs x {a.repeats} repeats, first epoch of each run dropped.")  # fmt: skip
    print()
    print("| scenario | BLAS env | notebook s/epoch | trainer s/epoch | ratio "
          "| notebook test acc | trainer test acc |")  # fmt: skip
    print("|---|---|---:|---:|---:|---:|---:|")
    for env_name, scen, r in rows:
        nb_t, tr_t = r["notebook"]["s_per_epoch"], r["trainer"]["s_per_epoch"]
        print(f"| {scen} | {env_name} | {nb_t:.3f} | {tr_t:.3f} | {tr_t / nb_t:.2f}x "
              f"| {r['notebook']['acc']:.4f} | {r['trainer']['acc']:.4f} |")  # fmt: skip
    print()
    print("| peak memory | notebook | trainer | ratio |")
    print("|---|---:|---:|---:|")
    n, t = mem["notebook"], mem["trainer"]
    print(f"| tracemalloc peak above loaded data | {n['peak_mb']:.0f} MB | {t['peak_mb']:.0f} MB "
          f"| {t['peak_mb'] / n['peak_mb']:.2f}x |")  # fmt: skip
    print(f"| max RSS of the whole process | {n['maxrss_mb']:.0f} MB | {t['maxrss_mb']:.0f} MB "
          f"| {t['maxrss_mb'] / n['maxrss_mb']:.2f}x |")  # fmt: skip


if __name__ == "__main__":
    main()
