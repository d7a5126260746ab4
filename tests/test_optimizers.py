"""core.optimizers against slow reference loops; the trainer's optimizer/schedule settings, their
validation, the CLI flags and the model file."""

from __future__ import annotations

import math

import numpy as np
import pytest

from core.cli import main
from core.idx import write_idx
from core.model import SoftmaxRegression
from core.optimizers import (
    Adam,
    Momentum,
    learning_rate,
    sgd_step_folded,
    true_gradient,
)
from core.softmax_kernel import BatchGradient
from core.train import ConfigError, TrainConfig, Trainer


def _params_and_grads(rng, steps, d=7, c=3):
    """Random float32 W (d, c), b (c,) and `steps` gradient pairs."""
    W = rng.normal(0, 1, (d, c)).astype(np.float32)
    b = rng.normal(0, 1, c).astype(np.float32)
    grads = [
        (rng.normal(0, 1, (d, c)).astype(np.float32), rng.normal(0, 1, c).astype(np.float32))
        for _ in range(steps)
    ]
    return W, b, grads


def _elementwise(update, arrays):
    """Apply a scalar rule to every element with a Python loop (the slow reference)."""
    out = [a.astype(np.float64).copy() for a in arrays]
    for idx in np.ndindex(out[0].shape):
        values = update(*(float(a[idx]) for a in out))
        for a, v in zip(out, values, strict=True):
            a[idx] = v
    return out


def test_schedules():
    assert learning_rate("constant", 0.1, 7, 100) == 0.1
    steps = [learning_rate("step", 1.0, t, 100) for t in range(100)]
    assert steps[0] == steps[49] == 1.0
    assert steps[50] == steps[74] == pytest.approx(0.1)
    assert steps[75] == steps[99] == pytest.approx(0.01)
    cosine = [learning_rate("cosine", 2.0, t, 40) for t in range(40)]
    assert cosine[0] == 2.0 and cosine[20] == pytest.approx(1.0)
    assert all(a > b for a, b in zip(cosine, cosine[1:], strict=False)) and cosine[-1] > 0
    with pytest.raises(ValueError, match="schedule"):
        learning_rate("linear", 0.1, 0, 10)


def test_sgd_step_folded_against_a_loop():
    rng = np.random.default_rng(0)
    W, b, [(gW, gb)] = _params_and_grads(rng, 1)
    lr, l2 = 0.3, 0.05
    ref_W, _ = _elementwise(lambda w, g: (w - lr * (g / 255 + l2 * w), g), [W, gW])
    ref_b, _ = _elementwise(lambda p, g: (p - lr * g, g), [b, gb])
    sgd_step_folded(W, b, gW, gb, lr, l2)
    np.testing.assert_allclose(W, ref_W, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(b, ref_b, rtol=1e-6, atol=1e-7)


def test_true_gradient():
    rng = np.random.default_rng(1)
    W, _, [(gW, _)] = _params_and_grads(rng, 1)
    expected = gW.astype(np.float64) / 255 + 0.2 * W
    np.testing.assert_allclose(true_gradient(W, gW, 0.2), expected, rtol=1e-6)


def test_momentum_against_a_loop_over_steps():
    rng = np.random.default_rng(2)
    W, b, grads = _params_and_grads(rng, 6)
    ref = [W.astype(np.float64), b.astype(np.float64)]
    velocity = [np.zeros_like(r) for r in ref]
    rule, mu = Momentum(0.8), 0.8
    for t, (gW, gb) in enumerate(grads):
        lr = 0.5 / (t + 1)  # a changing rate, as schedules give
        for i, g in enumerate((gW, gb)):
            ref[i], velocity[i], _ = _elementwise(
                lambda p, v, g_, lr=lr: (p + (mu * v - lr * g_), mu * v - lr * g_, g_),
                [ref[i], velocity[i], g],
            )
        rule.step([W, b], [gW.copy(), gb.copy()], lr)
    np.testing.assert_allclose(W, ref[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(b, ref[1], rtol=1e-5, atol=1e-6)


def test_adam_against_the_textbook_loop_over_steps():
    rng = np.random.default_rng(3)
    W, b, grads = _params_and_grads(rng, 8)
    b1, b2, eps = 0.9, 0.999, 1e-8
    ref = [W.astype(np.float64), b.astype(np.float64)]
    m = [np.zeros_like(r) for r in ref]
    s = [np.zeros_like(r) for r in ref]
    rule = Adam()
    for t, (gW, gb) in enumerate(grads, start=1):

        def adam(p, m_, s_, g, t=t):
            m_ = b1 * m_ + (1 - b1) * g
            s_ = b2 * s_ + (1 - b2) * g * g
            m_hat, s_hat = m_ / (1 - b1**t), s_ / (1 - b2**t)
            return p - 0.01 * m_hat / (math.sqrt(s_hat) + eps), m_, s_, g

        for i, g in enumerate((gW, gb)):
            ref[i], m[i], s[i], _ = _elementwise(adam, [ref[i], m[i], s[i], g])
        rule.step([W, b], [gW, gb], 0.01)
    assert rule.t == 8
    np.testing.assert_allclose(W, ref[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(b, ref[1], rtol=1e-5, atol=1e-6)


def _synthetic(n, seed):
    templates = np.random.default_rng(99).random((10, 784)) < 0.15  # shared by every split
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 10
    noise = rng.random((n, 784)) < 0.05
    images = ((templates[y] ^ noise) * rng.integers(150, 256, (n, 784))).astype(np.uint8)
    return images, y


@pytest.fixture(scope="module")
def data():
    return (*_synthetic(400, 0), *_synthetic(100, 1))


def test_the_notebooks_path_is_the_old_sgd_step_bit_for_bit(data):
    """sgd + constant: the step the trainer had before optimizers existed, written out here."""
    config = TrainConfig(epochs=2, batch_size=64, l2=0.01, seed=4, lr=0.2)
    trainer = Trainer(config, data)
    trainer.run()
    rng = np.random.default_rng(4)
    W = (rng.standard_normal((784, 10)) * 0.01).astype(np.float32)
    b = np.zeros(10, np.float32)
    gradient = BatchGradient(data[0], data[1].astype(np.intp), 10, 64)
    for _ in range(2):
        perm = rng.permutation(400)
        for start in range(0, 400, 64):
            gradient.compute(W, b, perm[start : start + 64])
            W *= np.float32(1.0 - 0.2 * 0.01)
            W -= gradient.grad_W * np.float32(0.2 / 255.0)
            b -= gradient.grad_b * np.float32(0.2)
    np.testing.assert_array_equal(trainer.W, W)
    np.testing.assert_array_equal(trainer.b, b)


@pytest.mark.parametrize(
    "optimizer, schedule, lr", [("momentum", "cosine", 0.05), ("adam", "step", 0.003)]
)
def test_other_rules_train_and_follow_the_reference(data, optimizer, schedule, lr):
    config = TrainConfig(
        epochs=3, batch_size=50, lr=lr, l2=1e-3, optimizer=optimizer, schedule=schedule
    )
    trainer = Trainer(config, data)
    trainer.run()
    assert trainer.history[-1]["test_acc"] > 0.9
    # The same run by hand, with the rules of this module's reference tests.
    rng = np.random.default_rng(0)
    W = (rng.standard_normal((784, 10)) * 0.01).astype(np.float32)
    b = np.zeros(10, np.float32)
    gradient = BatchGradient(data[0], data[1].astype(np.intp), 10, 50)
    rule = Momentum(0.9) if optimizer == "momentum" else Adam()
    step = 0
    for _ in range(3):
        perm = rng.permutation(400)
        for start in range(0, 400, 50):
            gradient.compute(W, b, perm[start : start + 50])
            gW = gradient.grad_W / np.float32(255) + np.float32(1e-3) * W
            rule.step([W, b], [gW, gradient.grad_b.copy()], learning_rate(schedule, lr, step, 24))
            step += 1
    np.testing.assert_allclose(trainer.W, W, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"optimizer": "rmsprop"}, "optimizer"),
        ({"momentum": 1.0}, "momentum"),
        ({"momentum": -0.1}, "momentum"),
        ({"momentum": "0.9"}, "momentum"),
        ({"schedule": "linear"}, "schedule"),
    ],
)
def test_bad_settings_name_themselves(kwargs, name):
    with pytest.raises(ConfigError, match=name):
        TrainConfig(**kwargs).validate()


def test_the_model_file_keeps_the_settings_and_old_files_still_load(data, tmp_path):
    config = TrainConfig(epochs=1, batch_size=100, optimizer="adam", lr=0.01, schedule="cosine")
    model = Trainer(config, data).run()
    back = SoftmaxRegression.load(model.save(tmp_path / "m.npz"))
    assert back.config == config.to_dict()
    assert TrainConfig(**back.config) == config
    old_config = {k: v for k, v in config.to_dict().items() if k not in ("optimizer", "schedule")}
    old_config.pop("momentum")
    old = SoftmaxRegression(model.W, model.b, config=old_config)
    reloaded = SoftmaxRegression.load(old.save(tmp_path / "old.npz"))
    assert TrainConfig(**reloaded.config).optimizer == "sgd"  # an old file: the notebook's rule


def test_cli_flags_reach_the_model(tmp_path, capsys):
    folder = tmp_path / "tiny"
    folder.mkdir()
    for stem, (images, labels) in (("train", _synthetic(120, 0)), ("t10k", _synthetic(40, 1))):
        write_idx(images.reshape(-1, 28, 28), folder / f"{stem}-images-idx3-ubyte")
        write_idx(labels.astype(np.uint8), folder / f"{stem}-labels-idx1-ubyte")
    out = tmp_path / "o"
    args = ["--data-dir", str(folder), "--epochs", "2", "--batch-size", "40", "--out", str(out)]
    flags = ["--optimizer", "momentum", "--momentum", "0.5", "--schedule", "step"]
    assert main([*args, *flags]) == 0
    config = SoftmaxRegression.load(out / "model.npz").config
    assert (config["optimizer"], config["momentum"], config["schedule"]) == (
        "momentum",
        0.5,
        "step",
    )
    capsys.readouterr()
    assert main([*args, "--optimizer", "nesterov"]) == 2
    assert main([*args, "--optimizer", "momentum", "--momentum", "1.5"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and "--optimizer" in err[0] and "momentum" in err[1]
