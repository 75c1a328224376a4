"""The activations as one binary message, for the explorer page: the network input and every
layer's output in one ArrayBuffer, so the page reads typed arrays instead of parsing ~40,000 JSON
numbers a stroke.

Layout (little-endian)::

    b"CNNA" | uint32 n | n bytes of UTF-8 JSON header | zero padding to a multiple of 8 | data

The header is the JSON ``Activations`` answer without the numbers: ``input`` (the network input
shown: ``H × W`` for one channel, ``3 × H × W`` RGB for a colour model) and each layer have
``shape``, ``offset`` and ``size`` (in elements of
``header["dtype"]``, ``float32`` or ``float16``) into ``data``, where each array is row-major in
``shape`` order, the input first; a layer cut by ``?layers=`` or ``?max_channels=`` gives its
block's shape as ``data_shape`` (``[0]``: not shipped). JSON stays the default; this is asked
for with ``?format=float32`` / ``float16`` or ``Accept: application/vnd.cnn-explorer.activations``.
"""

from __future__ import annotations

import struct

import numpy as np
import orjson

MAGIC = b"CNNA"
MEDIA_TYPE = "application/vnd.cnn-explorer.activations"
DTYPES = ("float32", "float16")


def pack(
    header: dict, image: np.ndarray, arrays: list[np.ndarray], dtype: str = "float32"
) -> bytes:
    """The message for ``header`` (the answer without ``input`` and the layers' ``data``), the
    network input ``image: (H, W)`` or ``(3, H, W)`` and ``arrays[i]``, what
    ``header["layers"][i]`` describes."""
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {DTYPES}, got {dtype!r}")
    blocks = [np.asarray(a, dtype=np.float32).reshape(-1) for a in (image, *arrays)]
    offsets = np.cumsum([0] + [b.size for b in blocks])  # where each block starts, in elements
    where = [
        {"shape": list(np.shape(a)), "offset": int(o), "size": int(b.size)}
        for a, o, b in zip((image, *arrays), offsets[:-1], blocks, strict=True)
    ]
    layers = []
    for info, at in zip(header["layers"], where[1:], strict=True):
        shipped = at.pop("shape")
        # a layer cut by ``?layers=`` / ``?max_channels=`` keeps its full ``shape``; its block
        # is ``data_shape`` (``[0]`` when not shipped)
        cut = {} if shipped == info["shape"] else {"data_shape": shipped}
        layers.append({**info, **at, **cut})
    head = orjson.dumps({**header, "dtype": dtype, "input": where[0], "layers": layers})
    pad = -(len(MAGIC) + 4 + len(head)) % 8
    data = np.concatenate(blocks).astype("<f4" if dtype == "float32" else "<f2")
    return b"".join([MAGIC, struct.pack("<I", len(head)), head, b"\0" * pad, data.tobytes()])


def unpack(message: bytes) -> tuple[dict, list[np.ndarray]]:
    """The header, with ``input`` the ``(H, W)`` or ``(3, H, W)`` network input, and every
    layer's output ``(shape)``, all float32 (for scripts and tests)."""
    if message[:4] != MAGIC:
        raise ValueError(f"not a packed activations message: starts {message[:4]!r}")
    (n,) = struct.unpack("<I", message[4:8])
    header = orjson.loads(message[8 : 8 + n])
    start = 8 + n + (-(8 + n) % 8)
    dtype = "<f4" if header["dtype"] == "float32" else "<f2"
    data = np.frombuffer(message[start:], dtype=dtype).astype(np.float32)

    def block(at: dict) -> np.ndarray:
        shape = at.get("data_shape", at["shape"])
        return data[at["offset"] : at["offset"] + at["size"]].reshape(shape)

    header["input"] = block(header["input"])
    return header, [block(layer) for layer in header["layers"]]
