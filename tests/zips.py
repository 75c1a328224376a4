"""Image-folder zips built in memory for the tests, hostile ones included."""

from __future__ import annotations

import io
import stat
import zipfile

import numpy as np
from PIL import Image


def image_bytes(
    h: int = 8, w: int = 8, fmt: str = "PNG", value: int = 0, mode: str = "RGB"
) -> bytes:
    """A ``w × h`` picture of one colour (``value`` in every channel) encoded as ``fmt``."""
    buf = io.BytesIO()
    Image.new(mode, (w, h), (value,) * len(mode)).save(buf, format=fmt)
    return buf.getvalue()


def pattern_bytes(h: int, w: int, seed: int) -> tuple[bytes, np.ndarray]:
    """A random RGB PNG (lossless) and its pixels ``(3, h, w)`` uint8."""
    pixels = np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="PNG")
    return buf.getvalue(), pixels.transpose(2, 0, 1)


def make_zip(files: dict[str, bytes], links: dict[str, str] | None = None, dirs=()) -> bytes:
    """A zip of ``files`` (name → bytes), symlinks ``links`` (name → target) and folders."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for d in dirs:
            zf.writestr(zipfile.ZipInfo(d.rstrip("/") + "/"), b"")
        for name, data in files.items():
            zf.writestr(name, data)
        for name, target in (links or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, target)
    return buf.getvalue()


def two_class_files(split: bool = True, n: int = 3, size: int = 8) -> dict[str, bytes]:
    """``cat`` and ``dog``, ``n`` images each per split, as PNG bytes of distinct colours."""
    files = {}
    for c, cls in enumerate(("cat", "dog")):
        for i in range(n):
            for which in ("train", "test") if split else ("",):
                prefix = f"{which}/" if which else ""
                files[f"{prefix}{cls}/{i}.png"] = image_bytes(size, size, value=40 * c + i)
    return files


def declared_size_zip(name: str, declared: int) -> bytes:
    """A one-entry zip whose central directory declares ``declared`` bytes for ``name``."""
    data = make_zip({name: b"x"})
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(name)
    # the uncompressed size sits at offset 24 of the central directory record
    central = data.rfind(b"PK\x01\x02")
    patched = bytearray(data)
    patched[central + 24 : central + 28] = declared.to_bytes(4, "little")
    assert info.file_size == 1
    return bytes(patched)
