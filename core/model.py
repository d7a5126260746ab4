"""Softmax regression: the math (pure, vectorized) and the model object with safe save/load.

Shapes: N samples, D = 784 pixels, C = 10 classes. Logits Z (N, C), weights W (D, C),
bias b (C,). Images given to the model are float in [0, 1] (uint8 pixels / 255).
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from core import model_file
from core.model_file import MAX_MODEL_BYTES, ModelFileError

__all__ = [
    "N_PIXELS",
    "N_CLASSES",
    "FORMAT_VERSION",
    "PREPROCESSINGS",
    "MAX_MODEL_BYTES",
    "logsumexp",
    "softmax",
    "log_softmax",
    "cross_entropy",
    "cross_entropy_onehot",
    "softmax_loss",
    "NotFittedError",
    "ModelFileError",
    "SoftmaxRegression",
]

N_PIXELS = 784
N_CLASSES = 10
FORMAT_VERSION = 1
# What a model can expect done to its input images before they reach it ("" = nothing).
PREPROCESSINGS = ("", "deskew")
# --------------------------------------------------------------------------------------------
# Math
# --------------------------------------------------------------------------------------------


def logsumexp(Z: np.ndarray) -> np.ndarray:
    """Row-wise log(sum(exp(Z))) without overflow. Z (N, C) -> (N,)."""
    Z = np.asarray(Z)
    m = Z.max(axis=-1, keepdims=True)
    # Subtracting the row max makes the largest exponent exp(0) = 1: no overflow at 1e4.
    return (m + np.log(np.exp(Z - m).sum(axis=-1, keepdims=True)))[..., 0]


def softmax(Z: np.ndarray) -> np.ndarray:
    """Stable softmax. Z (N, C) logits -> (N, C) probabilities, rows sum to 1.

    A single row (C,) is accepted and returns (C,).
    """
    Z = np.asarray(Z)
    E = np.exp(Z - Z.max(axis=-1, keepdims=True))
    return E / E.sum(axis=-1, keepdims=True)


def log_softmax(Z: np.ndarray) -> np.ndarray:
    """Stable log-softmax. Z (N, C) -> (N, C) log-probabilities (finite for finite Z)."""
    Z = np.asarray(Z)
    return Z - logsumexp(Z)[..., None]


def _check_labels(y: np.ndarray, n: int, c: int) -> np.ndarray:
    y = np.asarray(y)
    if y.shape != (n,):
        raise ValueError(f"labels must have shape ({n},), got {y.shape}")
    if not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"labels must be integers, got dtype {y.dtype}")
    if n and (y.min() < 0 or y.max() >= c):
        raise ValueError(f"labels must be in 0..{c - 1}, got range {y.min()}..{y.max()}")
    return y


def cross_entropy(Z: np.ndarray, y: np.ndarray) -> float:
    """Mean cross-entropy from logits Z (N, C) and integer labels y (N,) -> float.

    Computed as mean(logsumexp(Z) - Z[i, y_i]): never takes log(0). -log(softmax) would be inf
    once P_y rounds to 0 (another logit ahead by 104 in float32, 746 in float64); subtracting the
    row max only keeps exp from overflowing, it does not save the log.
    """
    Z = np.asarray(Z)
    y = _check_labels(y, Z.shape[0], Z.shape[1])
    return float(np.mean(logsumexp(Z) - Z[np.arange(len(y)), y]))


def cross_entropy_onehot(Z: np.ndarray, Y: np.ndarray) -> float:
    """Mean cross-entropy from logits Z (N, C) and one-hot (or soft) targets Y (N, C) -> float."""
    Z = np.asarray(Z)
    Y = np.asarray(Y)
    if Y.shape != Z.shape:
        raise ValueError(f"targets must have the logits' shape {Z.shape}, got {Y.shape}")
    return float(-np.mean(np.sum(Y * log_softmax(Z), axis=1)))


def softmax_loss(
    W: np.ndarray, b: np.ndarray, X: np.ndarray, y: np.ndarray, l2: float = 0.0
) -> tuple[float, dict[str, np.ndarray]]:
    """Loss and gradients of L2-regularised softmax regression.

    W (D, C), b (C,) (or (1, C)), X (N, D) float, y (N,) int labels in 0..C-1.
    loss = mean_i CE(X_i W + b, y_i) + 0.5 * l2 * sum(W**2)
    Returns (loss, {"W": dW (D, C), "b": db shaped like b}) with
    G = (softmax(Z) - onehot(y)) / N, dW = X.T @ G + l2 * W, db = G.sum(0).
    Computed in the precision of the inputs (float64 in, float64 out). The reference
    implementation: the fast uint8 path (core.softmax_kernel, used by the trainer and the
    evaluation) is tested against it.
    """
    W = np.asarray(W)
    b = np.asarray(b)
    X = np.asarray(X)
    n = X.shape[0]
    if n == 0:
        raise ValueError("softmax_loss needs at least one sample (X has 0 rows)")
    Z = X @ W + b.reshape(1, -1)
    y = _check_labels(y, n, Z.shape[1])
    lse = logsumexp(Z)
    rows = np.arange(n)
    loss = float(np.mean(lse - Z[rows, y]))
    G = np.exp(Z - lse[:, None])  # softmax probabilities, reusing the log-sum-exp
    G[rows, y] -= 1
    G /= n
    dW = X.T @ G
    if l2:
        loss += 0.5 * l2 * float(np.sum(W * W))
        dW += l2 * W
    return loss, {"W": dW, "b": G.sum(axis=0).reshape(b.shape)}


# --------------------------------------------------------------------------------------------
# Model object
# --------------------------------------------------------------------------------------------


class NotFittedError(ValueError):
    """The model has no weights yet (not trained and not loaded)."""


def _jsonable(obj: Any) -> Any:
    """Turn numpy scalars/arrays in config/metrics into plain JSON types."""
    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None  # JSON has no nan/inf
    return obj


def _preprocessing_field(arrays: dict[str, np.ndarray], label: str) -> str:
    """The optional "preprocessing" string; files written before it existed mean ""."""
    value = arrays.get("preprocessing")
    if value is None:
        return ""
    if value.shape != () or value.dtype.kind != "U" or str(value) not in PREPROCESSINGS:
        raise ModelFileError(f"{label}: preprocessing must be one of {PREPROCESSINGS}")
    return str(value)


class SoftmaxRegression:
    """A linear softmax classifier: probs = softmax(X @ W + b).

    W (D, C) float32 (D = 784, C = 10 for the app), b (C,) float32; both None until fitted.
    ``config`` (training settings) and ``metrics`` (final numbers) are plain dicts saved with
    the weights; ``classes`` are the C class names; ``source`` says where the model came from.
    ``preprocessing``: "" or "deskew", the transform its training images had; whoever feeds
    the model applies the same one with :meth:`preprocess` (the math here does not).
    """

    def __init__(
        self,
        W: np.ndarray | None = None,
        b: np.ndarray | None = None,
        *,
        config: dict | None = None,
        metrics: dict | None = None,
        classes: tuple[str, ...] | None = None,
        source: str = "",
        preprocessing: str = "",
    ) -> None:
        if preprocessing not in PREPROCESSINGS:
            raise ValueError(
                f"preprocessing must be one of {PREPROCESSINGS}, got {preprocessing!r}"
            )
        self.preprocessing = preprocessing
        self.W: np.ndarray | None = None
        self.b: np.ndarray | None = None
        if (W is None) != (b is None):
            raise ValueError("give both W and b, or neither")
        if W is not None:
            self.set_weights(W, b)
        self.config = dict(config or {})
        self.metrics = dict(metrics or {})
        self.classes = tuple(str(c) for c in classes) if classes is not None else None
        if self.classes is not None and self.W is not None and len(self.classes) != self.W.shape[1]:
            raise ValueError(f"{len(self.classes)} class names for {self.W.shape[1]} classes")
        self.source = str(source)

    # -- weights -------------------------------------------------------------------------------

    def set_weights(self, W: np.ndarray, b: np.ndarray) -> None:
        """Set W (D, C) and b (C,) or (1, C); stored as float32 copies."""
        W = np.array(W, dtype=np.float32)
        b = np.array(b, dtype=np.float32)
        if W.ndim != 2 or W.shape[1] < 2:
            raise ValueError(f"W must have shape (D, C) with C >= 2, got {W.shape}")
        if b.size != W.shape[1] or b.ndim > 2 or (b.ndim == 2 and b.shape[0] != 1):
            raise ValueError(f"b must have shape ({W.shape[1]},) to match W, got {b.shape}")
        self.W, self.b = W, b.reshape(-1)

    @property
    def is_fitted(self) -> bool:
        return self.W is not None and self.b is not None

    def _require_fitted(self) -> None:
        if not self.is_fitted:
            raise NotFittedError(
                "this SoftmaxRegression has no weights yet: train it (core.train.Trainer) "
                "or load a saved model (SoftmaxRegression.load) before predicting"
            )

    # -- prediction ----------------------------------------------------------------------------

    @property
    def deskew(self) -> bool:
        """True when the model was trained on deskewed images (core.deskew)."""
        return self.preprocessing == "deskew"

    def preprocess(self, images: np.ndarray) -> np.ndarray:
        """The input transform this model expects, applied: images (N, 28, 28) or (N, 784),
        uint8 or float, -> the same shape and dtype (deskewed when ``self.deskew``, else the
        images themselves). Apply it before predict / evaluate, once."""
        if not self.deskew:
            return images
        from core.deskew import deskew

        return deskew(images)

    def _as_input(self, X: np.ndarray) -> np.ndarray:
        self._require_fitted()
        X = np.asarray(X)
        if X.ndim == 1:
            X = X[None, :]  # a single image (D,) -> N = 1
        elif X.ndim == 3 and X.shape[1] * X.shape[2] == self.W.shape[0]:
            X = X.reshape(len(X), -1)  # (N, 28, 28) images
        if X.ndim != 2 or X.shape[1] != self.W.shape[0]:
            raise ValueError(f"X must have shape (N, {self.W.shape[0]}), got {np.shape(X)}")
        if not np.issubdtype(X.dtype, np.floating):
            raise ValueError(
                f"X must be float pixels in [0, 1], got dtype {X.dtype} "
                "(divide uint8 images by 255 first)"
            )
        return X

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        """Logits. X (N, D) float in [0, 1] (or one image (D,)) -> Z (N, C) float32."""
        X = self._as_input(X)
        return (X.astype(np.float32, copy=False) @ self.W) + self.b

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Class probabilities. X (N, D) (or (D,)) -> (N, C) float32, rows sum to 1."""
        return softmax(self.decision_function(X))

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Predicted class. X (N, D) (or (D,)) -> (N,) int64."""
        return self.decision_function(X).argmax(axis=1).astype(np.int64)

    # -- persistence ---------------------------------------------------------------------------

    def save(self, path: str | os.PathLike) -> Path:
        """Write an .npz: W (D, C) float32, b (C,) float32, config/metrics/classes as JSON
        strings (0-d unicode arrays, so no pickle is needed to read them back). Atomic."""
        self._require_fitted()
        path = Path(path)
        arrays = {
            "format_version": np.array(FORMAT_VERSION, dtype=np.int64),
            "W": self.W,
            "b": self.b,
            "config": np.array(json.dumps(_jsonable(self.config))),
            "metrics": np.array(json.dumps(_jsonable(self.metrics))),
            "classes": np.array(json.dumps(list(self.classes) if self.classes else None)),
            "source": np.array(self.source),
            "preprocessing": np.array(self.preprocessing),
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write next to the target then rename: a crash never leaves a half-written model.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez(f, **arrays)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path

    def to_bytes(self) -> bytes:
        """The .npz file content as bytes (for a download button)."""
        with tempfile.TemporaryDirectory() as d:
            return self.save(Path(d) / "model.npz").read_bytes()

    @classmethod
    def load(cls, source: str | os.PathLike | bytes | Any, *, name: str | None = None):
        """Load a model saved by :meth:`save`, or a zip of the notebook's W.npy and b.npy.

        ``source``: a path, the file's bytes, or a binary file-like object (e.g. Streamlit's
        UploadedFile). Never unpickles (allow_pickle=False). Raises ModelFileError naming the
        problem for anything that is not a well-formed model: not a zip/npz, truncated, object
        arrays, missing keys, wrong shapes/dtypes, NaN/inf weights, bad JSON.
        """
        data, label = model_file.read_source(source, name)
        if data[:4] == b"\x93NUM":
            raise ModelFileError(
                f"{label} is a single .npy array, not a model: put W.npy and b.npy in one .zip "
                "(as the app's 'W.npy + b.npy' download does), or load the pair with "
                "SoftmaxRegression.from_notebook"
            )
        if data[:2] != b"PK":
            raise ModelFileError(f"{label} is not an .npz model file (not a zip archive)")
        arrays = model_file.read_npz(data, label)
        return cls._from_arrays(arrays, label)

    @classmethod
    def _from_arrays(cls, arrays: dict[str, np.ndarray], label: str) -> SoftmaxRegression:
        missing = [k for k in ("W", "b") if k not in arrays]
        if missing:
            have = sorted(arrays)
            raise ModelFileError(f"{label} is missing {', '.join(missing)} (has keys {have})")
        if "format_version" in arrays:
            v = arrays["format_version"]
            if v.shape != () or not np.issubdtype(v.dtype, np.integer) or int(v) > FORMAT_VERSION:
                raise ModelFileError(f"{label} has an unsupported format_version {v!r}")
        W = model_file.check_weights(arrays["W"], "W", (N_PIXELS, N_CLASSES), label)
        b = arrays["b"]
        if b.shape == (1, N_CLASSES):  # the notebook's b.npy, zipped with its W.npy
            b = b.reshape(N_CLASSES)
        b = model_file.check_weights(b, "b", (N_CLASSES,), label)
        config = model_file.json_field(arrays, "config", dict, label)
        metrics = model_file.json_field(arrays, "metrics", dict, label)
        classes = model_file.json_field(arrays, "classes", list, label)
        if classes is not None and (
            len(classes) != N_CLASSES or not all(isinstance(c, str) for c in classes)
        ):
            raise ModelFileError(f"{label}: classes must be {N_CLASSES} strings")
        src = arrays.get("source")
        if src is not None and (src.shape != () or src.dtype.kind != "U"):
            raise ModelFileError(f"{label}: source must be a string")
        return cls(
            W,
            b,
            config=config or {},
            metrics=metrics or {},
            classes=tuple(classes) if classes else None,
            source=str(src) if src is not None else label,
            preprocessing=_preprocessing_field(arrays, label),
        )

    def export_notebook(self, out_dir: str | os.PathLike) -> tuple[Path, Path]:
        """Write the notebook's files: W.npy (D, C) and b.npy (1, C), float32."""
        self._require_fitted()
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        np.save(out / "W.npy", self.W)
        np.save(out / "b.npy", self.b.reshape(1, -1))
        return out / "W.npy", out / "b.npy"

    @classmethod
    def from_notebook(
        cls, W_path: str | os.PathLike | bytes | Any, b_path: str | os.PathLike | bytes | Any
    ) -> SoftmaxRegression:
        """Load the notebook's W.npy (784, 10) and b.npy (1, 10) or (10,) (paths, bytes or
        file-likes). ModelFileError on anything else."""
        out, labels = [], []
        for src, key, shape in ((W_path, "W", (N_PIXELS, N_CLASSES)), (b_path, "b", None)):
            data, label = model_file.read_source(src, None)
            arr = model_file.read_npy(data, label)
            if key == "b" and arr.shape == (1, N_CLASSES):
                arr = arr.reshape(-1)
            out.append(model_file.check_weights(arr, key, shape or (N_CLASSES,), label))
            labels.append(label)
        return cls(out[0], out[1], source=f"notebook files {labels[0]} + {labels[1]}")

    def __repr__(self) -> str:
        state = f"W{self.W.shape}" if self.is_fitted else "unfitted"
        return f"SoftmaxRegression({state}, source={self.source!r})"
