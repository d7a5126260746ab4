"""The sidebar's model upload: the notebook's W.npy and b.npy selected together load as a model,
one of them alone asks for the other, and every upload says what it did (core.model_file's pairing,
then the sidebar through AppTest)."""

from __future__ import annotations

import io

import numpy as np
import pytest

from core.model import N_CLASSES, N_PIXELS, SoftmaxRegression
from core.model_file import MissingPartnerError, ModelFileError, order_notebook_pair
from ui import state

RNG = np.random.default_rng(7)
W = RNG.standard_normal((N_PIXELS, N_CLASSES)).astype(np.float32)
B = RNG.standard_normal((1, N_CLASSES)).astype(np.float32)


def npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def named(name: str, data: bytes) -> io.BytesIO:
    """A file-like with a name, as Streamlit's UploadedFile is."""
    file = io.BytesIO(data)
    file.name = name
    return file


# -- core: telling the two files apart ------------------------------------------------------------


@pytest.mark.parametrize("b_shape", [(1, N_CLASSES), (N_CLASSES,)])
def test_the_pair_is_told_apart_by_shape_whatever_the_names_and_order(b_shape):
    weights, bias = named("first.npy", npy(W)), named("second.npy", npy(B.reshape(b_shape)))
    assert order_notebook_pair([bias, weights], N_PIXELS, N_CLASSES) == (weights, bias)
    assert order_notebook_pair([weights, bias], N_PIXELS, N_CLASSES) == (weights, bias)
    model = SoftmaxRegression.from_notebook(weights, bias)
    np.testing.assert_array_equal(model.W, W)
    np.testing.assert_array_equal(model.b, B.reshape(-1))


@pytest.mark.parametrize(("array", "have", "missing"), [(W, "W", "b"), (B, "b", "W")])
def test_one_file_alone_names_the_one_that_is_missing(array, have, missing):
    with pytest.raises(MissingPartnerError, match=f"select {missing}.npy") as caught:
        order_notebook_pair([named("mine.npy", npy(array))], N_PIXELS, N_CLASSES)
    assert (caught.value.label, caught.value.have, caught.value.missing) == (
        "mine.npy",
        have,
        missing,
    )


def test_a_wrong_shape_is_named_with_the_shapes_expected():
    wrong = named("W.npy", npy(np.zeros((28, 28), np.float32)))
    with pytest.raises(ModelFileError, match=r"W.npy has shape \(28, 28\).*\(784, 10\)"):
        order_notebook_pair([wrong, named("b.npy", npy(B))], N_PIXELS, N_CLASSES)


def test_two_files_of_one_kind_are_refused():
    pair = [named("W.npy", npy(W)), named("W2.npy", npy(W))]
    with pytest.raises(ModelFileError, match="both have the shape of W.npy"):
        order_notebook_pair(pair, N_PIXELS, N_CLASSES)


# -- the sidebar (AppTest) ------------------------------------------------------------------------


def uploader(app):
    return app.sidebar.file_uploader[0]


def current(app) -> state.ModelEntry:
    return app.session_state[state.MODELS][app.session_state[state.CURRENT_MODEL]]


def test_the_uploader_takes_several_files(app):
    assert uploader(app).accept_multiple_files


def test_w_and_b_selected_together_load_as_the_current_model(app):
    files = [("b.npy", npy(B), "application/octet-stream"), ("W.npy", npy(W), "")]
    uploader(app).set_value(files).run()
    assert not app.exception and not app.sidebar.error and not app.sidebar.warning
    entry = current(app)
    assert (entry.name, entry.origin, entry.dataset) == (
        "Uploaded: W.npy + b.npy",
        "uploaded",
        "mnist",
    )
    np.testing.assert_array_equal(entry.model.W, W)
    np.testing.assert_array_equal(entry.model.b, B.reshape(-1))
    success = " ".join(s.value for s in app.sidebar.success)
    assert "Loaded W.npy + b.npy: now the current model" in success
    assert "test accuracy not measured" not in success  # measured on upload: test_ux_messages
    assert "Model loaded: W.npy + b.npy" in [t.value for t in app.toast]


def test_w_alone_asks_for_b_and_keeps_the_model(app):
    uploader(app).upload("W.npy", npy(W)).run()
    assert not app.exception and not app.sidebar.error
    warning = " ".join(w.value for w in app.sidebar.warning)
    assert "W.npy is the notebook's W.npy alone: select it together with b.npy" in warning
    assert app.session_state[state.CURRENT_MODEL] == state.DEFAULT_MODEL_NAME
    # Selecting both next time works: the message goes.
    uploader(app).set_value([("W.npy", npy(W), ""), ("b.npy", npy(B), "")]).run()
    assert not app.sidebar.warning and current(app).name == "Uploaded: W.npy + b.npy"


def test_a_wrong_shape_in_the_pair_is_refused_with_the_shapes(app):
    wrong = np.zeros((N_CLASSES, N_PIXELS), np.float32)  # W transposed
    uploader(app).set_value([("W.npy", npy(wrong), ""), ("b.npy", npy(B), "")]).run()
    error = " ".join(e.value for e in app.sidebar.error)
    assert "the current model stays" in error and "W.npy has shape (10, 784)" in error
    assert app.session_state[state.CURRENT_MODEL] == state.DEFAULT_MODEL_NAME


def test_a_model_file_with_an_npy_is_refused(app):
    model_bytes = SoftmaxRegression(W, B.reshape(-1)).to_bytes()
    uploader(app).set_value([("model.npz", model_bytes, ""), ("b.npy", npy(B), "")]).run()
    error = " ".join(e.value for e in app.sidebar.error)
    assert "select one model file, or the notebook's W.npy and b.npy together" in error
    assert app.session_state[state.CURRENT_MODEL] == state.DEFAULT_MODEL_NAME


def test_an_npz_upload_says_what_was_loaded(app):
    model = SoftmaxRegression(W, B.reshape(-1), metrics={"test_acc": 0.9123})
    uploader(app).upload("mine.npz", model.to_bytes()).run()
    success = " ".join(s.value for s in app.sidebar.success)
    assert "Loaded mine.npz: now the current model (MNIST classes, test accuracy 91.23%)" in success


def test_the_dataset_help_says_what_follows_the_dataset_and_what_the_model(app):
    dataset_help = app.sidebar.selectbox[0].help
    assert "Explore shows this dataset and Train trains on it" in dataset_help
    assert "Weights and Draw show the current model" in dataset_help
    assert "Weights and Draw show this model" in app.sidebar.selectbox[1].help
