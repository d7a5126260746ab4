"""The Train form's update rule, schedule, momentum and deskew choices (ui/train_options.py): the
notebook's defaults, into the run's TrainConfig and the runs table, Reset, links."""

from __future__ import annotations

from core.train import TrainConfig
from tests.apptest_helpers import APPTEST_SESSION_ID, click, wait_for_runs
from ui import state
from ui.train_options import OPTION_FIELDS, UPDATE_RULES
from ui.training import runs_of_session

TRAIN = "pages/train.py"


def option(at, field: str):
    key = state.TRAIN_INPUT_PREFIX + field
    kind = {"optimizer": "selectbox", "schedule": "selectbox", "deskew": "toggle"}
    return getattr(at, kind.get(field, "number_input"))(key=key)


def test_the_form_offers_the_notebooks_choices_by_default_and_explains_each_rule(app):
    app.switch_page(TRAIN).run()
    defaults = TrainConfig()
    assert {field: option(app, field).value for field in OPTION_FIELDS} == {
        field: getattr(defaults, field) for field in OPTION_FIELDS
    }
    assert option(app, "optimizer").options == ["SGD (the notebook)", "SGD with momentum", "Adam"]
    rules = [e for e in app.expander if e.label.startswith("Maths of the options")]
    # Closed, the expander draws nothing; opened (what a click does), it shows each rule.
    assert rules and not rules[0].markdown
    app.session_state[state.MATHS_UPDATE_RULES] = True
    rules = [e for e in app.run().expander if e.label.startswith("Maths of the options")]
    assert any(UPDATE_RULES.strip()[:40] in m.value for m in rules[0].markdown)


def test_the_pages_two_maths_expanders_draw_their_formulas_only_when_opened(app):
    app.switch_page(TRAIN).run()
    labels = ("The maths of one SGD step", "Epochs, steps and batch size")
    assert not any(e.markdown for e in app.expander if e.label.startswith(labels))
    app.session_state[state.MATHS_SGD_STEP] = True
    app.session_state[state.MATHS_EPOCHS] = True
    opened = {e.label[:9]: e for e in app.run().expander if e.label.startswith(labels)}
    assert r"$G = (P - \mathrm{onehot}(y)) / B$" in opened["The maths"].markdown[0].value
    assert "(batch 128: 469 steps)" in opened["Epochs, s"].markdown[0].value


def test_the_choices_go_into_the_runs_config_and_the_runs_table_and_reset_restores_them(app):
    app.switch_page(TRAIN).run()
    app.toggle(key=state.LIVE_VIEW).set_value(False)
    app.number_input(key=state.TRAIN_INPUT_PREFIX + "epochs").set_value(1)
    app.number_input(key=state.TRAIN_INPUT_PREFIX + "batch_size").set_value(60000)
    option(app, "optimizer").set_value("adam")
    option(app, "schedule").set_value("cosine")
    option(app, "momentum").set_value(0.5)
    option(app, "deskew").set_value(True)
    click(app, "Start training")
    wait_for_runs(app, 1)
    config = app.session_state[state.RUNS][-1].config
    assert (config["optimizer"], config["schedule"], config["momentum"], config["deskew"]) == (
        "adam",
        "cosine",
        0.5,
        True,
    )
    # The model remembers it wants deskewed input.
    entry = app.session_state[state.MODELS][app.session_state[state.CURRENT_MODEL]]
    assert entry.model.deskew
    table = app.dataframe[-1].value
    assert list(table["update rule"]) == ["adam"] and list(table["deskewed"]) == [True]
    # The address bar names the choices that differ from the notebook's.
    assert app.query_params["optimizer"] == "adam" and app.query_params["deskew"] == "1"
    click(app, "Reset")
    assert option(app, "optimizer").value == "sgd" and option(app, "deskew").value is False


def test_a_link_fills_the_choices_and_a_bad_one_is_ignored(app):
    app.query_params["optimizer"] = "momentum"
    app.query_params["schedule"] = "warp"
    app.query_params["deskew"] = "1"
    app.switch_page(TRAIN).run()
    assert option(app, "optimizer").value == "momentum"
    assert option(app, "schedule").value == "constant" and option(app, "deskew").value is True
    assert any("schedule" in c.value for c in app.caption if "Ignored in the link" in c.value)
    runs = runs_of_session(APPTEST_SESSION_ID)
    assert runs is None or runs.live is None
