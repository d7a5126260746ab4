"""core.solver: the full-batch loss and gradient, the L-BFGS optimum, and ``--solver lbfgs``."""

from __future__ import annotations

import re

import numpy as np
import pytest

from core.cli import main
from core.idx import write_idx
from core.model import SoftmaxRegression, softmax_loss
from core.solver import SOLVER_CHUNK, l2_softmax_loss_uint8, solve_lbfgs


def _blobs(rng: np.random.Generator, n: int, d: int = 24, spread: float = 60.0):
    """uint8 (n, d) images of 10 classes around random class means (all classes present),
    labels (n,)."""
    labels = np.arange(n) % 10
    means = rng.uniform(40, 215, (10, d))
    images = means[labels] + rng.normal(0, spread, (n, d))
    return np.clip(images, 0, 255).astype(np.uint8), labels.astype(np.intp)


def _objective(W, b, images, labels, l2):
    """The reference: core.model.softmax_loss in float64 on images / 255."""
    return softmax_loss(W, b, images.astype(np.float64) / 255.0, labels, l2)


@pytest.mark.parametrize("centred", [False, True])
def test_loss_and_gradient_match_the_reference_and_finite_differences(centred):
    rng = np.random.default_rng(1)
    images, labels = _blobs(rng, 37, d=6)
    W, b = rng.normal(0, 0.5, (6, 10)), rng.normal(0, 0.5, 10)
    offset = images.mean(axis=0) if centred else None
    l2 = 0.3
    # A chunk smaller than N: the sums over chunks are exercised.
    loss, dW, db = l2_softmax_loss_uint8(
        W, b, images, labels, l2, offset=offset, buffer=np.empty((8, 6))
    )
    shifted = images - (offset if centred else 0.0)
    ref_loss, ref = softmax_loss(W, b, shifted / 255.0, labels, l2)
    assert loss == pytest.approx(ref_loss, rel=1e-12)
    np.testing.assert_allclose(dW, ref["W"], rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(db, ref["b"], rtol=1e-10, atol=1e-13)

    def f(W_, b_):
        return l2_softmax_loss_uint8(W_, b_, images, labels, l2, offset=offset)[0]

    h = 1e-6
    for i, j in [(0, 0), (3, 7), (5, 9), (2, 4)]:
        E = np.zeros_like(W)
        E[i, j] = h
        numeric = (f(W + E, b) - f(W - E, b)) / (2 * h)
        assert dW[i, j] == pytest.approx(numeric, rel=1e-5, abs=1e-9)
    for j in (0, 6):
        e = np.zeros_like(b)
        e[j] = h
        assert db[j] == pytest.approx((f(W, b + e) - f(W, b - e)) / (2 * h), rel=1e-5, abs=1e-9)


def _gradient_descent(images, labels, l2, steps):
    """Plain full-batch gradient descent from zero with the safe step 1/L, L a bound on the
    Hessian's largest eigenvalue (0.5 * lambda_max of [X/255, 1]^T [X/255, 1] / N, plus l2)."""
    X = images.astype(np.float64) / 255.0
    Xa = np.hstack([X, np.ones((len(X), 1))])
    L = 0.5 * np.linalg.eigvalsh(Xa.T @ Xa / len(X)).max() + l2
    W, b = np.zeros((X.shape[1], 10)), np.zeros(10)
    for _ in range(steps):
        _, g = softmax_loss(W, b, X, labels, l2)
        W -= g["W"] / L
        b -= g["b"] / L
    return W, b


def test_lbfgs_reaches_the_optimum_of_a_small_problem():
    rng = np.random.default_rng(2)
    train, train_labels = _blobs(rng, 300)
    test, test_labels = _blobs(rng, 100)
    l2 = 0.05
    model, result = solve_lbfgs((train, train_labels, test, test_labels), l2, gtol=1e-7)
    assert result.converged and "gtol" in result.reason
    assert result.iterations < 1000
    W, b = model.W.astype(np.float64), model.b.astype(np.float64)
    loss, g = _objective(W, b, train, train_labels, l2)
    # At the optimum the gradient vanishes (float32 storage of W costs ~1e-7 of it).
    assert max(np.abs(g["W"]).max(), np.abs(g["b"]).max()) < 1e-5
    assert result.train_loss == pytest.approx(loss, abs=1e-6)
    # A long run of plain gradient descent gets to the same point, no lower.
    W_gd, b_gd = _gradient_descent(train, train_labels, l2, steps=3000)
    gd_loss = _objective(W_gd, b_gd, train, train_labels, l2)[0]
    assert loss <= gd_loss + 1e-7
    assert gd_loss - loss < 1e-6
    np.testing.assert_allclose(W, W_gd, atol=5e-3)
    # The metrics the model carries are those of its own weights.
    assert model.metrics["test_acc"] == np.mean(model.predict(test / 255.0) == test_labels)
    assert model.config == {"solver": "lbfgs", "l2": l2, "max_iter": 1000, "gtol": 1e-7}


def test_the_bias_is_not_penalised():
    rng = np.random.default_rng(6)
    train, labels = _blobs(rng, 200, d=10)
    train = np.maximum(train, np.uint8(30))
    data = (train, labels, train, labels)
    model, _ = solve_lbfgs(data, 0.1, gtol=1e-8)
    # Darkening every image by 30 (no pixel below 30 here) moves only the bias, which is not
    # penalised: W stays, b grows by 30/255 * the column sums of W.
    darker = train - np.uint8(30)
    moved, _ = solve_lbfgs((darker, labels, darker, labels), 0.1, gtol=1e-8)
    np.testing.assert_allclose(moved.W, model.W, atol=1e-4)
    np.testing.assert_allclose(moved.b, model.b + 30 / 255 * model.W.sum(axis=0), atol=1e-4)


def test_without_l2_on_separable_data_the_weights_grow_without_a_minimum():
    rng = np.random.default_rng(3)
    train, labels = _blobs(rng, 100, spread=5.0)  # well separated classes
    data = (train, labels, train, labels)
    # gtol 0: only the cap ends these runs; more iterations, lower loss, larger weights.
    _, short = solve_lbfgs(data, 0.0, max_iter=6, gtol=0.0)
    _, longer = solve_lbfgs(data, 0.0, max_iter=20, gtol=0.0)
    for r in (short, longer):
        assert not r.converged and "iteration cap (" in r.reason
    assert longer.train_loss < short.train_loss
    assert longer.weight_norm > 1.5 * short.weight_norm
    # Run long enough, the loss reaches 0 in float64 and the line search has nowhere to go.
    _, endless = solve_lbfgs(data, 0.0, max_iter=500, gtol=0.0)
    assert endless.train_loss < 1e-12 and "line search" in endless.reason
    # With the default gtol the gradient test is met (the loss is ~0), and the reason says
    # that this is no minimum.
    _, default = solve_lbfgs(data, 0.0)
    assert default.train_loss < 1e-3 and "need not be a minimum" in default.reason


@pytest.mark.parametrize("bad", [{"l2": -1.0}, {"l2": float("nan")}, {"max_iter": 0}])
def test_bad_settings_are_refused(bad):
    rng = np.random.default_rng(4)
    train, labels = _blobs(rng, 20)
    with pytest.raises(ValueError, match=next(iter(bad))):
        solve_lbfgs((train, labels, train, labels), **{"l2": 1e-3, **bad})


def _tiny_data_dir(tmp_path, spread=60.0):
    rng = np.random.default_rng(5)
    folder = tmp_path / "tiny"
    folder.mkdir()
    for stem, n in (("train", 200), ("t10k", 60)):
        images, labels = _blobs(rng, n, d=784, spread=spread)
        write_idx(images.reshape(n, 28, 28), folder / f"{stem}-images-idx3-ubyte")
        write_idx(labels.astype(np.uint8), folder / f"{stem}-labels-idx1-ubyte")
    return folder


def test_cli_lbfgs_prints_the_numbers_and_writes_the_notebook_files(tmp_path, capsys):
    out = tmp_path / "o"
    args = ["--solver", "lbfgs", "--l2", "0.05", "--data-dir", str(_tiny_data_dir(tmp_path))]
    assert main([*args, "--out", str(out)]) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert len(lines) == 4 and lines[2] == ""
    assert re.fullmatch(r"lbfgs: converged: .*; \d+ iterations, \d+ passes .*, [\d.]+ s", lines[0])
    m = re.fullmatch(
        r"final training loss: (\d\.\d{6}) \(cross-entropy (\d\.\d{6}) \+ L2 (\d\.\d{6})\), "
        r"gradient norm \(largest \|entry\|\): (\S+), \|\|W\|\|: [\d.]+",
        lines[1],
    )
    assert m and float(m[4]) <= 1e-5
    assert float(m[1]) == pytest.approx(float(m[2]) + float(m[3]), abs=2e-6)
    model = SoftmaxRegression.load(out / "model.npz")
    np.testing.assert_array_equal(np.load(out / "W.npy"), model.W)
    assert lines[3] == (
        f"test result: loss: {model.metrics['test_loss']:.6f}, "
        f"acc: {model.metrics['test_acc']:.6f}."
    )
    assert model.config["solver"] == "lbfgs" and model.config["l2"] == 0.05
    assert model.metrics["solver_converged"] is True
    assert "note:" not in captured.err


def test_cli_lbfgs_without_l2_says_the_optimum_is_not_reached(tmp_path, capsys):
    out = tmp_path / "o"
    data = _tiny_data_dir(tmp_path, spread=5.0)
    args = ["--solver", "lbfgs", "--l2", "0", "--max-iter", "5", "--data-dir", str(data)]
    assert main([*args, "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "iteration cap (5)" in captured.out.splitlines()[0]
    assert "minimum need not exist" in captured.err and "--l2 > 0" in captured.err
    assert SoftmaxRegression.load(out / "model.npz").metrics["solver_converged"] is False


@pytest.mark.parametrize(
    "args, fragment", [(["--l2", "-1"], "l2"), (["--max-iter", "0"], "max_iter")]
)
def test_cli_lbfgs_bad_arguments_one_line(args, fragment, tmp_path, capsys):
    rc = main(["--solver", "lbfgs", *args, "--out", str(tmp_path / "o")])
    assert rc == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and fragment in err
    assert not (tmp_path / "o").exists()


def test_the_chunk_is_small():
    assert SOLVER_CHUNK * 784 * 8 <= 2 * 2**20  # float64 rows that fit in cache


@pytest.mark.slow
def test_lbfgs_on_mnist_converges_to_above_92_5_percent(mnist):
    model, result = solve_lbfgs(mnist, 1e-4)
    assert result.converged, result.reason
    assert result.grad_norm <= 1e-5
    assert model.metrics["test_acc"] >= 0.925


def test_scipys_own_blas_is_pinned_too_once_the_solver_has_run():
    from threadpoolctl import threadpool_info, threadpool_limits

    from core import softmax_kernel

    with softmax_kernel.one_blas_thread():  # the controller exists before the solver runs
        pass
    rng = np.random.default_rng(7)
    train, labels = _blobs(rng, 30)
    solve_lbfgs((train, labels, train, labels), 0.1)
    with threadpool_limits(2, user_api="blas"), softmax_kernel.one_blas_thread():
        threads = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
    assert threads and set(threads) == {1}, threads
