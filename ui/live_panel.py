"""The Train page's view of a live run, redrawn in place while one script run follows the run."""

from __future__ import annotations

import streamlit as st

from core.train import RunStatus
from ui.background import RunView
from ui.charts import NO_TOOLBAR, epoch_metric_figure, step_loss_figure
from ui.figures import templates_figure

# Metrics in fixed-width boxes that wrap, instead of columns that clip their values.
METRIC_PX = 150


def sharing_text(view: RunView) -> str:
    """How the run shares the server, e.g. "Sharing the server with 2 other runs: this run gets
    about 67% of a core." (training runs take turns; see ui/scheduler.py)."""
    others = view.sharing_with
    return (
        f"Sharing the server with {others} other run{'s' if others != 1 else ''}: "
        f"this run gets about {view.share:.0%} of a core."
    )


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
            st.caption(
                "The ten templates after the last finished epoch, each redraw scaled to that "
                "epoch's largest weight (the Weights page's slider keeps one scale for all "
                "epochs): ink on red pixels raises that class's score, ink on blue pixels lowers "
                "it."
            )
            self.templates = st.container(key="live_templates").empty()
        self._drawn: dict[str, object] = {}
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
            self.queue.info(f"⏳ Queued: waiting for a turn. {sharing_text(view)}")
        elif view.status == RunStatus.RUNNING and view.sharing_with > 0:
            self.queue.caption(f"🤝 {sharing_text(view)}")
        else:
            self.queue.empty()
        eta = view.eta_seconds
        eta_text = f" · about {eta:.0f} s left" if eta is not None else ""
        # Drawn every time: each element sent is a point where Streamlit can stop the script run.
        self.progress.progress(
            view.fraction_done,
            text=f"{view.status.capitalize()} · epoch {min(view.epoch + 1, view.config.epochs)} "
            f"of {view.config.epochs} · step {view.global_step:,} of {view.total_steps:,}"
            f"{eta_text}",
        )
        last = view.history[-1] if view.history else None
        batch_loss = view.last_batch_loss
        with self.metrics.container(horizontal=True):
            speed = f"{view.steps_per_sec:,.0f}" if view.status == RunStatus.RUNNING else "–"
            st.metric("Steps per second", speed, width=METRIC_PX)
            st.metric(
                "Minibatch cross-entropy",
                "–" if batch_loss is None else f"{batch_loss:.4f}",
                width=METRIC_PX,
            )
            st.metric(
                "Train accuracy", f"{last['train_acc']:.2%}" if last else "–", width=METRIC_PX
            )
            st.metric("Test accuracy", f"{last['test_acc']:.2%}" if last else "–", width=METRIC_PX)
        # The curves only grow (or are thinned, which shortens them): their length and last point
        # tell whether they changed.
        losses = (len(view.step_losses), view.step_losses[-1:], len(view.history))
        if self._changed("loss", losses):
            steps_per_epoch = -(-self.n_train // view.config.batch_size)
            figure = step_loss_figure(
                view.step_losses, steps_per_epoch, view.history, view.config.log_every
            )
            self.loss.plotly_chart(figure, key=self._key("loss"), config=NO_TOOLBAR)
        if self._changed("epochs", len(view.history)):
            figure = epoch_metric_figure(view.history, "acc", on_mnist=view.dataset == "mnist")
            self.acc.plotly_chart(figure, key=self._key("acc"), config=NO_TOOLBAR)
            if view.latest_W is not None:
                figure = templates_figure(view.latest_W, self.class_names)
                self.templates.plotly_chart(figure, key=self._key("templates"), config=NO_TOOLBAR)
            else:
                self.templates.caption("They appear here after the first epoch.")
