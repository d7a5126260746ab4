"""core.download.download_dataset against a local http.server on 127.0.0.1 only.

The server (a thread in this process) serves the shipped MNIST .gz files as the "good" mirror,
plus corrupt, truncated and missing variants. "Offline" is a port nobody listens on. No test
here may reach a public host: the public mirror table is replaced by a refused port.
"""

from __future__ import annotations

import gzip
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from core import datasets, download
from core.datasets import DatasetError, load_dataset
from core.download import download_dataset

SHIPPED = Path(__file__).resolve().parent.parent / "data" / "mnist"
FILES = {path.name: path.read_bytes() for path in SHIPPED.glob("*.gz")}
REAL_CACHE_ROOT = datasets.CACHE_ROOT  # before the autouse fixture replaces it


class _MirrorHandler(BaseHTTPRequestHandler):
    """Routes: /good/<f>, /corrupt/<f> (valid gzip, wrong content), /cut/<f> (gzip stream
    cut in half, honest length), /short/<f> (Content-Length promises more than is sent),
    /chunked/<f> (no Content-Length), anything else 404."""

    requests: list[str] = []

    def do_GET(self):  # noqa: N802 - http.server API
        type(self).requests.append(self.path)
        _, mode, filename = self.path.split("/", 2) if self.path.count("/") >= 2 else ("", "", "")
        body = FILES.get(filename)
        if body is None or mode not in {"good", "corrupt", "cut", "short", "chunked"}:
            self.send_error(404)
            return
        if mode == "corrupt":
            body = gzip.compress(b"\x00\x00\x08\x01\x00\x00\x00\x01\x07", mtime=0)
        elif mode == "cut":
            body = body[: len(body) // 2]
        self.send_response(200)
        self.send_header("Content-Type", "application/gzip")
        if mode == "short":
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])  # then hang up: connection closes
            return
        if mode != "chunked":  # HTTP/1.0 + no length: the body ends when the server closes
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # keep pytest output clean
        pass


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # clients that hang up mid-transfer (on purpose, in these tests) are not news


@pytest.fixture(scope="module")
def server():
    httpd = _QuietServer(("127.0.0.1", 0), _MirrorHandler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


def _refused_url() -> str:
    """A URL on 127.0.0.1 where nothing listens: connecting is refused at once ("offline")."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


@pytest.fixture(autouse=True)
def _no_public_hosts(private_dataset_cache, monkeypatch):
    """Mirrors point at a refused local port, the cache is private, proxies are off."""
    refused = _refused_url()
    monkeypatch.setitem(download.MIRRORS, "mnist", (refused,))
    monkeypatch.setitem(download.MIRRORS, "fashion-mnist", (refused,))
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    _MirrorHandler.requests.clear()


def test_download_good_files_verifies_and_loads(server, tmp_path):
    calls: list[tuple[int, int | None]] = []
    folder = download_dataset(
        "mnist",
        tmp_path / "cache",
        base_url=f"{server}/good/",
        progress=lambda done, total: calls.append((done, total)),
    )
    assert folder == tmp_path / "cache"
    assert sorted(p.name for p in folder.iterdir()) == sorted(FILES)  # no temp files left
    for name, body in FILES.items():
        assert (folder / name).read_bytes() == body

    # Progress: called, never goes backwards, ends at exactly the bytes received.
    total_bytes = sum(len(body) for body in FILES.values())
    assert len(calls) > 4
    dones = [done for done, _ in calls]
    assert dones == sorted(dones)
    assert calls[-1] == (total_bytes, total_bytes)

    loaded = load_dataset("mnist", data_dir=folder)
    assert loaded.train_images.shape == (60000, 784)


def test_verified_files_in_the_cache_are_not_fetched_again(server, tmp_path):
    download_dataset("mnist", tmp_path, base_url=f"{server}/good/")
    assert len(_MirrorHandler.requests) == 4
    download_dataset("mnist", tmp_path, base_url=f"{server}/good/")
    assert len(_MirrorHandler.requests) == 4


def test_a_damaged_cached_file_is_replaced(server, tmp_path):
    download_dataset("mnist", tmp_path, base_url=f"{server}/good/")
    damaged = tmp_path / "t10k-labels-idx1-ubyte.gz"
    damaged.write_bytes(b"garbage")
    download_dataset("mnist", tmp_path, base_url=f"{server}/good/")
    assert _MirrorHandler.requests[-1] == "/good/t10k-labels-idx1-ubyte.gz"
    assert damaged.read_bytes() == FILES[damaged.name]


def test_default_cache_dir_and_default_load(server, monkeypatch):
    monkeypatch.setattr(datasets, "SHIPPED_MNIST_DIR", Path("/nonexistent/mnist"))
    folder = download_dataset("mnist", base_url=f"{server}/good/")
    assert folder == datasets.default_cache_dir("mnist")
    assert Path.home() / ".cache" / "mnist-softmax-lab" == REAL_CACHE_ROOT
    assert load_dataset("mnist").source == f"download cache {folder}"


def test_falls_back_to_the_next_mirror(server, tmp_path, monkeypatch):
    monkeypatch.setitem(
        download.MIRRORS, "mnist", (_refused_url(), f"{server}/corrupt/", f"{server}/good/")
    )
    download_dataset("mnist", tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(FILES)


def test_no_content_length_still_works(server, tmp_path):
    calls = []
    download_dataset(
        "mnist",
        tmp_path,
        base_url=f"{server}/chunked/",
        progress=lambda done, total: calls.append(total),
    )
    assert None in calls
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(FILES)


@pytest.mark.parametrize(
    "mode, message",
    [
        ("corrupt", "checksum mismatch: MD5 after gunzip"),
        ("cut", "truncated gzip stream"),
        ("short", r"truncated: got [\d,]+ of [\d,]+ bytes"),
        ("missing", "HTTP 404"),
    ],
)
def test_bad_download_raises_and_leaves_nothing(server, tmp_path, mode, message):
    cache = tmp_path / "cache"
    with pytest.raises(DatasetError, match=message) as caught:
        download_dataset("mnist", cache, base_url=f"{server}/{mode}/", timeout=5)
    assert "downloading mnist file" in str(caught.value)
    assert list(cache.iterdir()) == []  # no half-written file, no temp file


def test_offline_raises_a_clear_error(tmp_path):
    cache = tmp_path / "cache"
    with pytest.raises(DatasetError, match="offline") as caught:
        download_dataset("fashion-mnist", cache, timeout=5)  # mirrors: the refused port
    message = str(caught.value)
    assert "could not connect" in message
    assert "apt-get install dataset-fashion-mnist" in message
    assert list(cache.iterdir()) == []


def test_interrupted_download_leaves_nothing(server, tmp_path):
    """An exception from inside the transfer (here: the progress callback, standing in for
    Ctrl-C) propagates, and the temp file is removed."""

    class Interrupted(Exception):
        pass

    def progress(done, total):
        if done > 100_000:
            raise Interrupted

    with pytest.raises(Interrupted):
        download_dataset("mnist", tmp_path, base_url=f"{server}/good/", progress=progress)
    names = [p.name for p in tmp_path.iterdir()]
    assert "train-images-idx3-ubyte.gz" not in names
    assert not [name for name in names if name.endswith(".part")]


def test_unknown_dataset(tmp_path):
    with pytest.raises(DatasetError, match="unknown dataset"):
        download_dataset("cifar", tmp_path)
