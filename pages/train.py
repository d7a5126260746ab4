"""Train: run the notebook's minibatch SGD live, in a background thread, and compare runs."""

from __future__ import annotations

import streamlit as st

from core.train import RunStatus
from ui import links, state
from ui.i18n import _
from ui.live_panel import LivePanel
from ui.nav import TRAIN
from ui.page import dataset_or_stop, start_page
from ui.run_results import show_confusion, show_result, show_runs
from ui.sidebar import sidebar_run_status
from ui.train_controls import pace_help, run_controls
from ui.train_form import (
    fill_form_from_link,
    folded_form,
    publish_form,
    seed_used,
    settings_form,
)
from ui.training import follow_live_run, session_runs, start_unless_repeated

start_page(TRAIN, live_run_status=False)  # the live panel below shows it
dataset_name = st.session_state[state.DATASET]
dataset = dataset_or_stop(dataset_name)
# A link's settings fill the form (train?lr=5&epochs=3); nothing starts until Start.
fill_form_from_link(len(dataset.train_labels))
links.show_ignored_note()

st.markdown(
    _(
        "Minibatch stochastic gradient descent, exactly as in the notebook: shuffle the 60,000 "
        "training images each epoch, take a minibatch at a time (128 images in the notebook), "
        "nudge the weights against the gradient. "
        "Watch the loss fall and the ten weight templates take shape."
    )
)
with st.expander(_("The update rule and the shapes involved")):
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
with st.expander(_("Epochs, steps and batch size")):
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

run = session_runs().live
# While a run is live the form folds into one line, so that what moves fits on a laptop screen
# without scrolling; it unfolds when the run ends (that script run starts afresh).
settings_slot = st.empty()
if run is None:
    with settings_slot.container():
        config, form_error = settings_form(len(dataset.train_labels))
    publish_form()
    seed_moves_on = not st.session_state[state.SEED_PINNED]
    if config is not None and start_unless_repeated(config, dataset, seed_moves_on):
        seed_used(config.seed)
        st.rerun()  # the page again, folded
else:
    with settings_slot.container():
        form_error = folded_form(run.config)
run = session_runs().live  # a double click's second Start found the first click's run
live_view_on = run_controls(run, form_error, dataset)
pace_note = st.empty()  # always here: the page keeps one shape while it follows a run
if run is None:
    pace_note.caption(pace_help())
# The live run is drawn here, last of all (follow_live_run keeps this script run redrawing it).
frozen_note, live_slot = st.empty(), st.empty()

# One slot per section below the live panel, always all of them and in this order: a script run
# that follows a live run does not end, and until a run ends Streamlit keeps showing (faded)
# what the one before drew further down. Each slot replaces what its place held, if only by
# staying empty.
results_slot, confusion_slot, history_slot = st.empty(), st.empty(), st.empty()
finished = st.session_state[state.RUNS]
on_this_dataset = [r for r in finished if r.dataset == dataset_name]
if on_this_dataset and run is None:
    with results_slot.container():
        show_result(on_this_dataset[-1])
entry = state.current_model()
if run is None and entry is not None and entry.dataset == dataset_name:
    with confusion_slot.container():
        show_confusion(entry, dataset)
if finished:
    with history_slot.container():
        show_runs(finished)

if run is not None:
    trained_on = dataset_or_stop(run.dataset_name)  # the sidebar may show another dataset now
    panel = LivePanel(live_slot, trained_on.class_names, len(trained_on.train_labels))
    follow_live_run(panel.show, keep_following=live_view_on)
    # Only after the view is drawn (follow_live_run returns at once when not following): the
    # note must not appear while the panel still shows the previous script run's last redraw.
    if not live_view_on and run.view().status != RunStatus.PAUSED:
        # The panel stands still, so the sidebar's small status moves instead, and brings the
        # results in when the run ends.
        sidebar_run_status()
        frozen_note.caption(
            _(
                "📷 Live view is off: this is the run as it was at your last click. It goes on "
                "training (the sidebar shows how far), and its results appear here when it ends; "
                "turn Live view on to follow it here."
            )
        )
