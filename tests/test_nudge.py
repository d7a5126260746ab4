"""core.nudge: moving a digit along w_target - w_top, the cheapest way to change a linear
model's mind."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from core.nudge import NudgeError, direction, flip_eps, logit_gap, nudged

D, C = 784, 10
finite = st.floats(-1, 1, allow_nan=False, width=32)


@st.composite
def problems(draw):
    W = draw(arrays(np.float32, (D, C), elements=finite))
    b = draw(arrays(np.float32, (C,), elements=finite))
    x = draw(arrays(np.float32, (D,), elements=st.floats(0, 1, width=32)))
    top, target = draw(st.lists(st.integers(0, C - 1), min_size=2, max_size=2, unique=True))
    if not np.any(W[:, target] != W[:, top]):
        W[0, target] += 1.0
    return x, W, b, top, target


@settings(max_examples=60, deadline=None)
@given(problem=problems(), eps=st.lists(st.floats(0, 20), min_size=2, max_size=6))
def test_the_gap_grows_by_eps_times_the_template_difference_before_clipping(problem, eps):
    x, W, b, top, target = problem
    size = float(np.linalg.norm(W[:, target].astype(np.float64) - W[:, top]))
    eps = np.sort(np.asarray(eps, np.float32))
    images = nudged(x, W, top, target, eps, clip=False)
    gaps = logit_gap(images, W, b, top, target)
    expected = logit_gap(x, W, b, top, target) + eps * size
    # float32 sums of D products round by up to about D * u * sum|x_i w_i| (u = 2**-24): with
    # large logits that alone exceeds 1e-3 (Hypothesis found 0.004 at eps = 0).
    w = np.abs(W[:, top]) + np.abs(W[:, target])
    rounding = D * np.finfo(np.float32).eps / 2 * (np.abs(images) @ w + np.abs(x) @ w)
    assert np.all(
        np.abs(gaps - expected) <= 1e-3 * (1 + size * eps) + 1e-4 * np.abs(expected) + rounding
    )
    assert np.all(np.diff(gaps) >= -1e-3 * (1 + size) - rounding[1:] - rounding[:-1])


@settings(max_examples=60, deadline=None)
@given(problem=problems(), eps=st.lists(st.floats(0, 20), min_size=2, max_size=6))
def test_clipping_to_0_1_never_makes_the_gap_shrink_as_eps_grows(problem, eps):
    x, W, b, top, target = problem
    eps = np.sort(np.asarray(eps, np.float32))
    images = nudged(x, W, top, target, eps)
    assert images.min() >= 0 and images.max() <= 1
    gaps = logit_gap(images, W, b, top, target)
    assert np.all(np.diff(gaps) >= -1e-3 * (1 + np.abs(gaps).max()))


def test_the_direction_is_a_unit_vector_and_the_same_class_has_none():
    W = np.random.default_rng(0).normal(size=(D, C)).astype(np.float32)
    assert np.linalg.norm(direction(W, 1, 7)) == pytest.approx(1.0, abs=1e-5)
    with pytest.raises(NudgeError):
        direction(W, 3, 3)


def test_the_shipped_model_reads_a_nudged_test_digit_as_the_target(mnist):
    from ui.loaders import shipped_model

    model = shipped_model()
    W, b = model.W, model.b.reshape(-1)
    x = mnist.test_images[0].astype(np.float32) / 255  # a 7
    top = int(model.predict(x)[0])
    eps = flip_eps(x, W, b, top, 9, eps_max=10.0)
    assert eps is not None and 0 < eps <= 10
    assert model.predict(nudged(x, W, top, 9, eps))[0] == 9
    assert model.predict(nudged(x, W, top, 9, eps - 10.0 / 400))[0] != 9  # the smallest on the grid
    assert flip_eps(x, W, b, top, 9, eps_max=eps / 2) is None
