"""``.npz`` archives inspected before they are read: a compressed bomb costs nothing.

An ``.npz`` is a zip of ``.npy`` members. :func:`inspect_npz` reads only the zip's central
directory (``zipfile``: names, declared sizes, compression) and each member's ``.npy`` header
(NumPy's own parser: dtype, shape, order) — a few hundred bytes per member, before a byte of
array data is decompressed — and refuses, with a ``ValueError`` naming the member:

- a member that is not ``<name>.npy``, an object dtype (pickles), a malformed header;
- a declared array (``prod(shape) × itemsize``) that does not match the zip's declared
  uncompressed size — decompression stops at that size, so the two together bound the work;
- a total of declared bytes over ``max_bytes``.

:func:`check_expected` then compares the members with the parameters a model expects (names,
shapes, floating dtypes), and :func:`read_npz` does all of this before ``np.load`` reads a
single array (with ``allow_pickle=False``).
"""

from __future__ import annotations

import io
import math
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.lib import format as npy_format

MAX_MODEL_BYTES = 256 * 1024 * 1024  # every member of a model file, as declared
MAX_HEADER_BYTES = 10_000  # NumPy's own default for a .npy header


@dataclass(frozen=True)
class Member:
    """One array of an archive, as declared: ``name`` without ``.npy``."""

    name: str
    dtype: np.dtype
    shape: tuple[int, ...]
    nbytes: int


Source = bytes | str | Path


def _open(source: Source) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source)


def _header(zf: zipfile.ZipFile, info: zipfile.ZipInfo, where: str) -> Member:
    name = info.filename
    if not name.endswith(".npy") or info.is_dir():
        raise ValueError(f"{where}: member {name!r} is not an .npy array")
    with zf.open(info) as f:  # reading the header decompresses only the header's bytes
        try:
            version = npy_format.read_magic(f)
            if version == (1, 0):
                shape, fortran, dtype = npy_format.read_array_header_1_0(f, MAX_HEADER_BYTES)
            elif version in ((2, 0), (3, 0)):
                shape, fortran, dtype = npy_format.read_array_header_2_0(f, MAX_HEADER_BYTES)
            else:
                raise ValueError(f"unknown .npy version {version}")
            header_bytes = f.tell()
        except (ValueError, OSError, EOFError, zipfile.BadZipFile) as e:
            raise ValueError(
                f"{where}: member {name!r} has no readable .npy header ({e})"
            ) from None
    if dtype.hasobject:
        raise ValueError(f"{where}: member {name!r} holds Python objects (dtype {dtype})")
    declared = math.prod(shape) * dtype.itemsize
    if header_bytes + declared != info.file_size:
        raise ValueError(
            f"{where}: member {name!r} declares a {dtype} array of shape {tuple(shape)} "
            f"({declared:,} bytes) but the zip says {info.file_size - header_bytes:,} bytes"
        )
    return Member(name[: -len(".npy")], dtype, tuple(int(d) for d in shape), declared)


def inspect_npz(source: Source, max_bytes: int, where: str = "weights") -> dict[str, Member]:
    """Every member's declared dtype and shape, checked, without reading any array data."""
    try:
        zf = _open(source)
    except FileNotFoundError:
        raise
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        raise ValueError(f"{where}: not a readable .npz file ({e})") from None
    with zf:
        infos = zf.infolist()
        declared = sum(i.file_size for i in infos)
        if declared > max_bytes + len(infos) * MAX_HEADER_BYTES:
            raise ValueError(
                f"{where}: the archive declares {declared:,} bytes uncompressed, more than the "
                f"limit of {max_bytes:,}"
            )
        members = {}
        for info in infos:
            m = _header(zf, info, where)
            if m.name in members:
                raise ValueError(f"{where}: member {m.name!r} appears twice")
            members[m.name] = m
    total = sum(m.nbytes for m in members.values())
    if total > max_bytes:
        raise ValueError(
            f"{where}: the arrays declare {total:,} bytes, more than the limit of {max_bytes:,}"
        )
    return members


def check_expected(
    members: dict[str, Member],
    expected: dict[str, tuple[int, ...]],
    where: str = "weights",
    optional: frozenset[str] = frozenset(),
) -> None:
    """The members are exactly ``expected`` (name → shape, floating point), plus ``optional``."""
    names = set(members) - set(optional)
    missing, extra = sorted(set(expected) - names), sorted(names - set(expected))
    if missing or extra:
        raise ValueError(f"{where}: parameters missing {missing!r}, unexpected {extra!r}")
    for name, shape in expected.items():
        m = members[name]
        if m.shape != tuple(shape):
            raise ValueError(
                f"{where}: {name} has shape {m.shape}, the architecture needs {tuple(shape)}"
            )
        if not np.issubdtype(m.dtype, np.floating):
            raise ValueError(f"{where}: {name} has dtype {m.dtype}, expected floating point")


def read_member(source: Source, name: str, max_bytes: int, where: str = "weights"):
    """One member's array (``None`` if absent), after checking the whole archive's headers."""
    members = inspect_npz(source, max_bytes=MAX_MODEL_BYTES, where=where)
    if name not in members:
        return None
    if members[name].nbytes > max_bytes:
        raise ValueError(f"{where}: {name} is more than {max_bytes:,} bytes")
    with _open(source) as zf, zf.open(f"{name}.npy") as f:
        return npy_format.read_array(f, allow_pickle=False)


def read_npz(
    source: Source, max_bytes: int = MAX_MODEL_BYTES, where: str = "weights"
) -> dict[str, np.ndarray]:
    """All arrays of an archive, read only after :func:`inspect_npz` passed."""
    inspect_npz(source, max_bytes, where)
    file = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        with np.load(file, allow_pickle=False) as npz:
            return {k: npz[k] for k in npz.files}
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, KeyError) as e:
        raise ValueError(f"{where}: not a readable .npz file ({e})") from None
