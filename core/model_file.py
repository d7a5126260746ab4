"""Reading model files safely: size caps, zip-bomb and header checks, no pickle, and weights
and JSON fields validated before a model is built from them. :mod:`core.model` uses these in
``SoftmaxRegression.load`` / ``from_notebook`` and re-exports ModelFileError and MAX_MODEL_BYTES.

Shapes: W (D, C), b (C,) with D = 784 pixels, C = 10 classes.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import tokenize
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "MAX_MODEL_BYTES",
    "ModelFileError",
    "MissingPartnerError",
    "order_notebook_pair",
    "read_source",
    "read_npz",
    "read_npy",
    "check_weights",
    "json_field",
]

# A real model file is ~32 KB; anything this big is not ours (and must not be decompressed).
MAX_MODEL_BYTES = 10_000_000
# What reading a damaged zip member or .npy header can raise besides ModelFileError: a corrupt
# deflate stream gives zlib.error, a mangled header dict a tokenizer or syntax error.
_PARSE_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    tokenize.TokenError,
    SyntaxError,
    EOFError,
    OSError,
    ValueError,
    RuntimeError,
    NotImplementedError,
    KeyError,
    IndexError,
    TypeError,
    OverflowError,
)


class ModelFileError(ValueError):
    """A model file is unreadable, unsafe (pickle/object arrays) or inconsistent."""


class MissingPartnerError(ModelFileError):
    """One of the notebook's two files came without the other: `have` is "W" or "b" (by its
    shape), `missing` the other one, `label` the file's name."""

    def __init__(self, label: str, have: str) -> None:
        self.label, self.have = label, have
        self.missing = "b" if have == "W" else "W"
        super().__init__(
            f"{label} is the notebook's {have}.npy alone: select {self.missing}.npy together "
            "with it"
        )


def order_notebook_pair(sources: list[Any], n_pixels: int, n_classes: int) -> tuple[Any, Any]:
    """The notebook's two .npy files as (W source, b source), told apart by their shapes, so
    their names and order do not matter: W (D, C) = (n_pixels, n_classes), b (1, C) or (C,).

    MissingPartnerError for a single W or b; ModelFileError for anything else (not .npy, other
    shapes, two of a kind). The arrays themselves are checked when the model is built from them.
    """
    w_shape, b_shapes = (n_pixels, n_classes), {(1, n_classes), (n_classes,)}
    found: dict[str, Any] = {}
    for source in sources:
        data, label = read_source(source, None)
        shape = read_npy(data, label).shape
        kind = "W" if shape == w_shape else "b" if shape in b_shapes else None
        if kind is None:
            raise ModelFileError(
                f"{label} has shape {shape}: the notebook's W.npy is {w_shape} and its b.npy "
                f"(1, {n_classes})"
            )
        if kind in found:
            raise ModelFileError(f"{label} and another file both have the shape of {kind}.npy")
        found[kind] = source
    if len(found) == 1:
        raise MissingPartnerError(label, next(iter(found)))
    return found["W"], found["b"]


def read_source(source: Any, name: str | None) -> tuple[bytes, str]:
    """Path / bytes / binary file-like -> (bytes, label for messages), size-capped."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data, label = bytes(source), name or "model bytes"
    elif isinstance(source, (str, os.PathLike)):
        p = Path(source)
        label = name or str(p)
        try:
            size = p.stat().st_size
            if size > MAX_MODEL_BYTES:
                raise ModelFileError(f"{label} is {size} bytes, too big for a model file")
            data = p.read_bytes()
        except ModelFileError:
            raise
        except OSError as e:
            raise ModelFileError(f"cannot read model file {label}: {e.strerror or e}") from None
    elif hasattr(source, "read"):
        label = name or str(getattr(source, "name", "uploaded file"))
        if hasattr(source, "seek"):
            # Streamlit reruns may hand us an already-read UploadedFile.
            with contextlib.suppress(OSError, ValueError):
                source.seek(0)
        data = source.read(MAX_MODEL_BYTES + 1)
        if not isinstance(data, (bytes, bytearray)):
            raise ModelFileError(f"{label} must be opened in binary mode")
        data = bytes(data)
    else:
        raise ModelFileError(f"cannot load a model from {type(source).__name__}")
    if len(data) > MAX_MODEL_BYTES:
        raise ModelFileError(f"{label} is larger than {MAX_MODEL_BYTES} bytes, not a model file")
    if not data:
        raise ModelFileError(f"{label} is empty")
    return data, label


def read_npz(data: bytes, label: str) -> dict[str, np.ndarray]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            # Bound the decompressed size before reading anything (zip bombs).
            total = sum(i.file_size for i in zf.infolist())
            if total > MAX_MODEL_BYTES:
                raise ModelFileError(f"{label} unpacks to {total} bytes, too big for a model")
            bad = [n for n in zf.namelist() if not n.endswith(".npy")]
            if bad:
                raise ModelFileError(f"{label} is a zip but not an .npz (contains {bad[0]!r})")
            for info in zf.infolist():
                _check_member_header(zf, info, label)
        npz = np.load(io.BytesIO(data), allow_pickle=False)
    except ModelFileError:
        raise
    except _PARSE_ERRORS as e:
        raise ModelFileError(f"{label} is corrupt or truncated: {e}") from None
    out = {}
    with npz:
        for key in npz.files:
            try:
                out[key] = npz[key]  # every member, so a pickle anywhere is refused
            except ValueError as e:
                if "pickle" in str(e):
                    raise ModelFileError(
                        f"{label}: {key!r} is an object array (pickle), refused for safety"
                    ) from None
                raise ModelFileError(f"{label}: {key!r} is unreadable: {e}") from None
            except _PARSE_ERRORS as e:
                raise ModelFileError(f"{label}: {key!r} is corrupt or truncated: {e}") from None
    return out


def _check_member_header(zf: zipfile.ZipFile, info: zipfile.ZipInfo, label: str) -> None:
    """Read one member's .npy header (a few hundred bytes) and refuse it unless the array it
    announces is plain data that fits in the member: np.load would otherwise allocate the
    claimed shape (say 30 GB) before finding out the data is not there."""
    key = info.filename[: -len(".npy")]
    try:
        with zf.open(info) as member:
            version = np.lib.format.read_magic(member)
            if version == (1, 0):
                shape, _, dtype = np.lib.format.read_array_header_1_0(member)
            elif version == (2, 0):
                shape, _, dtype = np.lib.format.read_array_header_2_0(member)
            else:
                raise ModelFileError(f"{label}: {key!r} has an unsupported .npy version {version}")
    except ModelFileError:
        raise
    except _PARSE_ERRORS as e:
        raise ModelFileError(f"{label}: {key!r} is corrupt or truncated: {e}") from None
    if dtype.hasobject:
        raise ModelFileError(f"{label}: {key!r} is an object array (pickle), refused for safety")
    claimed = math.prod(shape) * dtype.itemsize
    if claimed > min(info.file_size, MAX_MODEL_BYTES):
        raise ModelFileError(
            f"{label}: {key!r} claims {claimed} bytes of data but holds at most {info.file_size}"
        )


def read_npy(data: bytes, label: str) -> np.ndarray:
    """The array in a single .npy file's bytes, never unpickled; ModelFileError otherwise."""
    if data[:6] != b"\x93NUMPY":
        raise ModelFileError(f"{label} is not a .npy file")
    try:
        return np.load(io.BytesIO(data), allow_pickle=False)
    except Exception as e:  # noqa: BLE001 - any parse failure is a bad file
        raise ModelFileError(f"{label} is not a readable .npy array: {e}") from None


def check_weights(arr: np.ndarray, key: str, shape: tuple, label: str) -> np.ndarray:
    if not isinstance(arr, np.ndarray) or arr.dtype.kind != "f":
        raise ModelFileError(f"{label}: {key} must be a float array, got dtype {arr.dtype}")
    if arr.shape != shape:
        raise ModelFileError(f"{label}: {key} must have shape {shape}, got {arr.shape}")
    if not np.isfinite(arr).all():
        raise ModelFileError(f"{label}: {key} contains NaN or infinite values")
    if np.abs(arr).max(initial=0) > np.finfo(np.float32).max:
        raise ModelFileError(f"{label}: {key} has values too large for float32")
    return arr.astype(np.float32)


def json_field(arrays: dict, key: str, kind: type, label: str) -> Any:
    if key not in arrays:
        return None
    arr = arrays[key]
    if arr.shape != () or arr.dtype.kind != "U":
        raise ModelFileError(f"{label}: {key} must be a JSON string, got {arr.dtype} {arr.shape}")
    try:
        value = json.loads(str(arr))
    except json.JSONDecodeError as e:
        raise ModelFileError(f"{label}: {key} is not valid JSON ({e.msg})") from None
    if value is not None and not isinstance(value, kind):
        raise ModelFileError(f"{label}: {key} must be a JSON {kind.__name__}")
    return value
