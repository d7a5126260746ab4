"""The Train page's live panel, drawn again and again within one script run as the page does."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def _panel_script() -> None:
    """Show a run going from queued to its first epoch, as follow_live_run would, then report
    how many charts were drawn."""
    import numpy as np
    import streamlit as st

    from core.train import RunStatus, TrainConfig
    from ui.background import RunView
    from ui.live_panel import LivePanel

    QUEUED, RUNNING = RunStatus.QUEUED, RunStatus.RUNNING

    config = TrainConfig(epochs=2)
    epoch_1 = {
        "epoch": 1,
        "train_loss": 0.3,
        "train_acc": 0.91,
        "test_loss": 0.29,
        "test_acc": 0.915,
        "seconds": 0.1,
    }

    def view(status, step, losses, history=(), W=None) -> RunView:
        return RunView(
            name="Run 1",
            config=config,
            dataset="mnist",
            status=status,
            message="",
            global_step=step,
            total_steps=938,
            epoch=len(history),
            elapsed=1.0,
            last_batch_loss=None if step == 0 else 0.5,
            steps_per_sec=100.0,
            step_losses=list(losses),
            step_accs=[],
            history=list(history),
            latest_W=W,
        )

    W = np.zeros((784, 10), dtype=np.float32)
    views = [
        view(QUEUED, 0, []),
        view(QUEUED, 0, []),  # nothing changed
        view(RUNNING, 37, []),  # moved, but no loss point yet: the same curves as queued
        view(RUNNING, 50, [(50, 1.2)]),
        view(RUNNING, 100, [(50, 1.2), (100, 0.8)]),
        view(RUNNING, 469, [(50, 1.2), (100, 0.8)], [epoch_1], W),
        view(RUNNING, 469, [(50, 1.2), (100, 0.8)], [epoch_1], W),  # nothing changed
    ]
    panel = LivePanel(st.empty(), tuple("0123456789"), 60_000)
    for v in views:
        panel.show(v)
    st.session_state["drawings"] = panel.charts_sent


def test_redrawing_in_one_script_run_sends_only_changed_charts_without_id_clashes():
    at = AppTest.from_function(_panel_script, default_timeout=30)
    at.run()
    assert not at.exception
    # Queued: loss + accuracy. First loss points: loss twice. First epoch: loss and accuracy
    # (the templates are pictures). Repeated views and a step without a new loss point draw
    # nothing.
    assert at.session_state["drawings"] == 2 + 2 + 2
    assert len(at.get("plotly_chart")) == 2  # the last drawing of each chart is what stays
    assert sum(h.proto.body.count("<figure>") for h in at.get("html")) == 10  # the templates
    assert "Running · epoch 2 of 2 · step 469 of 938" in at.get("progress")[0].proto.text
    assert not at.info, "the queue notice is gone once the run trains"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Test accuracy"] == "91.50%"


def test_the_sharing_line_names_the_other_runs_and_this_runs_share():
    from core.train import RunStatus, TrainConfig
    from ui.background import RunView
    from ui.live_panel import sharing_text

    def view(others: int, share: float) -> RunView:
        return RunView(
            "Run 1", TrainConfig(), "mnist", RunStatus.RUNNING, "", 10, 938, 0, 1.0, 0.5, 10.0,
            [], [], [], None, sharing_with=others, share=share,
        )  # fmt: skip

    assert (
        sharing_text(view(2, 2 / 3))
        == "Sharing the server with 2 other runs: this run gets about 67% of a core."
    )
    assert sharing_text(view(1, 1.0)).startswith("Sharing the server with 1 other run: ")
    assert sharing_text(view(1, 1.0)).endswith("about 100% of a core.")
