"""``python -m core.train``: train with the notebook's schedule, print the notebook's lines,
write W.npy, b.npy (the notebook's files) and model.npz.

stdout gets exactly what the notebook printed (``round 1: ...`` per epoch, a blank line, then
``test result: ...``); a progress bar goes to stderr when it is a terminal; errors are one
line on stderr. Exit codes: 0 ok, 1 training or data error, 2 bad arguments, 130 interrupted.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from core.datasets import DATASET_NAMES, DATASET_TITLES, load_dataset
from core.deskew import deskew
from core.notebook import final_result_line, round_line
from core.optimizers import OPTIMIZERS, SCHEDULES
from core.solver import DEFAULT_L2, DEFAULT_MAX_ITER, SolverResult, solve_lbfgs
from core.train import ConfigError, EpochEvent, RunStatus, StepEvent, TrainConfig, Trainer

__all__ = ["ProgressBar", "main", "not_converged_note", "solver_lines"]

PROG = "core.train"


class _CLIError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, no usage dump
        raise _CLIError(message)


def _build_parser() -> argparse.ArgumentParser:
    defaults = TrainConfig()
    p = _Parser(
        prog="python -m core.train",
        description="Train softmax regression with the notebook's schedule; writes W.npy, "
        "b.npy and model.npz.",
    )
    p.add_argument("--epochs", type=int, default=defaults.epochs)
    p.add_argument("--batch-size", type=int, default=defaults.batch_size)
    p.add_argument("--lr", type=float, default=defaults.lr)
    p.add_argument("--seed", type=int, default=defaults.seed)
    p.add_argument(
        "--l2",
        type=float,
        default=None,
        help=f"L2 penalty l2/2 ||W||^2 (default: {defaults.l2} with sgd, {DEFAULT_L2} with lbfgs)",
    )
    p.add_argument("--init-scale", type=float, default=defaults.init_scale)
    p.add_argument("--optimizer", choices=OPTIMIZERS, default=defaults.optimizer)
    p.add_argument(
        "--momentum", type=float, default=defaults.momentum, help="mu of --optimizer momentum"
    )
    p.add_argument("--schedule", choices=SCHEDULES, default=defaults.schedule)
    p.add_argument(
        "--deskew",
        action="store_true",
        default=defaults.deskew,
        help="train and test on deskewed images (the model remembers it)",
    )
    p.add_argument(
        "--dataset",
        default=DATASET_NAMES[0],
        choices=DATASET_NAMES,
        help="; ".join(f"{name}: {title}" for name, title in DATASET_TITLES.items()),
    )
    p.add_argument("--data-dir", default=None, help="folder with the four IDX files")
    p.add_argument("--out", default="out", help="output folder (default: out)")
    p.add_argument(
        "--solver",
        choices=("sgd", "lbfgs"),
        default="sgd",
        help="sgd: the notebook's minibatch training (default); lbfgs: full-batch L-BFGS to the "
        "optimum of cross-entropy + L2 (ignores --epochs, --batch-size, --lr, --init-scale)",
    )
    p.add_argument(
        "--max-iter",
        type=int,
        default=DEFAULT_MAX_ITER,
        help=f"lbfgs only: iteration cap (default {DEFAULT_MAX_ITER})",
    )
    return p


class ProgressBar:
    """A plain \\r progress bar on stderr, only when stderr is a terminal."""

    def __init__(self, stream, total: int) -> None:
        self.stream = stream
        self.total = total
        self.enabled = bool(getattr(stream, "isatty", lambda: False)())
        self.width = 0

    def update(self, ev: StepEvent, epochs: int) -> None:
        if not self.enabled:
            return
        frac = ev.step / self.total
        filled = int(30 * frac)
        line = (
            f"[{'#' * filled}{'-' * (30 - filled)}] {frac:4.0%} epoch {ev.epoch}/{epochs} "
            f"loss {ev.loss:.4f} acc {ev.running_acc:.3f} {ev.steps_per_sec:,.0f} steps/s"
        )
        self.width = max(self.width, len(line))
        self.stream.write("\r" + line.ljust(self.width))
        self.stream.flush()

    def clear(self) -> None:
        if self.enabled and self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()


def _error(message: str, code: int) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return code


def _trainer_from_args(args: argparse.Namespace) -> tuple[argparse.Namespace, Trainer]:
    """Validate, load the data. Raises ConfigError for bad arguments, ValueError / OSError
    (DatasetError, IDXError) for data that cannot be loaded."""
    config = TrainConfig(
        lr=args.lr,
        batch_size=args.batch_size,
        epochs=args.epochs,
        init_scale=args.init_scale,
        l2=TrainConfig().l2 if args.l2 is None else args.l2,
        seed=args.seed,
        optimizer=args.optimizer,
        momentum=args.momentum,
        schedule=args.schedule,
        deskew=args.deskew,
    ).validate()
    ds = load_dataset(args.dataset, data_dir=args.data_dir)
    return args, Trainer(config, ds, source=f"{args.dataset} ({ds.source})")


def _train_printing_rounds(trainer: Trainer) -> EpochEvent | None:
    """Run to the end, one notebook line per epoch on stdout; returns the last EpochEvent."""
    bar = ProgressBar(sys.stderr, trainer.total_steps)
    last: EpochEvent | None = None
    try:
        for ev in trainer:
            if isinstance(ev, StepEvent):
                bar.update(ev, trainer.config.epochs)
            elif isinstance(ev, EpochEvent):
                bar.clear()
                last = ev
                print(round_line(ev.epoch, ev.train_loss, ev.train_acc), flush=True)
    finally:
        bar.clear()
    return last


def main(argv: list[str] | None = None) -> int:
    """CLI entry point; returns the exit code (0 ok, 1 training/data error, 2 bad arguments)."""
    try:
        args = _build_parser().parse_args(argv)
        if args.solver == "lbfgs":
            return _solve(args)
        args, trainer = _trainer_from_args(args)
    except (_CLIError, ConfigError) as e:  # ConfigError also for a batch larger than the data
        return _error(str(e), 2)
    except (ValueError, OSError) as e:  # DatasetError and IDXError are ValueErrors
        return _error(str(e), 1)

    try:
        last = _train_printing_rounds(trainer)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted at step {trainer.global_step}; nothing saved", file=sys.stderr)
        return 130
    if trainer.status != RunStatus.FINISHED or last is None:
        return _error(f"{trainer.done_event.message}; nothing saved", 1)
    print()
    print(final_result_line(last.test_loss, last.test_acc))
    return _save(trainer.model, args.out)


def _save(model, out_dir: str) -> int:
    out = Path(out_dir)
    try:
        model.save(out / "model.npz")
        model.export_notebook(out)
    except OSError as e:
        return _error(f"cannot write to {out_dir}: {e.strerror or e}", 1)
    print(f"saved {out / 'W.npy'}, {out / 'b.npy'}, {out / 'model.npz'}", file=sys.stderr)
    return 0


def _solve(args: argparse.Namespace) -> int:
    """``--solver lbfgs``: the optimum, its numbers on stdout, a note on stderr when the cap
    ended the run. Raises ConfigError for a bad --l2 / --max-iter, ValueError / OSError for
    data that cannot be loaded (main turns them into one line)."""
    l2 = DEFAULT_L2 if args.l2 is None else args.l2
    if not (math.isfinite(l2) and l2 >= 0):
        raise ConfigError(f"l2 must be a finite number >= 0, got {l2!r}")
    if args.max_iter < 1:
        raise ConfigError(f"max_iter must be an integer >= 1, got {args.max_iter!r}")
    ds = load_dataset(args.dataset, data_dir=args.data_dir)
    data = ds
    if args.deskew:
        data = (deskew(ds.train_images), ds.train_labels, deskew(ds.test_images), ds.test_labels)
    try:
        model, result = solve_lbfgs(
            data,
            l2,
            max_iter=args.max_iter,
            classes=tuple(ds.class_names),
            source=f"{args.dataset} ({ds.source})",
        )
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted; nothing saved", file=sys.stderr)
        return 130
    if args.deskew:
        model.preprocessing = "deskew"
        model.config["deskew"] = True
    for line in solver_lines(result, l2):
        print(line)
    print()
    print(final_result_line(model.metrics["test_loss"], model.metrics["test_acc"]))
    if l2 == 0 or not result.converged:
        print(f"{PROG}: note: {not_converged_note(result, l2)}", file=sys.stderr)
    return _save(model, args.out)


def solver_lines(result: SolverResult, l2: float) -> list[str]:
    """What ``--solver lbfgs`` prints before the test result (two lines)."""
    return [
        f"lbfgs: {result.reason}; {result.iterations} iterations, "
        f"{result.evaluations} passes over the data, {result.seconds:.1f} s",
        f"final training loss: {result.train_loss:.6f} (cross-entropy "
        f"{result.cross_entropy:.6f} + L2 {result.train_loss - result.cross_entropy:.6f}), "
        f"gradient norm (largest |entry|): {result.grad_norm:.2e}, ||W||: {result.weight_norm:.1f}",
    ]


def not_converged_note(result: SolverResult, l2: float) -> str:
    """Why a run with l2 = 0, or one the cap ended, is not (known to be) the optimum."""
    if l2 == 0:
        return (
            "with --l2 0 the minimum need not exist: along directions that separate training "
            "classes the loss keeps falling as the weights grow (||W|| is "
            f"{result.weight_norm:.1f} here, and grows with more iterations), so neither the "
            "cap nor a small gradient means the optimum was reached; the model saved is where "
            "the run stopped. Use --l2 > 0 for a true optimum."
        )
    return (
        f"not at the optimum yet (gradient {result.grad_norm:.1e}): the model saved is the "
        "capped one; raise --max-iter to get closer."
    )


if __name__ == "__main__":
    sys.exit(main())
