"""Small grey pictures as PNG data URIs, for st.image.

st.image of an array stores a media file that the browser fetches afterwards, and deletes it
after the next script run: on a busy server a quick second stroke on the canvas can run first,
and the browser then gets a 404 and shows a broken picture. A data URI travels inside the page's
own message instead.
"""

from __future__ import annotations

import base64
import struct
import zlib

import numpy as np


def png_bytes(gray: np.ndarray) -> bytes:
    """(H, W) values in [0, 1] (clipped) as an 8-bit greyscale PNG."""
    if gray.ndim != 2 or 0 in gray.shape:
        raise ValueError(f"need a non-empty (H, W) image, got shape {gray.shape}")
    pixels = np.round(np.clip(gray, 0.0, 1.0) * 255).astype(np.uint8)
    height, width = pixels.shape
    # Each scanline starts with its filter type, 0 (none).
    scanlines = np.hstack([np.zeros((height, 1), np.uint8), pixels]).tobytes()

    def chunk(kind: bytes, data: bytes) -> bytes:
        checksum = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", checksum)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit, greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(scanlines, 6))
        + chunk(b"IEND", b"")
    )


def png_data_uri(gray: np.ndarray) -> str:
    """(H, W) values in [0, 1] as a `data:image/png;base64,...` URI."""
    return "data:image/png;base64," + base64.b64encode(png_bytes(gray)).decode("ascii")
