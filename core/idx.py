"""Read and write IDX files (the MNIST container format), raw or gzipped, defensively.

An IDX file is a 4-byte magic ``00 00 <type code> <ndim>``, then ``ndim`` big-endian uint32
dimensions, then the payload in C order, big-endian. ``read_idx`` checks every part of the
header, and the payload size against a bound, *before* it allocates or decompresses anything
large: a 20-byte file that claims a billion images, or a small gzip bomb, fails at once with an
``IDXError`` that names the file and the problem, instead of exhausting memory.
"""

from __future__ import annotations

import gzip
import io
import math
import os
import tempfile
import zlib
from pathlib import Path
from typing import BinaryIO

import numpy as np

__all__ = ["IDXError", "IDX_DTYPES", "read_idx", "write_idx"]

# IDX type code -> big-endian dtype as stored on disk.
IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_TYPE_CODE_BY_KIND = {(dt.kind, dt.itemsize): code for code, dt in IDX_DTYPES.items()}

MAX_NDIM = 4
DEFAULT_MAX_BYTES = 200_000_000
_GZIP_MAGIC = b"\x1f\x8b"
# Bytes read, and at most bytes inflated, per zlib step: big enough to be fast (~0.1 s for
# the 47 MB train images), small enough that transient buffers stay well under a megabyte.
_CHUNK = 1 << 18


class IDXError(ValueError):
    """A file or byte string is not a valid IDX array (the message names the file and why)."""


def read_idx(
    source: str | os.PathLike | bytes | bytearray | memoryview,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    name: str | None = None,
) -> np.ndarray:
    """Read one IDX array from a path or from the file's bytes (raw or gzip, sniffed by magic).

    Args:
        source: path to the file, or its contents as bytes.
        max_bytes: largest payload (product of the dims times the item size) accepted; checked
            from the header before anything is allocated or decompressed.
        name: how to call the source in error messages (default: the path, or ``"<bytes>"``).

    Returns:
        A writable native-endian array with the header's shape, e.g. ``(60000, 28, 28)`` uint8
        for MNIST training images or ``(60000,)`` uint8 for its labels.

    Raises:
        IDXError: unreadable or missing file, bad magic or type code, ndim outside 1..4, payload
            bigger than ``max_bytes``, payload shorter or longer than the header says, a file
            that is not gzip although named ``.gz`` and not raw IDX either, a corrupt or
            truncated gzip stream.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        label = name or "<bytes>"
        data = bytes(source)
        return _read_stream(io.BytesIO(data), label, len(data), max_bytes, looks_gz=False)
    label = name or os.fspath(source)
    try:
        stream = open(source, "rb")  # noqa: SIM115 - closed in the finally below
    except OSError as exc:
        raise IDXError(f"{label}: cannot open ({exc.strerror or exc})") from exc
    try:
        size = os.fstat(stream.fileno()).st_size
        looks_gz = str(label).endswith(".gz")
        return _read_stream(stream, label, size, max_bytes, looks_gz=looks_gz)
    except OSError as exc:
        raise IDXError(f"{label}: read failed ({exc})") from exc
    finally:
        stream.close()


def write_idx(
    array: np.ndarray,
    path: str | os.PathLike | None = None,
    *,
    compress: bool | None = None,
) -> bytes:
    """Encode ``array`` (1 to 4 dims; u1, i1, i2, i4, f4 or f8) as IDX, optionally gzipped.

    Args:
        array: the array to store; any byte order, stored big-endian as the format requires.
        path: if given, the bytes are also written there (atomically, via a temp file).
        compress: gzip the result; defaults to ``True`` when ``path`` ends with ``.gz``.

    Returns:
        The encoded bytes (gzipped if ``compress``).
    """
    array = np.asarray(array)
    code = _TYPE_CODE_BY_KIND.get((array.dtype.kind, array.dtype.itemsize))
    if code is None:
        raise IDXError(f"cannot write dtype {array.dtype} as IDX (use u1, i1, i2, i4, f4 or f8)")
    if not 1 <= array.ndim <= MAX_NDIM:
        raise IDXError(f"cannot write a {array.ndim}-d array as IDX (ndim must be 1..{MAX_NDIM})")
    if any(dim >= 2**32 for dim in array.shape):
        raise IDXError(f"cannot write shape {array.shape}: each dim must fit in 32 bits")
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    payload = np.ascontiguousarray(array, dtype=IDX_DTYPES[code]).tobytes()
    data = header + payload
    if compress is None:
        compress = path is not None and os.fspath(path).endswith(".gz")
    if compress:
        # mtime=0 keeps the output deterministic (same array -> same bytes).
        data = gzip.compress(data, compresslevel=6, mtime=0)
    if path is not None:
        _atomic_write(Path(path), data)
    return data


# ---------------------------------------------------------------------------------------------
# Internals


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _read_stream(
    stream: BinaryIO, label: str, size: int, max_bytes: int, *, looks_gz: bool
) -> np.ndarray:
    """Dispatch on the first two bytes: gzip magic -> streaming gunzip, else raw IDX."""
    if size == 0:
        raise IDXError(f"{label}: file is empty")
    start = stream.read(2)
    stream.seek(0)
    if start == _GZIP_MAGIC:
        return _read_gzip(stream, label, max_bytes)
    try:
        return _read_raw(stream, label, size, max_bytes)
    except IDXError as exc:
        if looks_gz:
            raise IDXError(
                f"{exc} (the name ends with .gz but the file is not gzip: "
                "it does not start with the bytes 1f 8b)"
            ) from None
        raise


def _parse_header(read_exact, label: str, max_bytes: int) -> tuple[np.dtype, tuple[int, ...]]:
    """Read and validate magic + dims; return the on-disk dtype and the shape.

    ``read_exact(n)`` returns up to ``n`` bytes (fewer only at end of data).
    """
    magic = read_exact(4)
    if len(magic) < 4:
        raise IDXError(f"{label}: too short for an IDX header ({len(magic)} bytes, need 4)")
    if magic[0] != 0 or magic[1] != 0:
        raise IDXError(
            f"{label}: bad magic {magic.hex(' ')} (an IDX file starts with 00 00 <type> <ndim>)"
        )
    type_code, ndim = magic[2], magic[3]
    if type_code not in IDX_DTYPES:
        known = ", ".join(f"0x{code:02X}" for code in IDX_DTYPES)
        raise IDXError(f"{label}: unknown IDX type code 0x{type_code:02X} (known: {known})")
    if not 1 <= ndim <= MAX_NDIM:
        raise IDXError(f"{label}: header says ndim={ndim}; expected 1..{MAX_NDIM}")
    raw_dims = read_exact(4 * ndim)
    if len(raw_dims) < 4 * ndim:
        raise IDXError(
            f"{label}: header truncated: {ndim} dims need {4 * ndim} bytes, got {len(raw_dims)}"
        )
    shape = tuple(int(d) for d in np.frombuffer(raw_dims, dtype=">u4"))
    dtype = IDX_DTYPES[type_code]
    payload_bytes = math.prod(shape) * dtype.itemsize  # Python ints: no overflow
    if payload_bytes > max_bytes:
        raise IDXError(
            f"{label}: header claims shape {shape} of {dtype.name} = {payload_bytes:,} bytes, "
            f"more than the limit max_bytes={max_bytes:,}"
        )
    return dtype, shape


def _finish(payload, dtype: np.dtype, shape: tuple[int, ...]) -> np.ndarray:
    """View the payload buffer as the array, byte-swapping in place to native order."""
    array = np.frombuffer(payload, dtype=dtype).reshape(shape)
    if not dtype.isnative:
        array.byteswap(inplace=True)
        array = array.view(dtype.newbyteorder("="))
    return array


def _read_raw(stream: BinaryIO, label: str, size: int, max_bytes: int) -> np.ndarray:
    dtype, shape = _parse_header(stream.read, label, max_bytes)
    header_bytes = 4 + 4 * len(shape)
    payload_bytes = math.prod(shape) * dtype.itemsize
    # The file size is known, so both length errors are caught before allocating.
    actual = size - header_bytes
    if actual < payload_bytes:
        raise IDXError(
            f"{label}: payload truncated: header shape {shape} needs {payload_bytes:,} bytes "
            f"of {dtype.name}, file has {actual:,}"
        )
    if actual > payload_bytes:
        raise IDXError(
            f"{label}: {actual - payload_bytes:,} trailing bytes after the payload of shape "
            f"{shape} (file has {actual:,} payload bytes, header implies {payload_bytes:,})"
        )
    payload = bytearray(payload_bytes)
    got = stream.readinto(payload)  # reads straight into the final buffer: no extra copy
    if got != payload_bytes:  # the file shrank while we read it
        raise IDXError(f"{label}: payload truncated: got {got:,} of {payload_bytes:,} bytes")
    return _finish(payload, dtype, shape)


class _Gunzip:
    """Streaming gunzip with a caller-chosen output cap per call (multi-member aware)."""

    def __init__(self, stream: BinaryIO, label: str):
        self.stream = stream
        self.label = label
        self.inflater = zlib.decompressobj(wbits=31)  # 31: gzip wrapper, checks CRC + size
        self.pending = b""  # compressed input not yet consumed

    def next_chunk(self, limit: int) -> bytes:
        """Up to ``limit`` (> 0) decompressed bytes; ``b""`` only at the end of the data."""
        while True:
            if self.inflater.eof:
                if not self._next_member():
                    return b""
                continue
            data = self.pending or self.stream.read(_CHUNK)
            if not data:
                raise IDXError(f"{self.label}: gzip stream is truncated (ends before its trailer)")
            try:
                # Small output steps keep transient buffers small (peak ~ payload + 1 MB).
                chunk = self.inflater.decompress(data, min(limit, _CHUNK))
            except zlib.error as exc:
                raise IDXError(f"{self.label}: corrupt gzip data ({exc})") from exc
            # unconsumed_tail: input held back because of the output cap.
            self.pending = self.inflater.unconsumed_tail
            if chunk:
                return chunk

    def read_into(self, out: bytearray, limit: int) -> int:
        """Append up to ``limit`` decompressed bytes to ``out``; fewer only at end of data."""
        added = 0
        while added < limit and (chunk := self.next_chunk(limit - added)):
            out += chunk
            added += len(chunk)
        return added

    def fill(self, view: memoryview) -> int:
        """Fill ``view`` with decompressed bytes; return how many (fewer only at end of data)."""
        filled = 0
        while filled < len(view) and (chunk := self.next_chunk(len(view) - filled)):
            view[filled : filled + len(chunk)] = chunk
            filled += len(chunk)
        return filled

    def read(self, n: int) -> bytes:
        out = bytearray()
        self.read_into(out, n)
        return bytes(out)

    def _next_member(self) -> bool:
        """After one gzip member: start the next, accept zero padding, or reject garbage."""
        rest = self.inflater.unused_data
        while len(rest) < 2:
            more = self.stream.read(_CHUNK)
            if not more:
                break
            rest += more
        if not rest:
            return False
        if rest[:2] == _GZIP_MAGIC:
            self.inflater = zlib.decompressobj(wbits=31)
            self.pending = rest
            return True
        # Like the gzip module, tolerate NUL padding after the last member (tape-style files).
        while rest:
            if rest.strip(b"\x00"):
                raise IDXError(f"{self.label}: unexpected bytes after the end of the gzip stream")
            rest = self.stream.read(_CHUNK)
        return False


def _read_gzip(stream: BinaryIO, label: str, max_bytes: int) -> np.ndarray:
    gunzip = _Gunzip(stream, label)
    dtype, shape = _parse_header(gunzip.read, label, max_bytes)
    payload_bytes = math.prod(shape) * dtype.itemsize
    # zlib is never asked for more than the header allows: this cap defuses gzip bombs.
    if _gzip_trailer_size(stream) == (4 + 4 * len(shape) + payload_bytes) % 2**32:
        # The trailer agrees with the header (the normal case): decompress straight into
        # the final buffer, with no reallocation copies.
        payload = bytearray(payload_bytes)
        got = gunzip.fill(memoryview(payload))
    else:
        # Trailer disagrees (truncated, bomb, multi-member...): grow the buffer only as data
        # really arrives, so a small file that claims 150 MB costs what it holds.
        payload = bytearray()
        got = gunzip.read_into(payload, payload_bytes)
    if got < payload_bytes:
        raise IDXError(
            f"{label}: payload truncated: header shape {shape} needs {payload_bytes:,} bytes "
            f"of {dtype.name}, the decompressed file has {got:,}"
        )
    if gunzip.read_into(bytearray(), 1):  # also drains to the trailer: checks CRC and length
        raise IDXError(
            f"{label}: trailing bytes after the payload of shape {shape} "
            f"(decompressed data is longer than the {payload_bytes:,} bytes the header implies)"
        )
    return _finish(payload, dtype, shape)


def _gzip_trailer_size(stream: BinaryIO) -> int | None:
    """ISIZE from the last 4 bytes of a gzip file (uncompressed size mod 2**32), as a hint."""
    position = stream.tell()
    try:
        stream.seek(-4, os.SEEK_END)
        trailer = stream.read(4)
    except OSError:
        return None
    finally:
        stream.seek(position)
    return int.from_bytes(trailer, "little") if len(trailer) == 4 else None
