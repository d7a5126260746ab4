"""Links to a view of the Draw and Weights pages (AppTest): a valid ?index=, ?split=, ?pair=,
?class=, ?epoch= opens that view and stays in the address bar as the visitor changes it; a bad
value is ignored with a note, never an exception."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from core.datasets import load_dataset
from tests.apptest_helpers import (
    APP,
    captions,
    headline,
    open_page,
    trained_entry_with_snapshots,
    use_only_model,
)

DRAW, WEIGHTS = "pages/draw.py", "pages/weights.py"
NOTE = "Ignored in the link"
# Values no parameter may take: out of range, wrong type, empty, very long, hostile.
BAD_VALUES = [
    "-1",
    "1.5",
    "abc",
    "",
    " ",
    "9" * 5000,
    "<script>alert(1)</script>",
    "1242; DROP TABLE runs",
    "../../etc/passwd",
    "%00",
    "nan",
]


@pytest.fixture(scope="module")
def mnist_labels():
    data = load_dataset("mnist")
    return data.test_labels, data.train_labels


def note(at: AppTest) -> str:
    return " ".join(c.value for c in at.caption if NOTE in c.value)


def image_caption(at: AppTest) -> str:
    return " ".join(i.caption for img in at.get("image") for i in img.proto.imgs)


def picture_titles(at: AppTest) -> list[str]:
    """The titles of the page's single pictures (ui.pictures.picture_html)."""
    import html
    import re

    bodies = [h.proto.body for h in at.get("html") if 'class="picture28"' in h.proto.body]
    return [html.unescape(t) for b in bodies for t in re.findall(r"<figcaption>(.*?)</", b)]


# -- Draw --------------------------------------------------------------------------------------


def test_draw_index_opens_that_test_image_with_its_prediction(app, mnist_labels):
    open_page(app, DRAW, index="1242")
    label = int(mnist_labels[0][1242])
    assert app.radio[0].value == "A test image by index"
    assert app.number_input[0].value == 1242
    assert f"Test image #1242, labelled {label}" in image_caption(app)
    said = headline(app)
    assert said.startswith("### It's "), said
    assert f"**{label}** — probability" in said or f"the label says {label}" in said
    assert not note(app)
    assert app.query_params["index"] == "1242"


def test_draw_split_train_opens_a_training_image(app, mnist_labels):
    open_page(app, DRAW, split="train", index="50000")
    label = int(mnist_labels[1][50000])
    assert app.number_input[0].label == "Training image index"
    assert app.number_input[0].value == 50000
    assert f"Training image #50000, labelled {label}" in image_caption(app)
    assert headline(app).startswith("### It's ")
    assert (app.query_params["split"], app.query_params["index"]) == ("train", "50000")
    # Back to the test set: the index is kept within its 10,000 images.
    app.radio[1].set_value("test").run()
    assert not app.exception
    assert app.number_input[0].value == 9999
    assert "split" not in app.query_params and app.query_params["index"] == "9999"


def test_draw_index_in_full_width_digits_as_a_chinese_keyboard_types_them(app):
    open_page(app, DRAW, index="１２")
    assert app.number_input[0].value == 12
    assert app.query_params["index"] == "12"


def test_draw_index_of_the_training_set_is_out_of_range_for_the_test_set(app):
    open_page(app, DRAW, index="50000")
    assert "index" in note(app)
    assert app.radio[0].value == "Draw it myself"
    assert "index" not in app.query_params


@pytest.mark.parametrize("value", [*BAD_VALUES, "10000", "99999999999999999999"])
def test_draw_bad_values_are_ignored_with_a_note(app, value):
    open_page(app, DRAW, index=value, split=value)
    assert "index" in note(app) and "split" in note(app)
    assert app.radio[0].value == "Draw it myself"  # the default view
    assert headline(app) == ""
    assert "index" not in app.query_params and "split" not in app.query_params


@pytest.mark.parametrize("value", ["validation", "TEST", "", "<b>train</b>", "train" * 100])
def test_draw_bad_split_is_ignored_with_a_note(app, value):
    open_page(app, DRAW, split=value, index="7")
    assert "split" in note(app)
    assert app.number_input[0].label == "Test image index"
    assert app.number_input[0].value == 7
    assert "split" not in app.query_params


def test_draw_the_address_follows_the_visitor_and_the_note_shows_once(app):
    open_page(app, DRAW, index="abc")
    assert note(app)
    app.run()
    assert not note(app)
    app.radio[0].set_value("A test image by index").run()
    assert app.query_params["index"] == "0"
    app.number_input[0].set_value(61).run()
    assert app.query_params["index"] == "61"
    app.radio[0].set_value("Draw it myself").run()
    assert not app.exception
    assert "index" not in app.query_params


def test_draw_link_in_chinese(app, mnist_labels):
    open_page(app, DRAW, index="1242", lang="zh")
    label = int(mnist_labels[0][1242])
    said = headline(app)
    assert said.startswith("### 这是 **"), said
    assert "It's" not in said
    assert f"测试图像 #1242，标签为 {label}" in image_caption(app)
    # Switching to English keeps the view (the radio's options are translated labels).
    app.sidebar.get("button_group")[0].set_value("en").run()
    assert not app.exception
    assert app.number_input[0].value == 1242
    assert headline(app).startswith("### It's ")


# -- Weights -----------------------------------------------------------------------------------


def test_weights_pair_opens_that_difference_template(app):
    open_page(app, WEIGHTS, pair="3,5")
    assert app.selectbox(key="weights_pair_a").value == 3
    assert app.selectbox(key="weights_pair_b").value == 5
    assert "W[:, 3] − W[:, 5]" in picture_titles(app)
    assert any(s.value == "Why a 3 is not a 5: difference templates" for s in app.subheader)
    assert app.query_params["pair"] == "3,5"
    assert not note(app)


def test_weights_class_opens_that_class_up_close(app):
    open_page(app, WEIGHTS, **{"class": "8"})
    assert app.selectbox(key="weights_class").value == 8
    assert "template W[:, 8]" in picture_titles(app)
    assert "what a typical 8 looks like" in captions(app)
    assert app.query_params["class"] == "8"


def test_weights_the_address_follows_the_visitor_defaults_left_out(app):
    open_page(app, WEIGHTS)
    assert "pair" not in app.query_params and "class" not in app.query_params
    app.selectbox(key="weights_class").set_value(2).run()
    app.selectbox(key="weights_pair_a").set_value(7).run()
    assert (app.query_params["class"], app.query_params["pair"]) == ("2", "7,9")
    app.selectbox(key="weights_pair_a").set_value(4).run()
    app.selectbox(key="weights_class").set_value(0).run()
    assert "pair" not in app.query_params and "class" not in app.query_params


@pytest.mark.parametrize(
    "params",
    [
        {"pair": "4,4"},
        {"pair": "4"},
        {"pair": "4,10"},
        {"pair": "4,9,1"},
        {"pair": "-1,3"},
        {"class": "10"},
        {"class": "3.0"},
        *({"pair": value, "class": value} for value in BAD_VALUES),
    ],
)
def test_weights_bad_values_are_ignored_with_a_note(app, params):
    open_page(app, WEIGHTS, **params)
    for name in params:
        assert name in note(app)
    assert app.selectbox(key="weights_class").value == 0
    assert app.selectbox(key="weights_pair_a").value == 4
    assert app.selectbox(key="weights_pair_b").value == 9
    assert not set(params) & set(app.query_params)


def test_weights_epoch_without_snapshots_is_ignored_with_a_note(app):
    open_page(app, WEIGHTS, epoch="2")
    assert "epoch" in note(app)
    assert any("no per-epoch snapshots" in i.value for i in app.info)
    assert "epoch" not in app.query_params


@pytest.fixture
def trained() -> AppTest:
    """The app with a trained model that has snapshots after epochs 1, 2 and 3."""
    at = AppTest.from_file(APP, default_timeout=60)
    return use_only_model(at, trained_entry_with_snapshots())


def test_weights_epoch_sets_the_snapshot_slider(trained):
    at = open_page(trained, WEIGHTS, epoch="1")
    assert at.select_slider(key="weights_snapshot").value == 1
    assert "The templates after epoch 1 of 3" in captions(at)
    assert at.query_params["epoch"] == "1"
    at.select_slider(key="weights_snapshot").set_value(2).run()
    assert at.query_params["epoch"] == "2"
    at.select_slider(key="weights_snapshot").set_value(3).run()  # the default: the last
    assert "epoch" not in at.query_params


@pytest.mark.parametrize("value", ["0", "4", "2.5", *BAD_VALUES])
def test_weights_epoch_the_model_has_no_snapshot_of_is_ignored(trained, value):
    at = open_page(trained, WEIGHTS, epoch=value)
    assert "epoch" in note(at)
    assert at.select_slider(key="weights_snapshot").value == 3
    assert "epoch" not in at.query_params


def test_weights_pair_in_chinese(app):
    open_page(app, WEIGHTS, pair="4,9", lang="zh")
    assert any(s.value == "为什么 4 不是 9：差异模板" for s in app.subheader)
    assert "W[:, 4] − W[:, 9]" in picture_titles(app)
    assert not any("difference templates" in s.value for s in app.subheader)
