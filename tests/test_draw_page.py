"""The Draw page (AppTest): the stroke-width step and its switch, one rounding rule, the index
message, labelling drawings into the visitor's own test set, evaluating it, its files, and the
nudge towards another class."""

from __future__ import annotations

import re

import numpy as np
import pytest

from core.model import SoftmaxRegression
from core.nudge import flip_eps
from core.personal_set import PersonalSet, read_zip, write_zip
from core.preprocess import digit_to_canvas
from tests.apptest_helpers import headline, wait_for_runs
from ui import draw_parts, state
from ui.draw_parts import logit_parts_html, probability_bars_html, probability_text
from ui.loaders import shipped_model
from ui.nudge_panel import EPS_KEY, EPS_MAX, EPS_STEP, OPEN_KEY, TARGET_KEY

DRAW = "pages/draw.py"


def grids(app) -> list[str]:
    return [h.proto.body for h in app.get("html") if 'class="digit-grid' in h.proto.body]


def step_captions(app) -> str:
    return next(body for body in grids(app) if "canvas 280" in body)


def the_set(app) -> PersonalSet:
    return app.session_state[state.PERSONAL_SET]


def seven(mnist, size: int = 200, **kwargs) -> np.ndarray:
    index = int(np.flatnonzero(mnist.test_labels == 7)[0])
    return digit_to_canvas(mnist.test_images[index], size, 40, 40, **kwargs)


def draw(app, canvas, image) -> None:
    canvas.image = image
    app.switch_page(DRAW).run()
    assert not app.exception


# -- one rounding rule -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("p", "text"),
    [(0.99999, ">99.9%"), (0.9995, ">99.9%"), (0.9994, "99.9%"), (0.5, "50.0%"), (0.0004, "<0.1%")],
)
def test_probabilities_never_read_as_certain_or_impossible(p, text):
    assert probability_text(p) == text


def test_the_bars_show_the_headline_number_by_the_same_rule(app, canvas, mnist):
    draw(app, canvas, seven(mnist))
    bars = next(h.proto.body for h in app.get("html") if 'class="prob-bars' in h.proto.body)
    shown = headline(app).rsplit("probability ", 1)[1]
    assert f"<span>{shown}</span>" in bars  # the top class's bar, same text as the headline
    assert "100.0%" not in bars and "0.0%" not in bars.replace("<0.1%", "")
    empty = probability_bars_html(np.zeros(10), list("0123456789"), None)
    assert "%" not in empty.split("</style>")[1]  # before drawing: empty bars, no numbers


# -- how each logit is made -------------------------------------------------------------------


def test_the_logit_picture_writes_each_class_s_sum_and_stacks_its_parts():
    pixels, bias = np.array([1.5, -2.0, 0.25]), np.array([0.25, 0.5, -1.0])
    picture = logit_parts_html(pixels, bias, ["zero", "one", "two"])
    # Each class named, with its logit written under it and its sum spelled in its tooltip.
    for name, tip in (
        ("zero", "zero: pixels +1.50 + bias +0.25 = logit +1.75"),
        ("one", "one: pixels -2.00 + bias +0.50 = logit -1.50"),
        ("two", "two: pixels +0.25 + bias -1.00 = logit -0.75"),
    ):
        assert f'<span title="{tip}"><b>{name}</b>{tip[-5:]}</span>' in picture
    assert picture.count('class="logit"') == 3
    assert "Logit of each class = pixel evidence + bias" in picture and "bias b_k" in picture
    # Stacked as Plotly's 'relative' bars: zero's bias sits on its pixels, two's hangs below 0.
    boxes = [
        (float(top), float(height))
        for top, height in re.findall(r"top: ([\d.]+)px; height: ([\d.]+)px", picture)
    ]
    (zero_pixels, zero_bias), (two_pixels, two_bias) = boxes[0:2], boxes[4:6]
    assert zero_bias[0] + zero_bias[1] == pytest.approx(zero_pixels[0], abs=0.2)  # on the pixels
    assert zero_pixels[1] == pytest.approx(6 * zero_bias[1], abs=1)  # 1.5 against 0.25
    assert two_bias[0] == pytest.approx(two_pixels[0] + two_pixels[1], abs=0.2)  # below 0


# -- stroke width, and the switch --------------------------------------------------------------


def test_the_stroke_width_step_is_shown_and_its_switch_changes_the_input(app, canvas, mnist):
    # A thin pen: the 7 redrawn with its strokes eroded.
    draw(app, canvas, seven(mnist, stroke=-3, binarize=True))
    captions = step_captions(app)
    assert captions.count("<figure>") == 5 and "stroke" in captions and "→" in captions
    app.toggle(key=state.NORMALISE_STROKE).set_value(False).run()
    assert not app.exception
    assert "stroke width step off" in step_captions(app)
    # The 28x28 image the model reads is another one: the thin stroke is no longer thickened.
    assert centred_picture(step_captions(app)) != centred_picture(captions)


def centred_picture(grid: str) -> str:
    """The src of the 28x28 step's picture (the fifth) in the steps' grid."""
    return grid.split('<img src="')[5].split('"')[0]


def test_a_deskew_model_gets_a_deskewed_input_shown_as_a_step(app, canvas, mnist):
    shipped = shipped_model()
    deskewing = SoftmaxRegression(W=shipped.W, b=shipped.b, preprocessing="deskew")
    entry = state.ModelEntry("Deskewed", deskewing, "mnist", "uploaded")
    app.session_state[state.MODELS]["Deskewed"] = entry
    app.session_state[state.CURRENT_MODEL] = "Deskewed"
    draw(app, canvas, seven(mnist))
    assert "deskewed, as this model was trained" in step_captions(app)


# -- a test image by index ---------------------------------------------------------------------


def test_an_index_out_of_range_gets_the_pages_own_message(app):
    app.switch_page(DRAW).run()
    app.radio[0].set_value(draw_parts.SOURCE_TEST).run()
    app.number_input[0].set_value(12345).run()
    assert not app.exception
    assert any(
        "There is no image #12345 here: pick one from 0 to 9,999" in w.value for w in app.warning
    )
    assert headline(app) == ""
    app.number_input[0].set_value(3).run()
    assert headline(app).startswith("### It's ") and not app.warning


def test_the_confidence_caption_calls_only_a_drawing_a_drawing(app, canvas, mnist):
    draw(app, canvas, seven(mnist))
    about_drawing = "a drawing is not a training image"
    assert any(about_drawing in c.value and "81 of its 777" in c.value for c in app.caption)
    app.radio[0].set_value(draw_parts.SOURCE_TEST).run()
    app.number_input[0].set_value(3).run()
    assert any("81 of its 777" in c.value for c in app.caption)
    assert not any(about_drawing in c.value for c in app.caption)


# -- your own test set -------------------------------------------------------------------------


def test_one_click_labels_the_drawing_into_the_set_shown_as_a_grid(app, canvas, mnist):
    draw(app, canvas, seven(mnist))
    generation = app.session_state[state.CANVAS_GENERATION]
    canvas.image = None  # what the new, empty canvas returns after the click
    app.button(key="label_as_7").click().run()
    assert not app.exception
    digits = the_set(app)
    assert len(digits) == 1 and digits.labels.tolist() == [7]
    assert digits.images.shape == (1, 28, 28) and digits.images.max() > 200
    assert app.session_state[state.CANVAS_GENERATION] == generation + 1  # cleared for the next
    assert any("Added as a 7: your set has 1 digit" in s.value for s in app.success)
    grid = next(
        h.proto.body
        for h in app.get("html")
        if "personal_set_grid" in h.proto.body or "7→7" in h.proto.body
    )
    assert "✅ 7→7" in grid
    labels = [m.label for m in app.metric]
    assert (
        "Accuracy on your 1 digit" in labels and "Accuracy on MNIST's 10,000 test digits" in labels
    )
    assert app.metric[labels.index("Accuracy on your 1 digit")].value == "100.0%"


def set_of(images: np.ndarray, labels) -> PersonalSet:
    return PersonalSet(images.reshape(-1, 28, 28).copy(), np.asarray(labels, np.uint8))


def test_any_model_of_the_session_is_evaluated_on_the_set(app, mnist):
    app.switch_page(DRAW).run()
    app.session_state[state.PERSONAL_SET] = set_of(mnist.test_images[:25], mnist.test_labels[:25])
    always_three = SoftmaxRegression(W=np.zeros((784, 10), np.float32), b=np.eye(10)[3])
    app.session_state[state.MODELS]["Threes"] = state.ModelEntry(
        "Threes", always_three, "mnist", "uploaded"
    )
    app.run()
    metric = {m.label: m.value for m in app.metric}
    shipped_right = (
        shipped_model().predict(mnist.test_images[:25] / 255.0) == mnist.test_labels[:25]
    ).mean()
    assert metric["Accuracy on your 25 digits"] == f"{shipped_right:.1%}"
    assert app.get("plotly_chart")  # a confusion matrix from 20 digits on
    app.selectbox(key="personal_set_model").set_value("Threes").run()
    metric = {m.label: m.value for m in app.metric}
    threes = (mnist.test_labels[:25] == 3).mean()
    assert metric["Accuracy on your 25 digits"] == f"{threes:.1%}"
    assert (
        metric["Accuracy on MNIST's 10,000 test digits"] == f"{(mnist.test_labels == 3).mean():.1%}"
    )


def test_the_set_downloads_as_idx_files_uploads_again_and_clears(app, mnist):
    app.switch_page(DRAW).run()
    digits = set_of(mnist.test_images[:3], [7, 2, 1])
    app.session_state[state.PERSONAL_SET] = digits
    app.run()
    download = app.get("download_button")[0]
    assert "Download" in download.proto.label
    data = write_zip(digits)
    np.testing.assert_array_equal(read_zip(data).labels, [7, 2, 1])
    app.button(key="personal_set_clear").click().run()
    assert len(the_set(app)) == 0
    app.file_uploader[0].set_value(("mine.zip", data, "application/zip")).run()
    assert not app.exception
    np.testing.assert_array_equal(the_set(app).images, digits.images)
    assert the_set(app).labels.tolist() == [7, 2, 1]


def test_a_bad_upload_gets_a_clear_message_and_keeps_the_set(app, mnist):
    app.switch_page(DRAW).run()
    app.session_state[state.PERSONAL_SET] = set_of(mnist.test_images[:2], [7, 2])
    app.run()
    app.file_uploader[0].set_value(("bad.zip", b"no zip here", "application/zip")).run()
    assert not app.exception
    assert any("That file is not a set of digits: not a zip file" in e.value for e in app.error)
    assert the_set(app).labels.tolist() == [7, 2]


# -- nudge -------------------------------------------------------------------------------------


def test_the_nudge_panel_runs_only_while_its_expander_is_open(app, canvas, mnist):
    draw(app, canvas, seven(mnist))
    assert "It's a **7**" in headline(app)
    assert any("What would make it another digit?" in e.label for e in app.expander)
    assert not any(m.value.startswith("**It reads as") for m in app.markdown)
    app.session_state[OPEN_KEY] = True
    app.run()
    assert any(m.value.startswith("**It reads as 7") for m in app.markdown)


def test_the_nudge_slider_turns_the_answer_into_the_target_at_the_flip_eps(app, canvas, mnist):
    draw(app, canvas, seven(mnist))
    assert "It's a **7**" in headline(app)
    app.session_state[OPEN_KEY] = True
    app.run()
    app.selectbox(key=TARGET_KEY).set_value(9).run()
    nudged_verdict = [m.value for m in app.markdown if m.value.startswith("**It reads as")]
    assert nudged_verdict[0].startswith("**It reads as 7")  # eps 0: unchanged
    model = shipped_model()
    x = model.preprocess(seven_input(mnist))
    flip = flip_eps(x, model.W, model.b.reshape(-1), 7, 9, EPS_MAX, round(EPS_MAX / EPS_STEP))
    assert flip is not None
    assert any(f"it first reads as 9 at ε = {flip:.2f}" in c.value for c in app.caption)
    app.slider(key=EPS_KEY).set_value(flip).run()
    nudged_verdict = [m.value for m in app.markdown if m.value.startswith("**It reads as")]
    assert nudged_verdict[0].startswith("**It reads as 9")
    assert "It's a **7**" in headline(app)  # the drawing itself is still read as a 7


def seven_input(mnist) -> np.ndarray:
    from core.preprocess import canvas_to_mnist

    return canvas_to_mnist(seven(mnist)).reshape(1, 784)


def test_training_on_mnist_plus_your_digits_compares_before_and_after_on_held_out_ones(app, mnist):
    app.switch_page(DRAW).run()
    app.session_state[state.PERSONAL_SET] = set_of(mnist.test_images[:12], mnist.test_labels[:12])
    app.session_state[state.TRAIN_FORM] = {**state.default_train_form(), "epochs": 1}
    app.run()
    app.button(key="fine_tune_start").click().run()
    assert not app.exception
    assert app.session_state[state.FINE_TUNE]["run"] == "Run 1"
    wait_for_runs(app, 1, timeout=180)
    app.run()
    said = " ".join(m.value for m in app.markdown)
    # Of the 12 digits the set had when training began, every fifth (4 and 9) was kept out.
    assert "On the 2 digits of yours that the run never saw: Shipped default" in said
    record = app.session_state[state.RUNS][0]
    assert record.name == "Run 1" and record.dataset == "mnist"
