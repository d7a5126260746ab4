"""The Train and Draw pages' line and bar charts: what they plot, not how they look."""

import json
import re

import numpy as np
import plotly.io

from ui.charts import (
    NOTEBOOK_TEST_ACC,
    epoch_metric_figure,
    runs_overlay_figure,
    step_loss_figure,
    step_loss_traces,
    with_new_data,
)
from ui.optimum import ReferenceLine
from ui.state import RunRecord

HISTORY = [
    {
        "epoch": e,
        "train_loss": 1 / e,
        "test_loss": 1.1 / e,
        "train_acc": 0.8 + e / 100,
        "test_acc": 0.79 + e / 100,
    }
    for e in (1, 2, 3)
]


def test_step_loss_is_plotted_in_epochs_with_whole_set_losses_per_epoch():
    fig = step_loss_figure([(100, 0.9), (469, 0.5), (938, 0.4)], 469, HISTORY)
    minibatch, train, test = fig.data
    np.testing.assert_allclose(minibatch.x, [100 / 469, 1.0, 2.0])
    np.testing.assert_allclose(minibatch.y, [0.9, 0.5, 0.4])
    assert list(train.x) == [1, 2, 3] and list(test.y) == [h["test_loss"] for h in HISTORY]


def test_step_loss_without_any_step_yet_is_an_empty_chart():
    fig = step_loss_figure([], 469)
    assert all(len(trace.x) == 0 for trace in fig.data)


def test_a_live_redraw_with_new_data_is_the_figure_a_full_build_gives():
    reference = ReferenceLine(0.2067, "training optimum: train 0.2067")
    frame = step_loss_figure([], 469, (), 50, reference).update_layout(height=220).to_dict()
    later = ([(50, 1.2), (469, 0.5), (938, 0.4)], 469, HISTORY[:2], 50)
    fast = with_new_data(frame, step_loss_traces(*later))
    full = step_loss_figure(*later, reference).update_layout(height=220)
    as_sent = [json.loads(plotly.io.to_json(f, validate=False)) for f in (fast, full)]
    assert as_sent[0] == as_sent[1]
    assert len(as_sent[0]["data"]) == 3 and as_sent[0]["layout"]["shapes"]  # line, markers, ref


def test_accuracy_per_epoch_marks_the_notebook_result():
    fig = epoch_metric_figure(HISTORY, "acc")
    assert [trace.name for trace in fig.data] == ["train", "test"]
    assert list(fig.data[1].y) == [h["test_acc"] for h in HISTORY]
    assert fig.layout.shapes[0].y0 == NOTEBOOK_TEST_ACC


def test_runs_overlay_has_one_line_per_run():
    runs = [RunRecord("Run 1", {}, HISTORY), RunRecord("Run 2", {}, HISTORY[:2])]
    fig = runs_overlay_figure(runs)
    assert [trace.name for trace in fig.data] == ["Run 1", "Run 2"]
    assert len(fig.data[1].x) == 2
    assert fig.layout.xaxis.dtick == 1  # whole epochs
    # A diverged run has no curve: the one left still gets its name in a legend.
    lone = runs_overlay_figure([RunRecord("Run 1", {}, HISTORY), RunRecord("Run 2", {}, [])])
    assert lone.layout.showlegend is True


def test_share_bars_on_a_percent_axis_with_each_share_under_its_class():
    from ui.bars_html import PLOT_PX, SHARE, share_bars_html

    page = share_bars_html(
        np.array([0.5, 0.979, 1.0]), ["a", "b", "c"], "recall", "{name}: {value}"
    )
    heights = [float(h) for h in re.findall(r"height: ([\d.]+)px; background: " + SHARE, page)]
    np.testing.assert_allclose(heights, [0.5 * PLOT_PX, 0.979 * PLOT_PX, PLOT_PX], atol=0.06)
    assert "<b>b</b>97.9%" in page and 'title="b: 97.9%"' in page
    assert "<span>100%</span>" in page and "<span>0%</span>" in page  # the axis


def test_loss_line_and_markers_are_the_same_quantity_with_l2():
    # Full batch, a tiny step: the line's point (StepEvent.loss, weights before the step) and the
    # epoch's whole-set marker (weights after it) score nearly the same weights. The L2 penalty
    # (~39 here) is in neither, so they agree.
    from core.run import StepEvent
    from core.train import TrainConfig, Trainer
    from tests.test_train import _synthetic

    data = _synthetic()
    config = TrainConfig(lr=1e-6, l2=0.01, init_scale=1.0, epochs=1, batch_size=600, log_every=1)
    trainer = Trainer(config, data)
    steps = [(e.step, e.loss, e.l2_penalty) for e in trainer if isinstance(e, StepEvent)]
    assert steps[0][2] > 30
    fig = step_loss_figure([(s, loss) for s, loss, _ in steps], 1, trainer.history, 1)
    line, train_marker, _ = fig.data
    assert abs(line.y[0] - train_marker.y[0]) < 1e-3 * train_marker.y[0]
    assert fig.layout.yaxis.title.text == "cross-entropy"
    assert fig.layout.title.text.startswith("Cross-entropy")
    assert line.name == "minibatch"
    assert step_loss_figure([steps[0][:2]], 1, log_every=50).data[0].name == ("last 50 minibatches")
