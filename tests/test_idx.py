"""core.idx: round trips for every dtype and ndim, a hand-built table of malformed inputs
(each must fail fast with IDXError and without allocating much), and a fuzz test."""

from __future__ import annotations

import gzip
import struct
import time
import tracemalloc
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from core.idx import IDX_DTYPES, IDXError, read_idx, write_idx

NATIVE_DTYPES = [dtype.newbyteorder("=") for dtype in IDX_DTYPES.values()]


def header(type_code: int, *dims: int, ndim: int | None = None) -> bytes:
    """Hand-built IDX header: 00 00 <type> <ndim> then big-endian uint32 dims."""
    ndim = len(dims) if ndim is None else ndim
    return bytes([0, 0, type_code, ndim]) + b"".join(struct.pack(">I", d) for d in dims)


# ---------------------------------------------------------------------------------------------
# Round trips


@settings(max_examples=150, deadline=None)
@given(
    array=st.sampled_from(NATIVE_DTYPES).flatmap(
        lambda dtype: hnp.arrays(
            dtype,
            hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=5),
        )
    ),
    compress=st.booleans(),
    big_endian_input=st.booleans(),
)
def test_round_trip_every_dtype_and_ndim(array, compress, big_endian_input):
    if big_endian_input:
        array = array.astype(array.dtype.newbyteorder(">"))
    data = write_idx(array, compress=compress)
    assert data[:2] == (b"\x1f\x8b" if compress else b"\x00\x00")

    back = read_idx(data)

    assert back.shape == array.shape
    assert back.dtype == array.dtype.newbyteorder("=")
    assert back.dtype.isnative
    # Compare bytes, not values: NaN payloads and -0.0 must survive too.
    assert back.tobytes() == array.astype(back.dtype).tobytes()


@pytest.mark.parametrize("dtype", NATIVE_DTYPES, ids=lambda dt: dt.name)
@pytest.mark.parametrize("filename", ["a.idx", "a.idx.gz"])
def test_file_round_trip(tmp_path, dtype, filename):
    array = (np.arange(2 * 3 * 4) - 5).astype(dtype).reshape(2, 3, 4)
    path = tmp_path / filename
    data = write_idx(array, path)
    assert path.read_bytes() == data
    assert (data[:2] == b"\x1f\x8b") == filename.endswith(".gz")
    back = read_idx(path)
    np.testing.assert_array_equal(back, array)
    assert back.flags.writeable and back.flags.c_contiguous
    assert list(tmp_path.iterdir()) == [path]  # no temp file left behind


def test_header_layout_is_the_published_one():
    data = write_idx(np.array([[1, 2, 3]], dtype=np.int16))
    assert data == header(0x0B, 1, 3) + b"\x00\x01\x00\x02\x00\x03"


def test_raw_file_named_gz_is_accepted(tmp_path):
    """Gzip is detected from the magic bytes, not the name."""
    path = tmp_path / "raw.gz"
    path.write_bytes(header(0x08, 3) + b"\x01\x02\x03")
    np.testing.assert_array_equal(read_idx(path), [1, 2, 3])


def test_multi_member_gzip_and_nul_padding_are_accepted():
    raw = header(0x08, 4) + b"\x01\x02\x03\x04"
    two_members = gzip.compress(raw[:6]) + gzip.compress(raw[6:])
    np.testing.assert_array_equal(read_idx(two_members), [1, 2, 3, 4])
    np.testing.assert_array_equal(read_idx(gzip.compress(raw) + b"\x00" * 8), [1, 2, 3, 4])


@pytest.mark.parametrize(
    "array, message",
    [
        (np.zeros(3, dtype=np.int64), "dtype int64"),
        (np.zeros(3, dtype=np.uint16), "dtype uint16"),
        (np.float32(1.0), "0-d"),
        (np.zeros((1,) * 5, dtype=np.uint8), "5-d"),
    ],
)
def test_write_idx_rejects_what_idx_cannot_store(array, message):
    with pytest.raises(IDXError, match=message):
        write_idx(array)


# ---------------------------------------------------------------------------------------------
# Malformed inputs, built by hand


def _gzip_bomb(claimed: bytes, inflated_mb: int) -> bytes:
    """A valid header for a tiny array, followed by megabytes of zeros, gzipped (~100 kB)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = [packer.compress(claimed)]
    zeros = bytes(1 << 20)
    parts += [packer.compress(zeros) for _ in range(inflated_mb)]
    parts.append(packer.flush())
    return b"".join(parts)


_VALID_GZ = gzip.compress(header(0x08, 100, 28, 28) + bytes(range(256)) * 306 + bytes(64))

MALFORMED: dict[str, tuple[bytes, str]] = {
    "empty": (b"", "empty"),
    "shorter than the magic": (b"\x00\x00", "too short"),
    "wrong magic": (b"\x01\x02\x08\x01" + struct.pack(">I", 1) + b"\x00", "bad magic"),
    "text file": (b"hello, world\n", "bad magic"),
    "bad type code": (header(0x0A, 1) + b"\x00", "type code 0x0A"),
    "type code 0xFF": (header(0xFF, 1) + b"\x00", "type code 0xFF"),
    "ndim 0": (header(0x08), "ndim=0"),
    "ndim huge": (header(0x08, ndim=255) + b"\x00" * 16, "ndim=255"),
    "ndim 5": (header(0x08, 1, 1, 1, 1, 1) + b"\x00", "ndim=5"),
    "dims cut off": (header(0x08, 60000, 28, 28)[:10], "header truncated"),
    "payload truncated": (header(0x08, 10) + b"\x00" * 9, "payload truncated"),
    "payload truncated, int32": (header(0x0C, 3) + b"\x00" * 11, "payload truncated"),
    "trailing bytes": (header(0x08, 10) + b"\x00" * 11, "trailing bytes"),
    # 20 bytes that claim 784 GB of images: must fail on the header alone.
    "a billion images in 20 bytes": (header(0x08, 10**9, 28, 28) + b"\x00" * 4, "max_bytes"),
    "4G x 4G float64": (header(0x0E, 2**32 - 1, 2**32 - 1), "max_bytes"),
    "gzip: not a deflate stream": (b"\x1f\x8b" + b"\x00" * 30, "corrupt gzip"),
    "gzip: truncated stream": (_VALID_GZ[: len(_VALID_GZ) // 2], "truncated"),
    "gzip: trailer cut off": (_VALID_GZ[:-4], "truncated"),
    "gzip: bad CRC": (_VALID_GZ[:-8] + b"\xde\xad\xbe\xef" + _VALID_GZ[-4:], "corrupt gzip"),
    "gzip: garbage after the stream": (_VALID_GZ + b"junk", "after the end of the gzip"),
    "gzip: empty payload": (gzip.compress(b""), "too short"),
    "gzip: billion images": (gzip.compress(header(0x08, 10**9, 28, 28)), "max_bytes"),
    "gzip: payload truncated": (gzip.compress(header(0x08, 10, 10) + b"\x01" * 99), "truncated"),
    # Claims 10 bytes, inflates to 64 MB: must stop reading after byte 11.
    "gzip bomb": (_gzip_bomb(header(0x08, 10), inflated_mb=64), "trailing bytes"),
    "gzip bomb, no header": (_gzip_bomb(b"", inflated_mb=64), "type code 0x00"),
}


@pytest.mark.parametrize("source", ["bytes", "file"])
@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_input_fails_fast_and_small(tmp_path, case, source):
    data, message = MALFORMED[case]
    if source == "file":
        target = tmp_path / "sample-idx3-ubyte"
        target.write_bytes(data)
        expected_name = str(target)
    else:
        target = data
        expected_name = "<bytes>"

    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(IDXError, match=message) as caught:
            read_idx(target)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    elapsed = time.perf_counter() - started

    assert isinstance(caught.value, ValueError)
    assert str(caught.value).startswith(expected_name + ":")  # names the file
    assert peak < 4_000_000, f"{case}: peak {peak:,} bytes"
    assert elapsed < 2.0, f"{case}: took {elapsed:.2f} s"


def test_not_gzip_although_named_gz(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(b"<html>404 Not Found</html>")
    with pytest.raises(IDXError, match=r"\.gz but the file is not gzip") as caught:
        read_idx(path)
    assert str(path) in str(caught.value)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(IDXError, match="cannot open"):
        read_idx(tmp_path / "nope.gz")
    with pytest.raises(IDXError, match="cannot open"):
        read_idx(tmp_path)


def test_name_overrides_the_label():
    with pytest.raises(IDXError, match=r"^upload\.gz: file is empty"):
        read_idx(b"", name="upload.gz")


def test_max_bytes_is_a_parameter():
    data = header(0x08, 100) + bytes(100)
    assert read_idx(data, max_bytes=100).shape == (100,)
    with pytest.raises(IDXError, match="max_bytes=99"):
        read_idx(data, max_bytes=99)


# ---------------------------------------------------------------------------------------------
# Fuzzing: arbitrary bytes give an array or IDXError, nothing else, and never hang


def _check_fuzz(data: bytes) -> None:
    started = time.perf_counter()
    try:
        array = read_idx(data, max_bytes=1_000_000)
    except IDXError:
        pass
    else:
        assert 1 <= array.ndim <= 4
    assert time.perf_counter() - started < 1.0


_FUZZ_SETTINGS = settings(
    max_examples=300, deadline=1000, suppress_health_check=[HealthCheck.too_slow]
)


@_FUZZ_SETTINGS
@given(st.binary(max_size=300))
def test_fuzz_random_bytes(data):
    _check_fuzz(data)


@_FUZZ_SETTINGS
@given(
    type_code=st.sampled_from([*IDX_DTYPES, 0x00, 0x0A, 0xFF]),
    dims=st.lists(st.integers(0, 2**32 - 1) | st.integers(0, 6), min_size=0, max_size=6),
    payload=st.binary(max_size=200),
    compress=st.booleans(),
)
def test_fuzz_plausible_headers(type_code, dims, payload, compress):
    """Random but well-formed-looking headers reach the length and size checks."""
    data = header(type_code, *dims) + payload
    _check_fuzz(gzip.compress(data) if compress else data)


@_FUZZ_SETTINGS
@given(position=st.integers(0, len(_VALID_GZ) - 1), value=st.integers(0, 255))
def test_fuzz_corrupted_gzip(position, value):
    corrupt = bytearray(_VALID_GZ)
    corrupt[position] = value
    _check_fuzz(bytes(corrupt))
