"""Train: run the notebook's minibatch SGD live, in a background thread, and compare runs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from core.metrics import confusion_matrix, per_class_precision_recall
from core.train import MAX_EPOCHS, ConfigError, TrainConfig
from ui import state
from ui.charts import (
    NOTEBOOK_TEST_ACC,
    class_bar_figure,
    epoch_metric_figure,
    runs_overlay_figure,
)
from ui.figures import confusion_figure
from ui.images import image_grid_html
from ui.live_panel import METRIC_PX, LivePanel
from ui.page import dataset_or_stop, start_page
from ui.sidebar import sidebar_run_status
from ui.training import (
    PAUSED,
    QUEUED,
    RUNNING,
    collect_finished_run,
    follow_live_run,
    session_runs,
)

start_page(live_run_status=False)  # the live panel below shows it
dataset_name = st.session_state[state.DATASET]
dataset = dataset_or_stop(dataset_name)

st.title("🏋️ Train")
st.markdown(
    "Minibatch stochastic gradient descent, exactly as in the notebook: shuffle the 60,000 "
    "training images each epoch, take a minibatch at a time (128 images in the notebook), nudge "
    "the weights against the gradient. "
    "Watch the loss fall and the ten weight templates take shape."
)
with st.expander("The update rule and the shapes involved"):
    st.markdown(
        r"""
For a minibatch of $B$ images $X \in \mathbb{R}^{B\times 784}$ (pixels scaled to $[0,1]$) with
labels $y$:

| step | formula | shape |
|---|---|---|
| scores | $Z = XW + b$ | $(B, 10)$ |
| probabilities | $P = \mathrm{softmax}(Z)$ row by row (max subtracted first) | $(B, 10)$ |
| loss | $L = -\frac{1}{B}\sum_i \log P_{i, y_i} + \frac{\lambda}{2}\lVert W\rVert^2$ | scalar |
| error signal | $G = (P - \mathrm{onehot}(y)) / B$ | $(B, 10)$ |
| gradients | $\nabla_W = X^\top G + \lambda W$, $\nabla_b = \sum_i G_i$ | $(784, 10)$, $(10,)$ |
| update | $W \leftarrow W - \eta \nabla_W$, $b \leftarrow b - \eta \nabla_b$ | |

$\eta$ is the learning rate, $\lambda$ the L2 weight decay (0 in the notebook). Weights start as
`randn(784, 10) * init_scale`, the bias at zero. After each epoch the whole training and test sets
are scored; the loss curve in between is the minibatch loss every *k* steps.
"""
    )

runs = session_runs()
n_train = len(dataset.train_labels)


# The form's fields: config key, label, lowest, highest (None: the training set size), help.
# Integer bounds make integer inputs; float bounds make float inputs.
FORM_FIELDS = (
    (
        "lr",
        "Learning rate",
        1e-6,
        1e3,
        "η: step size. The notebook uses 0.1; try 1 to learn faster, 500 to diverge.",
    ),
    (
        "batch_size",
        "Batch size",
        1,
        None,
        "Images per gradient step (1 = pure SGD, 60000 = full-batch gradient descent).",
    ),
    ("epochs", "Epochs", 1, MAX_EPOCHS, f"Passes over the training set (at most {MAX_EPOCHS})."),
    ("init_scale", "Init scale", 0.0, 10.0, "Weights start as randn(784, 10) × this."),
    ("l2", "L2 weight decay", 0.0, 1e3, "λ: pulls weights towards zero; 0 in the notebook."),
    (
        "seed",
        "Seed",
        0,
        2**32 - 1,
        "Same seed, same initial weights and shuffles: the run repeats exactly.",
    ),
)


def _settings_form() -> TrainConfig | None:
    """The settings; returns a config when Start was pressed with valid values."""
    form = st.session_state[state.TRAIN_FORM]
    values = dict(form)
    with st.form("train_settings", border=True):
        # Two rows of three: six inputs in one row are cut off on a 1024 px projector.
        cells = [cell for _ in range(2) for cell in st.columns(3)]
        for cell, (key, label, low, high, help_text) in zip(cells, FORM_FIELDS, strict=True):
            kind = type(low)
            # Keyed, so Reset can set them (in its callback); Streamlit forgets a widget's key
            # on a page that does not draw it, so they start from the last values started with.
            widget_key = state.TRAIN_INPUT_PREFIX + key
            st.session_state.setdefault(widget_key, kind(form[key]))
            values[key] = cell.number_input(
                label,
                min_value=low,
                max_value=n_train if high is None else high,
                step=1 if kind is int else None,
                format="%g" if kind is float else "%d",
                help=help_text,
                key=widget_key,
            )
        started = st.form_submit_button("▶️ Start training", type="primary")
    error_slot = st.empty()  # always here: the page keeps one shape while it follows a run
    if not started:
        return None
    st.session_state[state.TRAIN_FORM] = values
    try:
        config = TrainConfig(**values)
        config.validate()
    except (ConfigError, TypeError) as err:
        error_slot.error(f"These settings cannot be used: {err}")
        return None
    return config


def _end_live_run() -> None:
    """Stop the live run, if any, and keep its record: nothing is thrown away silently."""
    if runs.current is not None and not runs.collected:
        runs.shutdown()
        collect_finished_run()


def _reset() -> None:
    """Reset's callback (it runs before the page, while the form's inputs can still be set)."""
    _end_live_run()
    runs.current = None
    defaults = state.default_train_form()
    st.session_state[state.TRAIN_FORM] = defaults
    for key, *_ in FORM_FIELDS:
        st.session_state[state.TRAIN_INPUT_PREFIX + key] = defaults[key]


config = _settings_form()
if config is not None and not runs.is_repeat_start(config, dataset):
    _end_live_run()
    runs.start(config, dataset)

run = runs.current
live = run is not None and not runs.collected
status = run.view().status if live else None

# The same buttons in every state, enabled or not: while a script run follows the live run,
# an element that another took the place of would stay on screen, faded, until the run ends.
controls = st.container(horizontal=True)
if controls.button("⏸️ Pause", disabled=status not in (RUNNING, QUEUED)):
    run.pause()
    st.rerun()
if controls.button("⏯️ Resume", disabled=status != PAUSED):
    run.resume()
    st.rerun()
if controls.button(
    "⏹️ Stop",
    disabled=not live,
    help="End the run now; the weights after its last finished epoch (if any) become a model.",
):
    run.stop()
    run.join(timeout=5)
    st.rerun()
if controls.button(
    "⏭️ One step",
    disabled=live and status != PAUSED,
    help="Train one minibatch. Starts a paused run if none is going.",
):
    if live:
        run.step_once()
    else:
        form = st.session_state[state.TRAIN_FORM]
        runs.start(TrainConfig(**form), dataset, paused=True).step_once()
    st.rerun()
controls.button(
    "↩️ Reset",
    help="Stop any run (it stays in the runs table), clear the live view and restore the "
    "notebook's settings.",
    on_click=_reset,
)


live_view_on = controls.toggle(
    "📡 Live view",
    value=True,
    key=state.LIVE_VIEW,
    help="Redraw the run's progress about once a second while it trains. Off: the page stays "
    "still (the run goes on) until you click something.",
)
# The live run is drawn here, last of all (follow_live_run keeps this script run redrawing it).
frozen_note, live_slot = st.empty(), st.empty()


def _results(record: state.RunRecord) -> None:
    """Summary of the last run of this session, with the confusion matrix of its model."""
    st.subheader(f"Result of {record.name}")
    if record.outcome in ("diverged", "failed"):
        st.error(f"💥 {record.message}")
    elif record.outcome == "stopped":
        done = len(record.history)
        st.warning(f"{record.message} after {done} epoch{'s' if done != 1 else ''}.")
    if not record.history:
        st.caption("No epoch finished, so there is no model from this run.")
        return
    last = record.history[-1]
    metrics = st.container(horizontal=True)
    metrics.metric("Time", f"{record.seconds:.1f} s", width=METRIC_PX)
    metrics.metric("Train loss", f"{last['train_loss']:.4f}", width=METRIC_PX)
    metrics.metric("Train accuracy", f"{last['train_acc']:.2%}", width=METRIC_PX)
    metrics.metric("Test loss", f"{last['test_loss']:.4f}", width=METRIC_PX)
    metrics.metric(
        "Test accuracy",
        f"{last['test_acc']:.2%}",
        delta=f"{(last['test_acc'] - NOTEBOOK_TEST_ACC) * 100:+.2f} pts vs notebook"
        if record.dataset == "mnist"
        else None,
        width=METRIC_PX + 60,
    )
    left, right = st.columns(2)
    left.plotly_chart(epoch_metric_figure(record.history, "loss"), key="result_loss")
    right.plotly_chart(
        epoch_metric_figure(record.history, "acc", on_mnist=record.dataset == "mnist"),
        key="result_acc",
    )


def _confusion(entry: state.ModelEntry) -> None:
    st.subheader("Where it goes wrong")
    st.caption(
        f"Confusion matrix of the current model, {entry.name}, on the "
        f"{len(dataset.test_labels):,} test images. Click a cell to see those images."
    )
    # 1,000 images at a time: a float copy of the whole test set would be 31 MB (twice over,
    # with the division) per session on every rerun of this page.
    images = dataset.test_images
    predicted = np.concatenate(
        [
            entry.model.predict(images[i : i + 1000].astype(np.float32) / 255.0)
            for i in range(0, len(images), 1000)
        ]
    )
    cm = confusion_matrix(dataset.test_labels, predicted, len(dataset.class_names))
    left, right = st.columns([3, 2])
    with left:
        picked = st.plotly_chart(
            confusion_figure(cm, dataset.class_names),
            key="confusion",
            on_select="rerun",
            selection_mode="points",
        )
    _, recall = per_class_precision_recall(cm)
    right.plotly_chart(
        class_bar_figure(recall, dataset.class_names, "Accuracy per class (recall)"),
        key="per_class",
    )
    points = picked.selection.points if picked and picked.selection else []
    if points:
        point = points[0]
        true_k, pred_k = int(point["y"]), int(point["x"])
        names = dataset.class_names
        matches = np.flatnonzero((dataset.test_labels == true_k) & (predicted == pred_k))
        st.markdown(
            f"**{len(matches)} test images of {names[true_k]} predicted as {names[pred_k]}**"
            + (" (the first 40)" if len(matches) > 40 else "")
        )
        if len(matches):
            shown = matches[:40]
            tooltips = [f"test image #{i}" for i in shown]
            st.container(key="confusion_examples").html(
                image_grid_html(
                    dataset.test_images[shown], [f"#{i}" for i in shown], tooltips=tooltips
                )
            )


def _history(finished: list[state.RunRecord]) -> None:
    """This session's runs: their curves overlaid, and a table."""
    if len(finished) > 1:
        st.subheader("Compare this session's runs")
        st.plotly_chart(runs_overlay_figure(finished), key="runs_overlay")
    table = pd.DataFrame(
        [
            {
                "run": r.name,
                "dataset": r.dataset,
                "outcome": r.outcome,
                **{
                    label: r.config[k]
                    for k, label in (
                        ("lr", "learning rate"),
                        ("batch_size", "batch size"),
                        ("epochs", "epochs"),
                        ("init_scale", "init scale"),
                        ("l2", "L2"),
                        ("seed", "seed"),
                    )
                },
                "epochs done": len(r.history),
                "test acc (%)": 100 * r.history[-1]["test_acc"] if r.history else float("nan"),
                "test loss": r.history[-1]["test_loss"] if r.history else float("nan"),
                "seconds": round(r.seconds, 1),
            }
            for r in finished
        ]
    )
    st.dataframe(
        table,
        hide_index=True,
        column_config={
            "test acc (%)": st.column_config.NumberColumn(format="%.2f"),
            "test loss": st.column_config.NumberColumn(format="%.4f"),
        },
    )


# One slot per section below the live panel, always all of them and in this order: a script run
# that follows a live run does not end, and until a run ends Streamlit keeps showing (faded)
# what the one before drew further down. Each slot replaces what its place held, if only by
# staying empty.
results_slot, confusion_slot, history_slot = st.empty(), st.empty(), st.empty()
finished = st.session_state[state.RUNS]
on_this_dataset = [r for r in finished if r.dataset == dataset_name]
if on_this_dataset and not live:
    with results_slot.container():
        _results(on_this_dataset[-1])
entry = state.current_model()
if not live and entry is not None and entry.dataset == dataset_name:
    with confusion_slot.container():
        _confusion(entry)
if finished:
    with history_slot.container():
        _history(finished)

if live:
    trained_on = dataset_or_stop(run.dataset_name)  # the sidebar may show another dataset now
    panel = LivePanel(live_slot, trained_on.class_names, len(trained_on.train_labels))
    follow_live_run(panel.show, keep_following=live_view_on)
    # Only after the view is drawn (follow_live_run returns at once when not following): the
    # note must not appear while the panel still shows the previous script run's last redraw.
    if not live_view_on and status != PAUSED:
        # The panel stands still, so the sidebar's small status moves instead, and brings the
        # results in when the run ends.
        sidebar_run_status()
        frozen_note.caption(
            "📷 Live view is off: this is the run as it was at your last click. It goes on "
            "training (the sidebar shows how far), and its results appear here when it ends; "
            "turn Live view on to follow it here."
        )
