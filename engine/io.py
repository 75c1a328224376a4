"""Atomic file writes: a reader sees the old file or the new one, never half of either.

The new content goes to a temporary file in the target's own directory (so ``os.replace`` is a
rename within one filesystem, atomic on POSIX and Windows) and replaces the target only once it is
complete and flushed to disk. Used for downloaded datasets and model checkpoints.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path


def _temp_sibling(path: Path) -> Path:
    """A fresh, not yet existing path beside ``path``.

    It keeps ``path``'s last suffix (``.model.npz.1a2b3c4d.tmp.npz``) because some writers append
    their own: ``np.savez`` adds ``.npz`` to any name that does not already end in it.
    """
    return path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp{path.suffix}")


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it is moved onto ``path``.

    The caller creates the file at the yielded path (``np.savez(tmp, ...)``). When the block
    exits normally the file is flushed to disk and ``os.replace``d onto ``path``; when the block
    raises, the temporary file is removed and ``path`` is left as it was. The parent directory
    must exist.

        with atomic_path("runs/model.npz") as tmp:
            np.savez(tmp, w=w)
    """
    path = Path(path)
    tmp = _temp_sibling(path)
    try:
        yield tmp
        if not tmp.exists():
            raise FileNotFoundError(f"nothing was written to the temporary file {tmp} for {path}")
        _fsync(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_path`)."""
    with atomic_path(path) as tmp, open(tmp, "xb") as f:
        f.write(data)
