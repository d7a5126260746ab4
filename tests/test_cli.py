"""`python -m core.train`: a real 1-epoch run on the shipped data, and bad input -> one line."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core.cli import ProgressBar, main
from core.idx import write_idx
from core.model import SoftmaxRegression
from core.train import StepEvent

REPO = Path(__file__).resolve().parents[1]


def _cli(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "core.train", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
    )


def test_one_epoch_on_shipped_mnist(tmp_path):
    out = tmp_path / "run"
    r = _cli("--epochs", "1", "--out", str(out))
    assert r.returncode == 0, r.stderr
    # The notebook's lines: rounds numbered from 1, a blank line, six decimals and a full stop.
    lines = r.stdout.splitlines()
    assert len(lines) == 3 and lines[1] == ""
    m = re.fullmatch(r"round 1: loss=(\d\.\d{4}), acc=(\d\.\d{4})", lines[0])
    assert m and float(m[2]) > 0.85
    t = re.fullmatch(r"test result: loss: (\d\.\d{6}), acc: (\d\.\d{6})\.", lines[2])
    assert t and float(t[2]) > 0.85
    assert "\r" not in r.stderr  # no progress bar when stderr is not a terminal
    assert "Traceback" not in r.stderr
    W, b = np.load(out / "W.npy"), np.load(out / "b.npy")
    assert W.shape == (784, 10) and b.shape == (1, 10)
    model = SoftmaxRegression.load(out / "model.npz")
    np.testing.assert_array_equal(model.W, W)
    assert model.config["epochs"] == 1 and model.config["lr"] == 0.1
    assert model.metrics["test_acc"] == pytest.approx(float(t[2]), abs=1e-6)


def test_prints_the_notebooks_lines_rounds_numbered_from_1(tmp_path, capsys):
    rng = np.random.default_rng(0)
    data = tmp_path / "tiny"
    data.mkdir()
    for stem, n in (("train", 120), ("t10k", 40)):
        write_idx(rng.integers(0, 256, (n, 28, 28), np.uint8), data / f"{stem}-images-idx3-ubyte")
        write_idx(rng.integers(0, 10, n, dtype=np.uint8), data / f"{stem}-labels-idx1-ubyte")
    out = tmp_path / "o"
    args = ["--data-dir", str(data), "--epochs", "3", "--batch-size", "40", "--out", str(out)]
    assert main(args) == 0
    lines = capsys.readouterr().out.splitlines()
    heads = [line.split(":")[0] for line in lines]
    assert heads == ["round 1", "round 2", "round 3", "", "test result"]
    for line in lines[:3]:
        assert re.fullmatch(r"round \d: loss=\d+\.\d{4}, acc=\d\.\d{4}", line), line
    metrics = SoftmaxRegression.load(out / "model.npz").metrics
    assert lines[2] == (
        f"round 3: loss={metrics['train_loss']:.4f}, acc={metrics['train_acc']:.4f}"
    )
    assert lines[4] == (
        f"test result: loss: {metrics['test_loss']:.6f}, acc: {metrics['test_acc']:.6f}."
    )


@pytest.mark.parametrize(
    "args, code, fragment",
    [
        (["--lr", "-1"], 2, "lr"),
        (["--lr", "abc"], 2, "--lr"),
        (["--epochs", "0"], 2, "epochs"),
        (["--epochs", "1000"], 2, "epochs"),
        (["--batch-size", "0"], 2, "batch_size"),
        (["--l2", "-1"], 2, "l2"),
        (["--init-scale", "-1"], 2, "init_scale"),
        (["--dataset", "cifar"], 2, "dataset"),
        (["--bogus"], 2, "--bogus"),
        (["--batch-size", "60001"], 2, "larger than the training set"),
        (["--data-dir", "/nonexistent/dir"], 1, "/nonexistent/dir"),
    ],
)
def test_bad_arguments_one_line_no_traceback(args, code, fragment, tmp_path, capsys):
    rc = main([*args, "--out", str(tmp_path / "o")])
    assert rc == code
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.splitlines()) == 1 and fragment in captured.err, captured.err
    # The in-process call above is fast; one subprocess checks what a user really sees.
    if args == ["--lr", "-1"]:
        r = _cli(*args, "--out", str(tmp_path / "o"))
        assert r.returncode == 2 and r.stdout == ""
        assert len(r.stderr.splitlines()) == 1 and "lr" in r.stderr
    assert not (tmp_path / "o").exists()


def test_error_messages_are_single_lines(capsys, tmp_path):
    for args in (["--lr", "nan"], ["--epochs", "x"], ["--data-dir", str(tmp_path)]):
        assert main([*args, "--out", str(tmp_path / "o")]) != 0
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1, err
        assert err.startswith("core.train: error: ")


def test_corrupt_data_dir(tmp_path, capsys):
    d = tmp_path / "data"
    d.mkdir()
    for name in (
        "train-images-idx3-ubyte",
        "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte",
    ):
        (d / name).write_bytes(b"\x00\x00\x08\x03garbage")
    assert main(["--data-dir", str(d), "--out", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_diverging_run_saves_nothing(tmp_path, capsys):
    out = tmp_path / "o"
    assert main(["--lr", "1000", "--epochs", "1", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert "diverged at step 2 (epoch 1)" in err and "nothing saved" in err
    assert not out.exists()


def test_progress_bar_only_on_a_terminal():
    class TTY(io.StringIO):
        def isatty(self):
            return True

    ev = StepEvent(
        step=50, epoch=1, batch_in_epoch=50, loss=0.5, running_acc=0.9, steps_per_sec=3000
    )
    tty, pipe = TTY(), io.StringIO()
    for stream in (tty, pipe):
        bar = ProgressBar(stream, total=100)
        bar.update(ev, epochs=20)
        bar.clear()
    assert pipe.getvalue() == ""
    text = tty.getvalue()
    assert text.startswith("\r[###############---------------]  50% epoch 1/20")
    assert text.endswith("\r") and "\n" not in text
