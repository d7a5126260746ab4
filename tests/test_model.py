"""core.model: math (finite differences, Hypothesis properties, agreement with the notebook),
the SoftmaxRegression object and its defensive .npz loader."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from core import notebook as nb
from core.model import (
    MAX_MODEL_BYTES,
    ModelFileError,
    NotFittedError,
    SoftmaxRegression,
    cross_entropy,
    cross_entropy_onehot,
    log_softmax,
    logsumexp,
    softmax,
    softmax_loss,
)

# ---------------------------------------------------------------------------------------------
# Gradients against centred finite differences (float64, small shapes)
# ---------------------------------------------------------------------------------------------


def _problem(seed: int, n: int = 7, d: int = 5, c: int = 4):
    rng = np.random.default_rng(seed)
    W = rng.normal(0, 0.5, (d, c))
    b = rng.normal(0, 0.5, c)
    X = rng.random((n, d))
    y = rng.integers(0, c, n)
    return W, b, X, y


def _numeric_grad(f, P: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    g = np.zeros_like(P)
    for i in np.ndindex(P.shape):
        old = P[i]
        P[i] = old + eps
        up = f()
        P[i] = old - eps
        down = f()
        P[i] = old
        g[i] = (up - down) / (2 * eps)
    return g


@pytest.mark.parametrize("l2", [0.0, 0.3])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_softmax_loss_gradients_match_finite_differences(seed, l2):
    W, b, X, y = _problem(seed)
    loss, grads = softmax_loss(W, b, X, y, l2)

    def f():
        return softmax_loss(W, b, X, y, l2)[0]

    assert grads["W"].shape == W.shape and grads["b"].shape == b.shape
    np.testing.assert_allclose(grads["W"], _numeric_grad(f, W), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(grads["b"], _numeric_grad(f, b), rtol=1e-6, atol=1e-9)
    assert loss == pytest.approx(f())


def test_softmax_loss_l2_term_and_bias_shape():
    W, b, X, y = _problem(3)
    base, g0 = softmax_loss(W, b, X, y)
    reg, g1 = softmax_loss(W, b, X, y, l2=0.5)
    assert reg == pytest.approx(base + 0.25 * np.sum(W**2))
    np.testing.assert_allclose(g1["W"], g0["W"] + 0.5 * W)
    np.testing.assert_allclose(g1["b"], g0["b"])  # no decay on the bias
    # The notebook's (1, C) bias works and gives a (1, C) gradient.
    loss2, g2 = softmax_loss(W, b.reshape(1, -1), X, y)
    assert loss2 == pytest.approx(base) and g2["b"].shape == (1, 4)


def test_cross_entropy_gradient_wrt_logits():
    # d CE / d Z = (softmax(Z) - onehot) / N
    rng = np.random.default_rng(5)
    Z = rng.normal(size=(6, 4))
    y = rng.integers(0, 4, 6)
    num = _numeric_grad(lambda: cross_entropy(Z, y), Z)
    expected = softmax(Z)
    expected[np.arange(6), y] -= 1
    np.testing.assert_allclose(num, expected / 6, rtol=1e-6, atol=1e-9)


# ---------------------------------------------------------------------------------------------
# Softmax / cross-entropy properties
# ---------------------------------------------------------------------------------------------

_logits = hnp.arrays(
    np.float64,
    hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=12),
    elements=st.floats(-1e4, 1e4, allow_nan=False),
)


@settings(max_examples=200, deadline=None)
@given(_logits)
def test_softmax_rows_sum_to_one_and_never_overflow(Z):
    P = softmax(Z)  # warnings are errors: an overflow in exp would fail here
    assert P.shape == Z.shape
    assert np.isfinite(P).all() and (P >= 0).all() and (P <= 1).all()
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=1e-12)
    assert np.isfinite(log_softmax(Z)).all()
    assert np.isfinite(logsumexp(Z)).all()


@settings(max_examples=200, deadline=None)
@given(_logits, st.data())
def test_softmax_invariant_to_a_constant_per_row(Z, data):
    shift = data.draw(
        hnp.arrays(np.float64, (Z.shape[0], 1), elements=st.floats(-1e3, 1e3, allow_nan=False))
    )
    np.testing.assert_allclose(softmax(Z + shift), softmax(Z), atol=1e-9)


@settings(max_examples=100, deadline=None)
@given(_logits, st.data())
def test_two_cross_entropies_agree(Z, data):
    y = np.array(
        data.draw(st.lists(st.integers(0, Z.shape[1] - 1), min_size=len(Z), max_size=len(Z)))
    )
    Y = nb.one_hot(y, Z.shape[1]).astype(np.float64)
    a, b = cross_entropy(Z, y), cross_entropy_onehot(Z, Y)
    assert np.isfinite(a)
    assert a == pytest.approx(b, rel=1e-9, abs=1e-6)


def test_softmax_extreme_logits():
    Z = np.array([[1e4, 0.0, -1e4], [-1e4, -1e4, -1e4]])
    np.testing.assert_allclose(softmax(Z), [[1, 0, 0], [1 / 3, 1 / 3, 1 / 3]])
    assert cross_entropy(Z, np.array([1, 0])) == pytest.approx((1e4 + np.log(3)) / 2)
    assert softmax(np.array([0.0, 0.0])).tolist() == [0.5, 0.5]  # a single row works


def test_cross_entropy_rejects_bad_labels():
    Z = np.zeros((3, 4))
    with pytest.raises(ValueError, match="0..3"):
        cross_entropy(Z, np.array([0, 1, 4]))
    with pytest.raises(ValueError, match="shape"):
        cross_entropy(Z, np.array([0, 1]))
    with pytest.raises(ValueError, match="integers"):
        cross_entropy(Z, np.array([0.0, 1.0, 2.0]))


# ---------------------------------------------------------------------------------------------
# Same numbers as the notebook on the same inputs
# ---------------------------------------------------------------------------------------------


def test_matches_notebook_functions():
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, (50, 784)).astype(np.float32) / 255
    y = rng.integers(0, 10, 50)
    Y = nb.one_hot(y)
    W = rng.standard_normal((784, 10)) * 0.01
    b = rng.standard_normal((1, 10)) * 0.1
    Z = X @ W + b
    np.testing.assert_allclose(softmax(Z), nb.softmax(Z), rtol=1e-12)
    probs = nb.forward(X, W, b)
    assert cross_entropy(Z, y) == pytest.approx(nb.cross_entropy(probs, Y), rel=1e-10)
    assert cross_entropy(Z, y) == pytest.approx(nb.cross_entropy_labels(probs, y), rel=1e-10)
    assert cross_entropy_onehot(Z, Y) == pytest.approx(nb.cross_entropy(probs, Y), rel=1e-10)
    loss, grads = softmax_loss(W, b, X, y)
    gW, gb = nb.backward(X, probs, Y)
    assert loss == pytest.approx(nb.cross_entropy(probs, Y), rel=1e-10)
    np.testing.assert_allclose(grads["W"], gW, rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(grads["b"].ravel(), gb, rtol=1e-6, atol=1e-12)
    model = SoftmaxRegression(W, b)
    np.testing.assert_allclose(model.predict_proba(X), probs, atol=1e-6)
    loss_nb, acc_nb = nb.evaluate(X, Y, W, b)
    assert np.mean(model.predict(X) == y) == acc_nb


# ---------------------------------------------------------------------------------------------
# SoftmaxRegression
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def model():
    rng = np.random.default_rng(1)
    return SoftmaxRegression(
        rng.normal(0, 0.05, (784, 10)),
        rng.normal(0, 0.1, 10),
        config={"lr": 0.1, "epochs": 3},
        metrics={"test_acc": 0.91, "history": [{"epoch": 1, "loss": 0.3}]},
        classes=tuple("0123456789"),
        source="unit test",
    )


def test_predict_shapes_and_types(model):
    X = np.random.default_rng(2).random((25, 784), dtype=np.float32)
    P = model.predict_proba(X)
    assert P.shape == (25, 10) and P.dtype == np.float32
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=1e-5)
    pred = model.predict(X)
    assert pred.shape == (25,) and pred.dtype == np.int64
    np.testing.assert_array_equal(pred, P.argmax(axis=1))
    assert model.predict_proba(X[0]).shape == (1, 10)  # one (784,) image is N = 1
    assert model.decision_function(X).shape == (25, 10)
    assert model.W.dtype == np.float32 and model.W.shape == (784, 10)
    assert model.b.dtype == np.float32 and model.b.shape == (10,)


def test_predict_rejects_uint8_and_wrong_width(model):
    with pytest.raises(ValueError, match="divide uint8"):
        model.predict(np.zeros((2, 784), dtype=np.uint8))
    with pytest.raises(ValueError, match=r"\(N, 784\)"):
        model.predict(np.zeros((2, 783), dtype=np.float32))


def test_unfitted_model_raises_clear_error(tmp_path):
    m = SoftmaxRegression()
    assert not m.is_fitted
    for call in (
        lambda: m.predict(np.zeros((1, 784), np.float32)),
        lambda: m.predict_proba(np.zeros((1, 784), np.float32)),
        lambda: m.save(tmp_path / "m.npz"),
        lambda: m.export_notebook(tmp_path),
    ):
        with pytest.raises(NotFittedError, match="no weights yet"):
            call()
    assert issubclass(NotFittedError, ValueError)


def test_constructor_checks_shapes():
    with pytest.raises(ValueError, match="b must have shape"):
        SoftmaxRegression(np.zeros((784, 10)), np.zeros(9))
    with pytest.raises(ValueError, match="both"):
        SoftmaxRegression(np.zeros((784, 10)))
    m = SoftmaxRegression(np.zeros((784, 10)), np.zeros((1, 10)))  # notebook's (1, C) bias
    assert m.b.shape == (10,)


def _assert_same(a: SoftmaxRegression, b: SoftmaxRegression):
    np.testing.assert_array_equal(a.W, b.W)
    np.testing.assert_array_equal(a.b, b.b)
    assert a.config == b.config and a.metrics == b.metrics and a.classes == b.classes


def test_save_load_round_trip_path_bytes_filelike(model, tmp_path):
    path = model.save(tmp_path / "sub" / "model.npz")
    assert path.exists() and not list(path.parent.glob(".*tmp"))  # atomic, no leftovers
    for src in (path, str(path), path.read_bytes(), io.BytesIO(path.read_bytes())):
        loaded = SoftmaxRegression.load(src)
        _assert_same(model, loaded)
        assert loaded.source == "unit test"
    assert model.to_bytes()[:2] == b"PK"

    class UploadedFile(io.BytesIO):  # what Streamlit hands over: BytesIO with a name
        name = "my_model.npz"

    up = UploadedFile(path.read_bytes())
    up.read()  # already consumed by an earlier rerun
    _assert_same(model, SoftmaxRegression.load(up))


def test_save_json_cleans_numpy_and_nan(tmp_path):
    m = SoftmaxRegression(
        np.zeros((784, 10)), np.zeros(10), metrics={"acc": np.float32(0.5), "bad": float("nan")}
    )
    loaded = SoftmaxRegression.load(m.save(tmp_path / "m.npz"))
    assert loaded.metrics == {"acc": 0.5, "bad": None}


def test_a_zip_of_the_notebooks_two_files_loads(model, tmp_path):
    w_path, b_path = model.export_notebook(tmp_path)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.write(w_path, "W.npy")
        zipped.write(b_path, "b.npy")  # (1, 10), as the notebook saves it
    back = SoftmaxRegression.load(archive.getvalue(), name="notebook.zip")
    np.testing.assert_array_equal(back.W, model.W)
    np.testing.assert_array_equal(back.b, model.b)


def test_export_and_from_notebook(model, tmp_path):
    w_path, b_path = model.export_notebook(tmp_path)
    W, b = np.load(w_path), np.load(b_path)
    assert W.shape == (784, 10) and b.shape == (1, 10)
    back = SoftmaxRegression.from_notebook(w_path, b_path)
    np.testing.assert_array_equal(back.W, model.W)
    np.testing.assert_array_equal(back.b, model.b)
    # The notebook's own float64 files load too.
    np.save(tmp_path / "W64.npy", W.astype(np.float64))
    assert SoftmaxRegression.from_notebook(tmp_path / "W64.npy", b_path).W.dtype == np.float32
    with pytest.raises(ModelFileError, match="b must have shape"):
        SoftmaxRegression.from_notebook(w_path, w_path)
    with pytest.raises(ModelFileError, match="not a .npy"):
        SoftmaxRegression.from_notebook(b"hello", b_path)


# --- bad model files -------------------------------------------------------------------------


class _Trap:
    """Unpickling this would flip a flag: proves no pickle is ever loaded."""

    triggered = False

    def __reduce__(self):
        return (_trip, ())


def _trip():
    _Trap.triggered = True
    return None


def _npz(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def _good(**override):
    arrays = {
        "W": np.zeros((784, 10), np.float32),
        "b": np.zeros(10, np.float32),
        "config": np.array("{}"),
        "metrics": np.array("{}"),
    }
    arrays.update(override)
    return {k: v for k, v in arrays.items() if v is not None}


def _zip_with(name: str, payload: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(name, payload)
    return buf.getvalue()


def _npy(arr) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr)
    return buf.getvalue()


BAD_FILES = {
    "empty": (lambda: b"", "empty"),
    "random bytes": (lambda: b"\x00\x01garbage" * 10, "not an .npz"),
    "text file": (lambda: b"W,b\n1,2\n", "not an .npz"),
    "single npy": (lambda: _npy(np.zeros((784, 10))), "single .npy"),
    "zip but not npz": (lambda: _zip_with("readme.txt", b"hello"), "not an .npz"),
    "truncated": (lambda: _npz(**_good())[:3000], "corrupt or truncated"),
    "object array W": (
        lambda: _npz(**_good(W=np.array([_Trap()] * 4, dtype=object))),
        "pickle",
    ),
    "object array extra key": (lambda: _npz(**_good(extra=np.array([_Trap()]))), "pickle"),
    "missing b": (lambda: _npz(**_good(b=None)), "missing b"),
    "missing W": (lambda: _npz(**_good(W=None)), "missing W"),
    "W wrong shape": (lambda: _npz(**_good(W=np.zeros((10, 784), np.float32))), "W must have"),
    "W flat": (lambda: _npz(**_good(W=np.zeros(7840, np.float32))), "W must have shape"),
    "b wrong shape": (lambda: _npz(**_good(b=np.zeros((10, 10)))), "b must have shape"),
    "W int": (lambda: _npz(**_good(W=np.zeros((784, 10), np.int32))), "float array"),
    "W NaN": (
        lambda: _npz(**_good(W=np.full((784, 10), np.nan, np.float32))),
        "NaN or infinite",
    ),
    "b inf": (lambda: _npz(**_good(b=np.array([np.inf] + [0.0] * 9))), "NaN or infinite"),
    "W too big for float32": (
        lambda: _npz(**_good(W=np.full((784, 10), 1e300))),
        "too large",
    ),
    "config not JSON": (lambda: _npz(**_good(config=np.array("{lr: 0.1"))), "not valid JSON"),
    "config a list": (lambda: _npz(**_good(config=np.array("[1, 2]"))), "JSON dict"),
    "config bytes": (lambda: _npz(**_good(config=np.array(b"{}"))), "JSON string"),
    "classes wrong": (lambda: _npz(**_good(classes=np.array('["a", "b"]'))), "classes"),
    "future format": (
        lambda: _npz(**_good(format_version=np.array(99))),
        "format_version",
    ),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_model_files_raise_model_file_error(case, tmp_path):
    make, match = BAD_FILES[case]
    data = make()
    _Trap.triggered = False
    with pytest.raises(ModelFileError, match=match):
        SoftmaxRegression.load(data)
    path = tmp_path / "bad.npz"
    path.write_bytes(data)
    with pytest.raises(ModelFileError, match="bad.npz"):  # the message names the file
        SoftmaxRegression.load(path)
    assert not _Trap.triggered, "a pickle was loaded"


def test_object_array_npz_really_contains_a_pickle():
    # Guard the guard: the file above is a genuine pickle-bearing .npz that plain
    # np.load(allow_pickle=True) would execute.
    data = _npz(**_good(W=np.array([_Trap()], dtype=object)))
    _Trap.triggered = False
    np.load(io.BytesIO(data), allow_pickle=True)["W"]
    assert _Trap.triggered
    _Trap.triggered = False


def test_missing_and_huge_files(tmp_path):
    with pytest.raises(ModelFileError, match="cannot read"):
        SoftmaxRegression.load(tmp_path / "nope.npz")
    big = tmp_path / "big.npz"
    with open(big, "wb") as f:
        f.truncate(MAX_MODEL_BYTES + 1)
    with pytest.raises(ModelFileError, match="too big"):
        SoftmaxRegression.load(big)
    with pytest.raises(ModelFileError, match="cannot load a model from int"):
        SoftmaxRegression.load(42)
    with pytest.raises(ModelFileError, match="binary mode"):
        SoftmaxRegression.load(io.StringIO("text"))


def test_zip_bomb_is_refused_before_decompressing():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("W.npy", b"\0" * (MAX_MODEL_BYTES + 10))
    data = buf.getvalue()
    assert len(data) < MAX_MODEL_BYTES // 100
    with pytest.raises(ModelFileError, match="unpacks to"):
        SoftmaxRegression.load(data)


def test_saved_json_is_plain_text(model, tmp_path):
    path = model.save(tmp_path / "m.npz")
    with np.load(path, allow_pickle=False) as npz:
        assert json.loads(str(npz["config"])) == {"lr": 0.1, "epochs": 3}
        assert set(npz.files) >= {"W", "b", "config", "metrics", "classes"}


# =============================================================================================
# Hosted-demo hardening (added for the public deployment): hostile model files that lie about
# their sizes, pickles with a real side effect, and fuzzing with a memory bound.
# =============================================================================================

import struct  # noqa: E402 - this section is self-contained
import time  # noqa: E402
import tracemalloc  # noqa: E402
from pathlib import Path  # noqa: E402

from hypothesis import HealthCheck  # noqa: E402

_LOAD_PEAK_BOUND = 8_000_000  # bytes: a real model is 32 kB; nothing hostile gets near this


def _load_bounded(data: bytes) -> SoftmaxRegression | None:
    """Load `data`; ModelFileError is fine. Anything else, >1 s, or a big allocation fails."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        try:
            model = SoftmaxRegression.load(data)
        except ModelFileError:
            model = None
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < _LOAD_PEAK_BOUND, f"peak {peak:,} bytes"
    assert time.perf_counter() - started < 2.0
    return model


def _npy_header(shape, descr="<f4") -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buf, {"descr": descr, "fortran_order": False, "shape": tuple(shape)}
    )
    return buf.getvalue()


def _zip_members(members: dict[str, bytes], compression=zipfile.ZIP_STORED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compression) as zf:
        for name, payload in members.items():
            zf.writestr(name, payload)
    return buf.getvalue()


@pytest.mark.parametrize(
    "shape", [(784, 10_000_000), (2**31, 2**31), (10**6, 10**6, 10**6), (784, 3000)]
)
def test_npy_header_claiming_a_huge_array_is_refused_without_allocating(shape):
    # The .npy header says "a 30 GB array follows"; np.load would allocate that before reading.
    data = _zip_members({"W.npy": _npy_header(shape) + bytes(64), "b.npy": _npz_b()})
    with pytest.raises(ModelFileError, match="claims"):
        SoftmaxRegression.load(data)
    assert _load_bounded(data) is None


def _npz_b() -> bytes:
    return _npy(np.zeros(10, np.float32))


def _lie_about_sizes(data: bytes, claimed: int) -> bytes:
    """Rewrite every local and central zip header's uncompressed size to `claimed`."""
    out = bytearray(data)
    for sig, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (i := out.find(sig, start)) >= 0:
            out[i + offset : i + offset + 4] = struct.pack("<I", claimed)
            start = i + 4
    return bytes(out)


def test_zip_member_that_inflates_past_its_declared_size_is_bounded():
    # A deflated W.npy of 50 MB whose zip headers claim 200 bytes: the size check passes, so
    # the loader must not inflate more than the (small) array its .npy header announces.
    payload = _npy(np.zeros((784, 10), np.float32)) + bytes(50_000_000)
    data = _lie_about_sizes(
        _zip_members({"W.npy": payload, "b.npy": _npz_b()}, zipfile.ZIP_DEFLATED), 200
    )
    assert len(data) < 200_000
    assert _load_bounded(data) is None


def test_zip_bomb_with_honest_sizes_is_refused_in_bounded_memory():
    data = _zip_members({"W.npy": bytes(200_000_000)}, zipfile.ZIP_DEFLATED)
    with pytest.raises(ModelFileError, match="unpacks to"):
        SoftmaxRegression.load(data)
    assert _load_bounded(data) is None


class _WritesAFile:
    """Unpickling this writes a file: a side effect that cannot go unnoticed."""

    def __init__(self, target: Path):
        self.target = target

    def __reduce__(self):
        return (Path.write_text, (self.target, "unpickled!"))


def test_pickled_object_with_a_side_effect_is_never_unpickled(tmp_path):
    target = tmp_path / "pwned.txt"
    for key in ("W", "b", "config", "extra"):
        arrays = _good(**{key: np.array([_WritesAFile(target)], dtype=object)})
        data = _npz(**arrays)
        with pytest.raises(ModelFileError, match="pickle"):
            SoftmaxRegression.load(data)
        path = tmp_path / f"{key}.npz"
        path.write_bytes(data)
        with pytest.raises(ModelFileError, match="pickle"):
            SoftmaxRegression.load(path)
        with pytest.raises(ModelFileError, match="pickle"):
            SoftmaxRegression.load(io.BytesIO(data))
    assert not target.exists(), "a pickle was unpickled"
    # Guard the guard: the same file does write it when unpickling is allowed.
    np.load(io.BytesIO(data), allow_pickle=True)["extra"]
    assert target.read_text() == "unpickled!"


def test_empty_truncated_and_not_a_zip_named_npz(tmp_path):
    good = SoftmaxRegression(np.zeros((784, 10), np.float32), np.zeros(10)).to_bytes()
    for cut in (0, 1, 2, 4, 30, len(good) // 2, len(good) - 22, len(good) - 1):
        assert _load_bounded(good[:cut]) is None, cut
    gz = tmp_path / "model.npz"
    gz.write_bytes(b"\x1f\x8b\x08\x00" + bytes(100))  # gzip, named .npz
    with pytest.raises(ModelFileError, match="not an .npz"):
        SoftmaxRegression.load(gz)


_GOOD_MODEL = SoftmaxRegression(
    np.random.default_rng(0).standard_normal((784, 10)).astype(np.float32), np.zeros(10)
).to_bytes()
_buf = io.BytesIO()
np.savez_compressed(_buf, W=np.ones((784, 10), np.float32), b=np.zeros(10, np.float32))
_GOOD_MODEL_DEFLATED = _buf.getvalue()  # corrupt deflate streams raise zlib.error: caught?
_FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_FUZZ
@given(st.binary(max_size=600))
def test_fuzz_model_loader_random_bytes(data):
    _load_bounded(data)
    _load_bounded(b"PK\x03\x04" + data)


@_FUZZ
@given(
    good=st.sampled_from([_GOOD_MODEL, _GOOD_MODEL_DEFLATED]),
    edits=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), max_size=8),
    cut=st.none() | st.floats(0, 1),
)
def test_fuzz_model_loader_corrupted_model_file(good, edits, cut):
    corrupt = bytearray(good)
    for where, value in edits:
        corrupt[int(where * len(good))] = value
    _load_bounded(bytes(corrupt[: None if cut is None else int(cut * len(good))]))


@_FUZZ
@given(
    shape=st.lists(st.integers(0, 2**40) | st.integers(0, 1000), max_size=4),
    descr=st.sampled_from(["<f4", "<f8", "|u1", "<i8", "|O", "<U10", "|V8", ">f4"]),
    payload=st.binary(max_size=300),
    compressed=st.booleans(),
)
def test_fuzz_model_loader_npy_headers(shape, descr, payload, compressed):
    member = _npy_header(shape, descr) + payload
    data = _zip_members(
        {"W.npy": member, "b.npy": _npz_b()},
        zipfile.ZIP_DEFLATED if compressed else zipfile.ZIP_STORED,
    )
    _load_bounded(data)
