"""The Train page's view of a live run, redrawn in place while one script run follows the run."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from core.train import RunStatus
from ui import optimum
from ui.background import RunView
from ui.charts import (
    NO_TOOLBAR,
    epoch_metric_figure,
    step_loss_figure,
    step_loss_traces,
    with_new_data,
)
from ui.i18n import N_, _, ngettext, number, percent
from ui.pictures import templates_grid_html
from ui.training import status_word

# Metrics in fixed-width boxes that wrap, instead of columns that clip their values.
METRIC_PX = 150
SHARING_PX = 240  # the sharing note beside the four metrics at 1366 px
# The live charts' height and the templates' size, so that progress, metrics, both charts and the
# ten templates (one row) fit a 1366x768 laptop screen below the folded form without scrolling.
LIVE_CHART_PX = 210
# At that height the charts' legend (0.25 of the plot's height below it) fell on the axis title
# ("epoch"): a little lower, and the title close to its axis. A smaller title: the loss chart's
# fits a 390 px phone.
LIVE_CHART_LAYOUT = {
    "height": LIVE_CHART_PX,
    "legend": {"y": -0.3, "yanchor": "top"},
    "xaxis": {"title": {"standoff": 2}},
    "title": {"font": {"size": 13}},
}
LIVE_TEMPLATES_COLS, LIVE_TILE_PX, MIN_TILE_PX = 10, 72, 60
# Under the live templates: when they are from, and how to read them.
TEMPLATES_AFTER_EPOCH = N_(
    "The ten templates after epoch {epoch}, each redraw scaled to its own largest weight (the "
    "Weights page's slider keeps one scale for all epochs): ink on red pixels raises that "
    "class's score, ink on blue pixels lowers it. They are redrawn after each epoch, and after "
    "each step when you step by hand."
)
TEMPLATES_AFTER_STEP = N_(
    "The ten templates after step {step}, as you stepped by hand, scaled to their largest "
    "weight: ink on red pixels raises that class's score, ink on blue pixels lowers it. Running "
    "on, they are redrawn after each epoch."
)


def sharing_text(view: RunView) -> str:
    """How the run shares the server, e.g. "Sharing the server with 2 other runs: this run gets
    about 67% of a core." (training runs take turns; see ui/scheduler.py)."""
    others = view.sharing_with
    return ngettext(
        "Sharing the server with {n} other run: this run gets about {share} of a core.",
        "Sharing the server with {n} other runs: this run gets about {share} of a core.",
        others,
    ).format(n=others, share=percent(view.share, 0))


def progress_text(view: RunView) -> str:
    """The progress bar's text, e.g. "Running · epoch 2 of 20 · step 600 of 9,380 · about 12 s
    left"."""
    values = {
        "status": status_word(view.status).capitalize(),
        "epoch": min(view.epoch + 1, view.config.epochs),
        "epochs": view.config.epochs,
        "step": number(view.global_step),
        "steps": number(view.total_steps),
    }
    if view.eta_seconds is None:
        return _("{status} · epoch {epoch} of {epochs} · step {step} of {steps}").format(**values)
    return _(
        "{status} · epoch {epoch} of {epochs} · step {step} of {steps} · about {seconds} s left"
    ).format(**values, seconds=f"{view.eta_seconds:.0f}")


class LivePanel:
    """A live run's progress in fixed slots, each chart redrawn only when its data changed.

    `show` is called again and again in one script run (see ui.training.follow_live_run).
    Streamlit gives every chart an id made from its content and refuses two equal ids in one
    script run, so each drawing gets a key of its own; and a chart whose data did not change is
    not sent again.
    """

    def __init__(self, slot, class_names: tuple[str, ...], n_train: int) -> None:
        self.class_names = class_names
        self.n_train = n_train
        with slot.container():
            self.queue = st.empty()
            self.progress = st.empty()
            self.metrics = st.empty()
            left, right = st.columns(2)
            self.loss = left.container(key="live_loss").empty()
            self.acc = right.container(key="live_acc").empty()
            self.templates = st.container(key="live_templates").empty()
            self.templates_note = st.empty()
            # Below what moves: the charts and templates stay in view on a laptop during a run.
            self.optimum_note = st.empty()
        self._drawn: dict[str, object] = {}
        self._loss_frame: tuple | None = None  # (reference line, the loss chart as a dict)
        self.charts_sent = 0  # charts drawn so far, each under a key of its own

    def _changed(self, part: str, data: object) -> bool:
        if self._drawn.get(part) == data:
            return False
        self._drawn[part] = data
        return True

    def _key(self, part: str) -> str:
        self.charts_sent += 1
        return f"{part}_{self.charts_sent}"

    def show(self, view: RunView) -> None:
        if view.status == RunStatus.QUEUED:
            self.queue.info(
                _("⏳ Queued: waiting for a turn. {sharing}").format(sharing=sharing_text(view))
            )
        else:
            self.queue.empty()
        # Drawn every time: each element sent is a point where Streamlit can stop the script run.
        self.progress.progress(view.fraction_done, text=progress_text(view))
        last = view.history[-1] if view.history else None
        batch_loss = view.last_batch_loss
        with self.metrics.container(horizontal=True):
            speed = number(view.steps_per_sec) if view.status == RunStatus.RUNNING else "–"
            st.metric(_("Steps per second"), speed, width=METRIC_PX)
            st.metric(
                _("Minibatch cross-entropy"),
                "–" if batch_loss is None else f"{batch_loss:.4f}",
                width=METRIC_PX,
            )
            st.metric(
                _("Train accuracy"), percent(last["train_acc"]) if last else "–", width=METRIC_PX
            )
            st.metric(
                _("Test accuracy"), percent(last["test_acc"]) if last else "–", width=METRIC_PX
            )
            # Beside the metrics, not on a line of its own: what moves stays in view on a laptop.
            if view.status == RunStatus.RUNNING and view.sharing_with > 0:
                st.caption(_("🤝 {sharing}").format(sharing=sharing_text(view)), width=SHARING_PX)
        # The curves only grow (or are thinned, which shortens them): their length and last point
        # tell whether they changed.
        losses = (len(view.step_losses), view.step_losses[-1:], len(view.history))
        lines = optimum.lines_for(view.dataset, view.config)
        # What the dashed lines are is told under the result; while they are not ready, how far
        # their computation is (one line: what moves stays in view on a laptop).
        if lines.loss is None:
            self.optimum_note.caption(optimum.optimum_note(view.dataset, view.config))
        else:
            self.optimum_note.empty()
        if self._changed("loss", (losses, lines.loss)):
            self.loss.plotly_chart(
                self._loss_figure(view, lines.loss), key=self._key("loss"), config=NO_TOOLBAR
            )
        if self._changed("epochs", (len(view.history), lines.acc)):
            on_mnist = view.dataset == "mnist"
            figure = epoch_metric_figure(view.history, "acc", on_mnist, lines.acc)
            figure.update_layout(**LIVE_CHART_LAYOUT)
            self.acc.plotly_chart(figure, key=self._key("acc"), config=NO_TOOLBAR)
        # Redrawn after each epoch, and after each step stepped by hand.
        if self._changed("templates", (view.latest_W is None, view.latest_W_step)):
            self._show_templates(view)

    def _loss_figure(self, view: RunView, reference) -> go.Figure:
        """The loss chart: built and checked in full when its layout changes (the first time,
        or when the optimum's line arrives), then only its data is swapped in."""
        steps_per_epoch = -(-self.n_train // view.config.batch_size)
        args = (view.step_losses, steps_per_epoch, view.history, view.config.log_every)
        if self._loss_frame is None or self._loss_frame[0] != reference:
            figure = step_loss_figure(*args, reference).update_layout(**LIVE_CHART_LAYOUT)
            self._loss_frame = (reference, figure.to_dict())
            return figure
        return with_new_data(self._loss_frame[1], step_loss_traces(*args))

    def _show_templates(self, view: RunView) -> None:
        if view.latest_W is None:
            self.templates.caption(
                _(
                    "The ten templates appear here after the first epoch, or after the first "
                    "step when you step by hand."
                )
            )
            self.templates_note.empty()
            return
        # Pictures, not a heatmap chart: on a phone ten tiles in a chart's row are 20 px wide,
        # while the picture grid reflows to five a row of at least MIN_TILE_PX.
        grid = templates_grid_html(
            view.latest_W, self.class_names, tile_px=MIN_TILE_PX, cols=LIVE_TEMPLATES_COLS
        )
        width = LIVE_TEMPLATES_COLS * LIVE_TILE_PX
        self.templates.html(f'<div style="max-width: {width}px">{grid}</div>')
        steps_per_epoch = -(-self.n_train // view.config.batch_size)
        step = view.latest_W_step
        if step % steps_per_epoch == 0:
            note = _(TEMPLATES_AFTER_EPOCH).format(epoch=step // steps_per_epoch)
        else:
            note = _(TEMPLATES_AFTER_STEP).format(step=number(step))
        self.templates_note.caption(note)
