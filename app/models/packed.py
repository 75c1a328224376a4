"""The activations as one binary message, for the explorer page: every layer's output in one
ArrayBuffer, so the page reads typed arrays instead of parsing ~40,000 JSON numbers a stroke.

Layout (little-endian)::

    b"CNNA" | uint32 n | n bytes of UTF-8 JSON header | zero padding to a multiple of 8 | data

The header is the JSON ``Activations`` answer without the layers' ``data``; instead each layer
has ``offset`` and ``size`` (in elements of ``header["dtype"]``, ``float32`` or ``float16``)
into ``data``, its output row-major in ``shape`` order. JSON stays the default; this is asked
for with ``?format=float32`` / ``float16`` or ``Accept: application/vnd.cnn-explorer.activations``.
"""

from __future__ import annotations

import json
import struct

import numpy as np

MAGIC = b"CNNA"
MEDIA_TYPE = "application/vnd.cnn-explorer.activations"
DTYPES = ("float32", "float16")


def pack(header: dict, arrays: list[np.ndarray], dtype: str = "float32") -> bytes:
    """``header["layers"][i]`` describes ``arrays[i]``; returns the message."""
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {DTYPES}, got {dtype!r}")
    offset = 0
    layers = []
    for info, a in zip(header["layers"], arrays, strict=True):
        layers.append({**info, "offset": offset, "size": int(a.size)})
        offset += int(a.size)
    head = json.dumps({**header, "dtype": dtype, "layers": layers}, separators=(",", ":"))
    head_bytes = head.encode()
    pad = -(len(MAGIC) + 4 + len(head_bytes)) % 8
    data = np.concatenate([np.asarray(a, dtype=np.float32).reshape(-1) for a in arrays])
    return b"".join(
        [MAGIC, struct.pack("<I", len(head_bytes)), head_bytes, b"\0" * pad,
         data.astype("<f4" if dtype == "float32" else "<f2").tobytes()]
    )  # fmt: skip


def unpack(message: bytes) -> tuple[dict, list[np.ndarray]]:
    """The header and every layer's output ``(shape)`` as float32 (for scripts and tests)."""
    if message[:4] != MAGIC:
        raise ValueError(f"not a packed activations message: starts {message[:4]!r}")
    (n,) = struct.unpack("<I", message[4:8])
    header = json.loads(message[8 : 8 + n])
    start = 8 + n + (-(8 + n) % 8)
    dtype = "<f4" if header["dtype"] == "float32" else "<f2"
    data = np.frombuffer(message[start:], dtype=dtype).astype(np.float32)
    arrays = [
        data[ly["offset"] : ly["offset"] + ly["size"]].reshape(ly["shape"])
        for ly in header["layers"]
    ]
    return header, arrays
