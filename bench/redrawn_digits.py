"""How well does the model read digits drawn on the canvas? Redraw MNIST test digits and see.

Each test digit (28x28) is upscaled and placed on a 280x280 black RGBA canvas in several styles
(small in a corner, large, off-centre, thick and thin strokes, hard-edged strokes), then run
through ``core.preprocess.canvas_to_mnist`` exactly as a drawing from the app would be. The
model's accuracy on each style is printed next to its accuracy on the plain test images, as a
markdown table for the README. If preprocessing does its job, every row is close to the first.
Rows marked "stroke normalisation off" run the same canvases through
``canvas_to_mnist(..., normalise_stroke=False)``, to show what that step does.

    python bench/redrawn_digits.py                         # models/default/model.npz, 2000 digits
    python bench/redrawn_digits.py --n 0                   # the whole test set (~1 min)
    python bench/redrawn_digits.py --model path/to/model.npz
    python bench/redrawn_digits.py --train-epochs 3        # no model yet: train one quickly
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # allow `python bench/redrawn_digits.py` from anywhere
    sys.path.insert(0, str(REPO))

from core.analysis import sample_indices  # noqa: E402
from core.datasets import load_dataset  # noqa: E402
from core.preprocess import EmptyCanvasError, canvas_to_mnist, digit_to_canvas  # noqa: E402

DEFAULT_MODEL = REPO / "models" / "default" / "model.npz"

# name -> keyword arguments of digit_to_canvas (size, top, left on a 280x280 canvas).
# The MNIST digit fills ~20 of its 28 px, so a `size` of 280 draws a ~200 px tall digit.
STYLES: dict[str, dict] = {
    "small (70 px) in a corner": dict(size=70, top=8, left=200),
    "large (270 px)": dict(size=270, top=5, left=5),
    "off-centre (160 px, bottom-left)": dict(size=160, top=115, left=5),
    "nearest-neighbour upscale (100 px)": dict(size=100, top=40, left=150, method="nearest"),
    "hard strokes (binarized, 200 px)": dict(size=200, top=40, left=40, binarize=True),
    "thick strokes (200 px, +8 px dilation)": dict(size=200, top=40, left=40, stroke=8),
    "thin strokes (200 px, -4 px erosion)": dict(size=200, top=40, left=40, stroke=-4),
}
# Styles also scored with stroke normalisation off (same canvases).
COMPARE_OFF = (
    "thick strokes (200 px, +8 px dilation)",
    "thin strokes (200 px, -4 px erosion)",
)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL, help="model .npz")
    parser.add_argument(
        "--train-epochs",
        type=int,
        default=0,
        help="if the model file does not exist, train one for this many epochs (core.train)",
    )
    parser.add_argument("--n", type=int, default=2000, help="test digits to use (0 = all)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the digit sample")
    return parser.parse_args(argv)


def load_or_train_model(path: Path, train_epochs: int, dataset):
    from core.model import SoftmaxRegression

    if path.exists():
        shown = path.relative_to(REPO) if path.is_relative_to(REPO) else path
        return SoftmaxRegression.load(path), f"`{shown}`"
    if train_epochs <= 0:
        raise SystemExit(
            f"error: no model at {path}; pass --model PATH or --train-epochs N to train one"
        )
    from core.train import TrainConfig, Trainer

    started = time.perf_counter()
    model = Trainer(TrainConfig(epochs=train_epochs), dataset).run()
    seconds = time.perf_counter() - started
    print(f"trained for {train_epochs} epochs in {seconds:.1f} s", file=sys.stderr)
    return model, f"freshly trained ({train_epochs} epochs, default TrainConfig)"


def redraw_all(
    digits: np.ndarray, style: dict, settings: tuple[bool, ...] = (True,)
) -> tuple[list[np.ndarray], int]:
    """(n, 784) uint8 digits -> ((n, 784) float32 preprocessed redraws for each stroke
    normalisation setting in ``settings``, number of empty canvases).

    A redraw that leaves nothing on the canvas (possible for 'thin') stays all-zero.
    """
    outs = [np.zeros(digits.shape, dtype=np.float32) for _ in settings]
    empty = 0
    for i, digit in enumerate(digits):
        canvas = digit_to_canvas(digit, **style)
        try:
            for out, normalise in zip(outs, settings, strict=True):
                out[i] = canvas_to_mnist(canvas, normalise_stroke=normalise).ravel()
        except EmptyCanvasError:
            empty += 1
    return outs, empty


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    dataset = load_dataset("mnist")
    model, model_name = load_or_train_model(args.model, args.train_epochs, dataset)

    n_test = len(dataset.test_images)
    n = n_test if args.n <= 0 else min(args.n, n_test)
    picked = sample_indices(n_test, n, np.random.default_rng(args.seed))
    digits = dataset.test_images[picked]
    labels = dataset.test_labels[picked].astype(np.int64)
    plain = digits.astype(np.float32) / 255

    def accuracy(images: np.ndarray) -> float:
        return float((model.predict(images) == labels).mean())

    plain_accuracy = accuracy(plain)
    rows = [("plain MNIST test images", plain_accuracy, "", "", "")]
    styles = {"MNIST images through canvas_to_mnist": dict(size=28, top=0, left=0, canvas_size=28)}
    styles.update(STYLES)
    for name, style in styles.items():
        started = time.perf_counter()
        compare = name in COMPARE_OFF or style.get("canvas_size") == 28
        settings = (True, False) if compare else (True,)
        redrawn, empty = redraw_all(digits, style, settings)
        for images, normalise in zip(redrawn, settings, strict=True):
            label = name if normalise else f"{name}, stroke normalisation off"
            rows.append(_row(label, images, plain, plain_accuracy, accuracy, empty))
        print(f"{name}: {time.perf_counter() - started:.1f} s", file=sys.stderr)

    print(f"Model: {model_name}; {n} MNIST test digits (seed {args.seed}), 280x280 canvases.\n")
    print("| Input | Accuracy | vs plain | Pixel corr. with original | Empty |")
    print("|---|---:|---:|---:|---:|")
    for name, acc, delta, corr, empty in rows:
        print(f"| {name} | {acc:.2%} | {delta} | {corr} | {empty} |")
    return 0


def _row(name, images, plain, plain_accuracy, accuracy, empty):
    """One table row: accuracy on (n, 784) redraws, its change, median pixel correlation."""
    acc = accuracy(images)
    delta = f"{(acc - plain_accuracy) * 100:+.2f} pt"
    centred_a = images - images.mean(axis=1, keepdims=True)
    centred_b = plain - plain.mean(axis=1, keepdims=True)
    norms = np.linalg.norm(centred_a, axis=1) * np.linalg.norm(centred_b, axis=1)
    corr = (centred_a * centred_b).sum(axis=1) / np.maximum(norms, 1e-12)
    return name, acc, delta, f"{np.median(corr):.3f} (median)", str(empty)


if __name__ == "__main__":
    raise SystemExit(main())
