"""Benchmark: the L-BFGS optimum (core/solver.py) on the shipped MNIST, one run.

    .venv/bin/python bench/solver_speed.py [--l2 1e-4] [--max-iter 1000] [--deskew]

Reports the solver's iterations, stop reason, final training loss and gradient norm, test
accuracy, wall and CPU seconds of the optimisation (CPU seconds are what a quiet 2-core
machine would show as wall time, BLAS being pinned to one thread), the peak of the allocations
NumPy reports to tracemalloc after the uint8 dataset is loaded (the solver's own memory), and
the process's max RSS (interpreter, NumPy, SciPy and the dataset included). No asserts: this
is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.datasets import load_dataset  # noqa: E402
from core.deskew import deskew  # noqa: E402
from core.solver import DEFAULT_L2, DEFAULT_MAX_ITER, solve_lbfgs  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--l2", type=float, default=DEFAULT_L2)
    parser.add_argument("--max-iter", type=int, default=DEFAULT_MAX_ITER)
    parser.add_argument("--deskew", action="store_true")
    args = parser.parse_args()
    ds = load_dataset("mnist")
    data = ds
    if args.deskew:
        data = (deskew(ds.train_images), ds.train_labels, deskew(ds.test_images), ds.test_labels)
    import scipy.optimize  # noqa: F401  (loaded before tracing: its code is not our memory)

    tracemalloc.start()
    cpu0 = time.process_time()
    model, result = solve_lbfgs(data, args.l2, max_iter=args.max_iter)
    cpu = time.process_time() - cpu0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"l2 {args.l2}, deskew {args.deskew}: {result.reason}")
    print(f"iterations {result.iterations}, passes {result.evaluations}")
    print(f"training loss {result.train_loss:.6f} (cross-entropy {result.cross_entropy:.6f})")
    print(f"gradient norm {result.grad_norm:.2e}, ||W|| {result.weight_norm:.1f}")
    print(f"test acc {model.metrics['test_acc']:.4f}, test loss {model.metrics['test_loss']:.4f}")
    print(f"wall {result.seconds:.1f} s, CPU {cpu:.1f} s (evaluation included)")
    print(f"traced peak {peak / 2**20:.1f} MB, max RSS {rss:.0f} MB")


if __name__ == "__main__":
    main()
