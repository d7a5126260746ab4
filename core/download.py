"""Download MNIST-style datasets into the local cache, verified, never half-written.

Each file is streamed from a public mirror into a temp file beside its target while its
decompressed bytes are hashed; only a complete file with the published MD5 (after gunzip) is
renamed into place. :func:`core.datasets.load_dataset` then finds it in the cache.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import tempfile
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable
from pathlib import Path

from core.datasets import FILE_STEMS, DatasetError, check_name, default_cache_dir, how_to_get

__all__ = ["MD5_DECOMPRESSED", "MIRRORS", "download_dataset"]

# MD5 of the DECOMPRESSED files: the gzip wrapper differs between mirrors and repackagings
# (Debian re-gzips Fashion-MNIST), the IDX content does not.
MD5_DECOMPRESSED: dict[str, dict[str, str]] = {
    "mnist": {
        "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
        "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
        "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
        "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
    },
    "fashion-mnist": {
        "train-images-idx3-ubyte": "f4a8712d7a061bf5bd6d2ca38dc4d50a",
        "train-labels-idx1-ubyte": "9018921c3c673c538a1fc5bad174d6f9",
        "t10k-images-idx3-ubyte": "8181f5470baa50b63fa0f6fddb340f0a",
        "t10k-labels-idx1-ubyte": "15d484375f8d13e6eb1aabb0c3f46965",
    },
}

# Public mirrors, tried in order (yann.lecun.com is not one: it refuses robots).
MIRRORS: dict[str, tuple[str, ...]] = {
    "mnist": (
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
    ),
    "fashion-mnist": ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
}

# Sizes of the published .gz files, only to give the progress bar a total before each file's
# Content-Length is known. The real lengths replace them as soon as each response arrives.
_NOMINAL_GZ_SIZES: dict[str, dict[str, int]] = {
    "mnist": {
        "train-images-idx3-ubyte": 9_912_422,
        "train-labels-idx1-ubyte": 28_881,
        "t10k-images-idx3-ubyte": 1_648_877,
        "t10k-labels-idx1-ubyte": 4_542,
    },
    "fashion-mnist": {
        "train-images-idx3-ubyte": 26_421_880,
        "train-labels-idx1-ubyte": 29_515,
        "t10k-images-idx3-ubyte": 4_422_102,
        "t10k-labels-idx1-ubyte": 5_148,
    },
}

# A decompressed MNIST-style file is at most 47 MB; refuse to inflate more than this.
_MAX_DECOMPRESSED = 200_000_000
_DOWNLOAD_CHUNK = 1 << 16

ProgressCallback = Callable[[int, "int | None"], None]


def _md5_of_decompressed(path: Path) -> str:
    """MD5 of a file's content after gunzip (raw files are hashed as they are)."""
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as stream:
        head = stream.read(2)
        stream.seek(0)
        inflater = zlib.decompressobj(wbits=31) if head == b"\x1f\x8b" else None
        while chunk := stream.read(1 << 20):
            digest.update(inflater.decompress(chunk) if inflater else chunk)
    return digest.hexdigest()


def _cached_file_ok(path: Path, expected_md5: str) -> bool:
    try:
        return _md5_of_decompressed(path) == expected_md5
    except (OSError, zlib.error):
        return False


def download_dataset(
    name: str,
    cache_dir: str | os.PathLike | None = None,
    *,
    base_url: str | None = None,
    progress: ProgressCallback | None = None,
    timeout: float = 30,
) -> Path:
    """Download the four .gz files of ``name`` into ``cache_dir`` and verify them.

    Each file is streamed into a temp file in ``cache_dir`` while its decompressed bytes are
    hashed; only a complete file whose MD5 (after gunzip) matches the published value is
    renamed into place with ``os.replace``. A failed or interrupted download therefore leaves
    nothing half-written. Files already in the cache with the right checksum are kept.

    Args:
        name: "mnist" or "fashion-mnist".
        cache_dir: target folder (created); default ``~/.cache/mnist-softmax-lab/<name>``.
        base_url: fetch ``<base_url><file>.gz`` from this URL only, instead of the public
            mirrors (tests use a local server).
        progress: called as ``progress(bytes_done, bytes_total)`` over all files being fetched;
            ``bytes_total`` is exact once every response is open, an estimate from the
            published sizes before that, and None if a server sends no Content-Length.
        timeout: seconds to wait for a connection or for the next block of data.

    Returns:
        The cache folder, ready for ``load_dataset(name, data_dir=...)``.

    Raises:
        DatasetError: offline or unreachable, HTTP error, truncated or corrupt download, or
            checksum mismatch (from every mirror tried).
    """
    check_name(name)
    folder = Path(cache_dir) if cache_dir is not None else default_cache_dir(name)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatasetError(f"cannot create the cache folder {folder}: {exc}") from exc
    mirrors = (base_url,) if base_url else MIRRORS[name]
    checksums = MD5_DECOMPRESSED[name]
    todo = [
        stem
        for stem in FILE_STEMS.values()
        if not _cached_file_ok(folder / f"{stem}.gz", checksums[stem])
    ]
    # Progress: a running total over all files; unknown lengths are estimated until known.
    sizes: dict[str, int | None] = {stem: _NOMINAL_GZ_SIZES[name][stem] for stem in todo}
    done_before = 0

    def report(done_in_file: int) -> None:
        if progress is None:
            return
        known = list(sizes.values())
        total = None if None in known else sum(known)  # type: ignore[arg-type]
        progress(done_before + done_in_file, total)

    for stem in todo:
        sizes[stem] = _fetch_from_mirrors(
            name,
            stem,
            folder,
            mirrors,
            timeout,
            on_length=lambda length, s=stem: sizes.__setitem__(s, length),
            on_bytes=report,
        )
        done_before += sizes[stem] or 0
    if progress is not None and not todo:
        progress(0, 0)
    return folder


def _fetch_from_mirrors(
    name: str,
    stem: str,
    folder: Path,
    mirrors: tuple[str, ...],
    timeout: float,
    *,
    on_length: Callable[[int | None], None],
    on_bytes: Callable[[int], None],
) -> int:
    """Fetch ``<stem>.gz`` into ``folder`` from the first mirror that delivers it verified;
    returns its size. DatasetError listing every mirror's failure when none does."""
    failures = []
    for mirror in mirrors:
        url = mirror.rstrip("/") + f"/{stem}.gz"
        try:
            return _fetch_verified(
                url,
                folder / f"{stem}.gz",
                MD5_DECOMPRESSED[name][stem],
                timeout,
                on_length=on_length,
                on_bytes=on_bytes,
            )
        except _FetchFailed as exc:
            failures.append(f"{url}: {exc}")
    offline = all("could not connect" in failure for failure in failures)
    hint = ("No network connection (offline?). " if offline else "") + how_to_get(name)
    raise DatasetError(
        f"downloading {name} file {stem}.gz failed: " + "; ".join(failures) + f". {hint}"
    )


class _FetchFailed(Exception):
    """One URL failed; the caller tries the next mirror or reports all failures."""


def _fetch_verified(
    url: str,
    target: Path,
    expected_md5: str,
    timeout: float,
    *,
    on_length: Callable[[int | None], None],
    on_bytes: Callable[[int], None],
) -> int:
    """Stream ``url`` to a temp file beside ``target``; verify; rename. Returns bytes read."""
    try:
        response = urllib.request.urlopen(url, timeout=timeout)  # noqa: S310 - http(s) only
    except urllib.error.HTTPError as exc:
        exc.close()  # it holds the open error response
        raise _FetchFailed(f"HTTP {exc.code} {exc.reason}") from exc
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        reason = getattr(exc, "reason", exc)
        raise _FetchFailed(f"could not connect ({reason})") from exc

    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    tmp = Path(tmp_name)
    try:
        with response, os.fdopen(fd, "wb") as out:
            length_header = response.headers.get("Content-Length")
            length = int(length_header) if length_header and length_header.isdigit() else None
            on_length(length)
            digest = hashlib.md5(usedforsecurity=False)
            inflater = zlib.decompressobj(wbits=31)
            received = inflated = 0
            on_bytes(0)
            while True:
                try:
                    chunk = response.read(_DOWNLOAD_CHUNK)
                except (OSError, http.client.HTTPException) as exc:
                    broke = f"connection broke after {received:,} bytes ({exc})"
                    raise _FetchFailed(broke) from exc
                if not chunk:
                    break
                out.write(chunk)
                received += len(chunk)
                try:
                    # The cap keeps a hostile server from making us inflate a gzip bomb.
                    data = inflater.decompress(chunk, _MAX_DECOMPRESSED - inflated + 1)
                except zlib.error as exc:
                    raise _FetchFailed(f"not a valid gzip file ({exc})") from exc
                inflated += len(data)
                if inflated > _MAX_DECOMPRESSED or inflater.unconsumed_tail:
                    raise _FetchFailed(f"decompresses to more than {_MAX_DECOMPRESSED:,} bytes")
                digest.update(data)
                on_bytes(received)
            if length is not None and received != length:
                raise _FetchFailed(f"truncated: got {received:,} of {length:,} bytes")
            if not inflater.eof:
                raise _FetchFailed(f"truncated gzip stream after {received:,} bytes")
            actual_md5 = digest.hexdigest()
            if actual_md5 != expected_md5:
                raise _FetchFailed(
                    f"checksum mismatch: MD5 after gunzip is {actual_md5}, expected {expected_md5}"
                )
        os.replace(tmp, target)  # atomic: readers see the old file or the complete new one
    finally:
        tmp.unlink(missing_ok=True)  # no-op after a successful replace
    return received
