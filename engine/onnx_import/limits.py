"""Refusing hostile ONNX files before any work: sizes, declared tensors, external data.

Every check here reads only the protobuf's small fields (``dims``, ``data_type``, the lengths of
its byte fields, the ``external_data`` key/value pairs). No array is materialised until its
declared size has passed, and external data is read only from bytes the caller uploaded, matched
by file name — a location with a directory, ``..`` or an absolute path is refused, and no path on
the server is ever opened.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from onnx import TensorProto, helper


@dataclass(frozen=True)
class Limits:
    """What an import may declare. The defaults suit small image CNNs."""

    max_bytes: int = 64 * 1024 * 1024  # the .onnx file, and each external-data file
    max_tensor_elements: int = 16_000_000  # one initializer / constant / folded tensor
    max_total_elements: int = 32_000_000  # all of them together
    max_nodes: int = 2_000  # after inlining local functions
    max_functions: int = 256
    max_layers: int = 512


ALLOWED_DTYPES = {
    TensorProto.FLOAT,
    TensorProto.DOUBLE,
    TensorProto.FLOAT16,
    TensorProto.INT64,
    TensorProto.INT32,
    TensorProto.INT16,
    TensorProto.INT8,
    TensorProto.UINT8,
    TensorProto.BOOL,
}
# the repeated field a dtype's values live in when not in raw_data
TYPED_FIELD = {
    TensorProto.FLOAT: "float_data",
    TensorProto.DOUBLE: "double_data",
    TensorProto.INT64: "int64_data",
    TensorProto.INT32: "int32_data",
    TensorProto.INT16: "int32_data",
    TensorProto.INT8: "int32_data",
    TensorProto.UINT8: "int32_data",
    TensorProto.BOOL: "int32_data",
    TensorProto.FLOAT16: "int32_data",
}


def dtype_name(data_type: int) -> str:
    try:
        return TensorProto.DataType.Name(data_type)
    except ValueError:
        return str(data_type)


def declared_elements(t: TensorProto, where: str, limits: Limits) -> int:
    """The element count ``t`` declares, refusing negative dims or more than the limit."""
    dims = list(t.dims)
    if any(d < 0 for d in dims):
        raise ValueError(f"{where}: tensor {t.name!r} declares negative dimensions {dims}")
    n = 1
    for d in dims:  # multiply with an early stop: a product of huge dims never overflows here
        n *= int(d)
        if n > limits.max_tensor_elements:
            raise ValueError(
                f"{where}: tensor {t.name!r} declares shape {dims}, more than the limit of "
                f"{limits.max_tensor_elements:,} elements"
            )
    return n


def check_tensor(t: TensorProto, where: str, limits: Limits, external: dict[str, bytes]) -> int:
    """Check ``t``'s declared size, dtype and data; pull in external data from ``external``.

    Returns the element count. After it, ``t`` holds its data inline (``raw_data``).
    """
    if t.data_type not in ALLOWED_DTYPES:
        raise ValueError(
            f"{where}: tensor {t.name!r} has data type {dtype_name(t.data_type)}, which is not "
            "supported (float, double, float16, integers, bool)"
        )
    if t.HasField("segment"):
        raise ValueError(f"{where}: tensor {t.name!r} is segmented, which is not supported")
    n = declared_elements(t, where, limits)
    itemsize = np.dtype(helper.tensor_dtype_to_np_dtype(t.data_type)).itemsize
    expected = n * itemsize
    if t.data_location == TensorProto.EXTERNAL:
        _inline_external(t, where, expected, external)
    elif t.raw_data:
        if len(t.raw_data) != expected:
            raise ValueError(
                f"{where}: tensor {t.name!r} of shape {list(t.dims)} needs {expected:,} bytes, "
                f"its data has {len(t.raw_data):,}"
            )
    else:
        have = len(getattr(t, TYPED_FIELD[t.data_type]))
        if have != n:
            raise ValueError(
                f"{where}: tensor {t.name!r} of shape {list(t.dims)} needs {n:,} values, "
                f"it holds {have:,}"
            )
    return n


def _inline_external(t: TensorProto, where: str, expected: int, external: dict[str, bytes]):
    info = {e.key: e.value for e in t.external_data}
    location = info.get("location", "")
    check_location(location, t.name, where)
    if location not in external:
        have = ", ".join(sorted(external)) or "none"
        raise ValueError(
            f"{where}: tensor {t.name!r} is stored in the external file {location!r}; upload it "
            f"as external_data (uploaded: {have})"
        )
    try:
        offset = int(info.get("offset", "0"))
        length = int(info["length"]) if "length" in info else None
    except ValueError:
        raise ValueError(f"{where}: tensor {t.name!r} has a non-integer offset/length") from None
    blob = external[location]
    if length is None:
        length = expected
    if offset < 0 or length != expected or offset + length > len(blob):
        raise ValueError(
            f"{where}: tensor {t.name!r} needs {expected:,} bytes at offset {offset:,} of "
            f"{location!r} (declared length {length:,}), the file has {len(blob):,}"
        )
    t.raw_data = blob[offset : offset + length]
    del t.external_data[:]
    t.data_location = TensorProto.DEFAULT


def check_location(location: str, tensor: str, where: str) -> None:
    """An external-data location must be a bare file name: no directory, no ``..``."""
    bad = (
        not location
        or location in (".", "..")
        or "/" in location
        or "\\" in location
        or ":" in location
        or "\x00" in location
        or location.startswith("~")
    )
    if bad:
        raise ValueError(
            f"{where}: tensor {tensor!r} names the external data location {location!r}; only "
            "the bare file name of an uploaded file is accepted (no directories, no '..', no "
            "absolute paths)"
        )
