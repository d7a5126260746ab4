"""Links to the Train page: train?lr=5&batch=128&epochs=3 fills the form and starts nothing;
values that cannot be used are ignored with a note. And the page in Chinese."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from tests.apptest_helpers import APPTEST_SESSION_ID, click, open_page, wait_for_runs
from ui import state
from ui.train_form import LABELS
from ui.training import runs_of_session

TRAIN = "pages/train.py"


def inputs(at: AppTest) -> dict:
    """The form's values by TrainConfig field."""
    return {key: at.number_input(key=state.TRAIN_INPUT_PREFIX + key).value for key in LABELS}


def open_train(at: AppTest, **params) -> AppTest:
    return open_page(at, TRAIN, **params)


def nothing_trains(at: AppTest) -> bool:
    runs = runs_of_session(APPTEST_SESSION_ID)
    return (runs is None or runs.live is None) and not at.session_state[state.RUNS]


def ignored_note(at: AppTest) -> str:
    return " ".join(c.value for c in at.caption if "Ignored in the link" in c.value)


def test_a_link_fills_the_form_and_starts_nothing(app):
    open_train(app, lr="5", batch="256", epochs="3", seed="7", init="0", l2="0.001")
    values = inputs(app)
    assert values == {
        "lr": 5.0,
        "batch_size": 256,
        "epochs": 3,
        "init_scale": 0.0,
        "l2": 0.001,
        "seed": 7,
    }
    assert nothing_trains(app)
    assert not app.get("progress") and not ignored_note(app)
    # The settings stay in the address bar, so the link can be passed on.
    assert app.query_params["lr"] == "5" and app.query_params["epochs"] == "3"


def test_a_linked_form_starts_with_those_settings_on_start(app):
    open_train(app, lr="0.5", batch="60000", epochs="1")
    app.toggle(key=state.LIVE_VIEW).set_value(False).run()
    click(app, "Start training")
    wait_for_runs(app, 1)
    config = app.session_state[state.RUNS][-1].config
    assert (config["lr"], config["batch_size"], config["epochs"]) == (0.5, 60000, 1)


@pytest.mark.parametrize(
    "params",
    [
        {"lr": "nan", "batch": "0", "epochs": "1e9", "seed": "-1", "init": "inf", "l2": "-3"},
        {"lr": "abc", "batch": "128.5", "epochs": "", "seed": "2" * 200, "init": "1e400"},
        {"lr": "<script>alert(1)</script>", "batch": "99999999", "epochs": "0x10"},
        {"lr": "1e3000", "l2": "1e9", "seed": "4294967296"},
    ],
)
def test_absurd_or_hostile_values_are_ignored_with_a_note(app, params):
    open_train(app, **params)
    assert inputs(app) == {key: state.default_train_form()[key] for key in LABELS}
    note = ignored_note(app)
    assert note, "no note about the ignored values"
    for name in params:
        assert name in note
    assert "<script>" not in note
    assert nothing_trains(app)


def test_the_train_page_in_chinese_has_chinese_labels_and_chart_titles(app):
    open_train(app, lang="zh", lr="0.5", batch="60000", epochs="1")
    labels = [n.label for n in app.number_input]
    assert "学习率" in labels and "批大小" in labels and "Learning rate" not in labels
    assert any("开始训练" in b.label for b in app.button)
    app.toggle(key=state.LIVE_VIEW).set_value(False).run()
    click(app, "开始训练")
    wait_for_runs(app, 1)
    titles = [
        json.loads(chart.proto.spec)["layout"].get("title", {}).get("text", "")
        for chart in app.get("plotly_chart")
    ]
    assert "每轮的损失" in titles and "每轮的准确率" in titles
    assert not any("per epoch" in title for title in titles)
