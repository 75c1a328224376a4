"""Untrusted image bytes and pixel lists → a checked picture array, refusing anything unsafe.

A *picture* is what the rest of the engine takes (:func:`engine.preprocess.network_input`):

* ``uint8 (H, W)`` grey, ``(H, W, 3)`` RGB or ``(H, W, 4)`` RGBA — a decoded PNG, JPEG or WebP;
* ``uint16 (H, W)`` — a 16-bit grey PNG (full scale 65535);
* ``float32 (H, W)`` in [0, 1], 1 = ink — a ``pixels`` list (api.md, "Input images");
* ``float32 (H, W, 3)`` in [0, 1], RGB — a colour ``pixels`` list (api.md, "Any image").

Bytes are checked in the order that costs nothing first: their count, the format by its magic
bytes, then the width and height the header declares — before a single pixel is decompressed,
so a decompression bomb costs nothing. EXIF orientation is applied (``ImageOps.exif_transpose``),
palette, bilevel, grey+alpha and CMYK modes become grey, RGB or RGBA. Every refusal is a
``ValueError`` whose message names the field (``image`` or ``pixels``) and the limit; the ones
about size are :class:`ImageTooLarge` (a ``ValueError``) so an HTTP layer can answer 413 rather
than 422.
"""

from __future__ import annotations

import io
import warnings

import numpy as np
from PIL import Image, ImageOps

#: Magic bytes → PIL format name. WebP is a RIFF container whose form type is "WEBP".
FORMATS = {b"\x89PNG\r\n\x1a\n": "PNG", b"\xff\xd8\xff": "JPEG"}
MAX_BYTES = 2 * 1024 * 1024  # defaults of the limits (the app passes its own settings)
MAX_SIDE = 4096
MAX_PIXELS = 16_777_216  # 4096 × 4096
MIN_PIXELS_SIDE, MAX_PIXELS_SIDE = 8, 512


class ImageTooLarge(ValueError):
    """A picture over a size limit (bytes, side or pixel count): an HTTP 413, not a 422."""


def image_format(data: bytes) -> str | None:
    """``"PNG"``, ``"JPEG"`` or ``"WEBP"`` from the first bytes of ``data``; ``None`` otherwise."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return next((name for magic, name in FORMATS.items() if data.startswith(magic)), None)


def check_size(width: int, height: int, max_side: int, max_pixels: int, field: str) -> None:
    """Refuse a picture of ``width × height`` over ``max_side`` per side or ``max_pixels``."""
    if width < 1 or height < 1:
        raise ValueError(f"{field}: {width}×{height} pixels has no pixels")
    if width > max_side or height > max_side:
        raise ImageTooLarge(
            f"{field}: {width}×{height} pixels, larger than the limit max_image_side = "
            f"{max_side} on either side"
        )
    if width * height > max_pixels:
        raise ImageTooLarge(
            f"{field}: {width}×{height} = {width * height:,} pixels, more than the limit "
            f"max_image_pixels = {max_pixels:,}"
        )


def decode_image(
    data: bytes,
    *,
    max_bytes: int = MAX_BYTES,
    max_side: int = MAX_SIDE,
    max_pixels: int = MAX_PIXELS,
) -> np.ndarray:
    """Decode PNG, JPEG or WebP ``data`` into a picture (see the module docstring).

    Returns ``uint8 (H, W)`` for grey, ``(H, W, 3)`` for colour, ``(H, W, 4)`` when the file
    has transparency (alpha channel, or a palette/grey ``transparency`` entry), ``uint16 (H, W)``
    for 16-bit grey; ``H × W`` is the size *after* the EXIF orientation is applied.
    Raises :class:`ImageTooLarge` over ``max_bytes``, ``max_side`` or ``max_pixels`` (checked
    on the header, before decoding; PIL's own decompression-bomb guard is an error too) and
    ``ValueError`` for anything that is not one of the three formats or does not decode
    (truncated, corrupt).
    """
    if len(data) > max_bytes:
        raise ImageTooLarge(
            f"image: {len(data):,} bytes, more than the limit max_image_bytes = {max_bytes:,}"
        )
    if not data:
        raise ValueError("image: empty (no bytes)")
    kind = image_format(data)
    if kind is None:
        raise ValueError("image: not a PNG, JPEG or WebP (only those formats are accepted)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data), formats=[kind])
            check_size(*img.size, max_side, max_pixels, "image")
            img.load()
            return _as_picture(ImageOps.exif_transpose(img))
    except ImageTooLarge:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageTooLarge(
            f"image: its header claims too many pixels to decode safely; the limits are "
            f"max_image_side = {max_side} and max_image_pixels = {max_pixels:,}"
        ) from None
    except ValueError as e:
        if str(e).startswith("image:"):
            raise
        raise ValueError(f"image: the {kind} could not be decoded ({e})") from None
    except Exception as e:  # any failure to decode untrusted bytes is the bytes' fault
        raise ValueError(
            f"image: the {kind} could not be decoded (truncated or corrupt: {e})"
        ) from None


def _as_picture(img: Image.Image) -> np.ndarray:
    """A loaded PIL image in any mode → ``uint8`` L / RGB / RGBA or ``uint16`` (H, W)."""
    if img.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):  # 16-bit grey PNG
        return np.clip(np.asarray(img), 0, 65535).astype(np.uint16)
    transparent = img.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in img.info
    if transparent:
        return np.asarray(img.convert("RGBA"))
    if img.mode in ("L", "1") or (img.mode == "P" and _grey_palette(img)):
        return np.asarray(img.convert("L"))
    return np.asarray(img.convert("RGB"))  # RGB, P, CMYK, YCbCr, ...


def _grey_palette(img: Image.Image) -> bool:
    rgb = np.asarray(img.convert("RGB"))
    return bool((rgb[..., 0] == rgb[..., 1]).all() and (rgb[..., 1] == rgb[..., 2]).all())


def check_pixels(
    pixels, *, min_side: int = MIN_PIXELS_SIDE, max_side: int = MAX_PIXELS_SIDE
) -> np.ndarray:
    """``pixels`` (nested list or array) as ``float32 (H, W)`` or ``(H, W, 3)`` in [0, 1].

    The sides are checked before the list is converted; then rectangularity, the last axis
    (1 value = ink, 3 values = R, G, B), finiteness and range. Raises ``ValueError`` naming
    ``pixels`` and the limit (:class:`ImageTooLarge` for a side over ``max_side``).
    """
    try:
        rows = len(pixels)
        cols = len(pixels[0]) if rows else 0
    except TypeError:
        raise ValueError("pixels: expected an H × W or H × W × 3 list of numbers") from None
    for side, n in (("height", rows), ("width", cols)):
        if n > max_side:
            raise ImageTooLarge(
                f"pixels: {side} {n} is over the limit max_pixels_side = {max_side}"
            )
        if n < min_side:
            raise ValueError(f"pixels: {side} {n} is under the limit min_pixels_side = {min_side}")
    try:
        x = np.asarray(pixels, dtype=np.float32)  # x: (H, W) or (H, W, 3)
    except (ValueError, TypeError):
        raise ValueError(
            "pixels: rows have different lengths or hold non-numbers; it must be a rectangular "
            "H × W list of numbers or an H × W × 3 list of [r, g, b]"
        ) from None
    if not (x.ndim == 2 or (x.ndim == 3 and x.shape[2] == 3)):
        raise ValueError(f"pixels: shape {list(x.shape)}; expected H × W or H × W × 3")
    if not np.isfinite(x).all():
        raise ValueError("pixels: contains NaN or infinity; values must be in [0, 1]")
    lo, hi = float(x.min()), float(x.max())
    if lo < 0.0 or hi > 1.0:
        raise ValueError(f"pixels: values must be in [0, 1], got values in [{lo:g}, {hi:g}]")
    return x
