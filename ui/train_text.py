"""The Train page's explanations of what training does (shown while no run is live: during a run
the page keeps what moves in view)."""

from __future__ import annotations

import streamlit as st

from ui import state
from ui.expanders import expander_drawn_when_open
from ui.i18n import _


def explain_training() -> None:
    """The page's intro, the update rule and the epochs/steps/batch explanation."""
    st.markdown(
        _(
            "Minibatch stochastic gradient descent, exactly as in the notebook: shuffle the 60,000 "
            "training images each epoch, take a minibatch at a time (128 images in the notebook), "
            "nudge the weights against the gradient. "
            "Watch the loss fall and the ten weight templates take shape."
        )
    )
    expander_drawn_when_open(
        _("The maths of one SGD step, with shapes"), state.MATHS_SGD_STEP, _sgd_step_maths
    )
    expander_drawn_when_open(_("Epochs, steps and batch size"), state.MATHS_EPOCHS, _epochs_maths)


def _sgd_step_maths() -> None:
    st.markdown(
        _(
            r"""
For a minibatch of $B$ images $X \in \mathbb{R}^{B\times 784}$ (pixels scaled to $[0,1]$) with
labels $y$:

| step | formula | shape |
|---|---|---|
| scores | $Z = XW + b$ | $(B, 10)$ |
| probabilities | $P = \mathrm{softmax}(Z)$ row by row (max subtracted first) | $(B, 10)$ |
| loss | $L = -\frac{1}{B}\sum_i \log P_{i, y_i} + \frac{\lambda}{2}\lVert W\rVert_F^2$ | scalar |
| error signal | $G = (P - \mathrm{onehot}(y)) / B$ | $(B, 10)$ |
| gradients | $\nabla_W = X^\top G + \lambda W$, $\nabla_b = \sum_i G_i$ | $(784, 10)$, $(10,)$ |
| update | $W \leftarrow W - \eta \nabla_W$, $b \leftarrow b - \eta \nabla_b$ | |

$\eta$ is the learning rate, $\lambda$ the L2 weight decay (0 in the notebook; the bias is not
penalised, so $\nabla_b$ has no $\lambda$ term). This is
**multinomial logistic regression**. Weights start as `randn(784, 10) * init_scale`, the bias at
zero. After each epoch the whole training and test sets are scored (the chart's markers); the line
in between is the mean cross-entropy of the last *k* minibatches, each scored while the weights
were still changing. Both leave out the penalty $\frac{\lambda}{2}\lVert W\rVert_F^2$ that
training also minimises.

**Why $G = P - \mathrm{onehot}(y)$.** For one image $L = \log\sum_k e^{z_k} - z_y$, so
$\partial L / \partial z_k = e^{z_k} / \sum_j e^{z_j} - [k = y] = p_k - y_k$. With $z = xW + b$:
$\nabla_W L = x^\top (p - y)$, $\nabla_b L = p - y$, averaged over the minibatch. Each entry of
$p - y$ lies in $[-1, 1]$, so without L2 one step moves a weight by at most $\eta$.

**Why the loss stays finite.** It is computed as $\log\sum_k e^{z_k} - z_y$, the same number as
$-\log P_y$ but never $\log 0$: with logits $(0, 120)$ and the first class true,
$P_y = e^{-120}$ rounds to 0 in float32 and $-\log P_y = \infty$, while
$\log\sum_k e^{z_k} - z_y = 120$. That, not the max-subtracted
softmax, is why a huge learning rate gives a huge but finite loss.
"""
        )
    )


def _epochs_maths() -> None:
    st.markdown(
        _(
            r"""
One **epoch** is one pass over all 60,000 training images, in $\lceil 60000/B\rceil$ steps of
$B$ images (batch 128: 469 steps). Each step follows the gradient of its own minibatch, a noisy
estimate of the whole set's gradient: small batches give many cheap, noisy steps, large ones few
accurate steps. At learning rate 0.1, batch 1 makes 180,000 steps in 3 epochs and reaches 89.1%;
batch 60,000 makes one step per epoch and reaches only 81.5% after 20 epochs (20 steps).
The images are **shuffled every epoch**, so each minibatch is a fair sample and the steps do not
repeat the same order.
"""
        )
    )
