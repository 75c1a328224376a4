"""Turn an ``ImageInput`` into the network input, refusing anything unsafe or malformed.

``image``: a data URL or bare base64 of a PNG or JPEG. Its length is checked before any
decoding, its format by magic bytes, its dimensions from the header before a single pixel is
decompressed (so a decompression bomb costs nothing), and a truncated or corrupt file is a 422.
``pixels``: a rectangular 2-D list of finite values in [0, 1], each side within the limits.

Both become an ink map (``engine.preprocess``: dark-on-light, light-on-dark and transparent
canvases all give 1 = ink) and then the ``(H, W)`` float32 input of the model.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import warnings

import numpy as np
from fastapi import HTTPException
from PIL import Image

from app.core.settings import Settings
from engine.convention import model_convention, to_network
from engine.preprocess import preprocess

DATA_URL = re.compile(r"^data:([\w.+-]+/[\w.+-]+)?((?:;[\w.+-]+=[\w.+-]+)*);base64,", re.ASCII)
FORMATS = {b"\x89PNG\r\n\x1a\n": "PNG", b"\xff\xd8\xff": "JPEG"}
WHITESPACE = re.compile(rb"\s+")


def decode_base64(text: str, max_bytes: int) -> bytes:
    """The bytes of ``text`` (a data URL or bare base64), refusing more than ``max_bytes``.

    The length is checked on the text, before decoding: base64 needs 4 characters per 3 bytes.
    """
    match = DATA_URL.match(text[:200])
    if match:
        text = text[match.end() :]
    elif text.startswith("data:"):
        raise HTTPException(422, "image: a data URL must look like 'data:image/png;base64,<data>'")
    max_chars = 4 * -(-max_bytes // 3)
    if len(text) > max_chars + max_chars // 64 + 16:  # allow for line breaks every 64 chars
        raise HTTPException(
            413,
            f"image: about {len(text) * 3 // 4:,} bytes encoded, more than the limit "
            f"max_image_bytes = {max_bytes:,}",
        )
    try:
        raw = WHITESPACE.sub(b"", text.encode("ascii"))
        data = base64.b64decode(raw, validate=True)
    except (UnicodeEncodeError, binascii.Error, ValueError):
        raise HTTPException(
            422, "image: not valid base64 (expected a data URL or bare base64 of a PNG or JPEG)"
        ) from None
    if len(data) > max_bytes:
        raise HTTPException(
            413, f"image: {len(data):,} bytes, more than the limit max_image_bytes = {max_bytes:,}"
        )
    if not data:
        raise HTTPException(422, "image: empty (no bytes after decoding base64)")
    return data


def open_image(data: bytes, max_side: int) -> np.ndarray:
    """Decode PNG/JPEG ``data`` to ``(H, W)`` grey or ``(H, W, 4)`` RGBA uint8.

    The size is read from the header and checked against ``max_side`` before decoding.
    """
    kind = next((name for magic, name in FORMATS.items() if data.startswith(magic)), None)
    if kind is None:
        raise HTTPException(422, "image: not a PNG or JPEG (only those two formats are accepted)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data), formats=[kind])
            width, height = img.size
            if width > max_side or height > max_side:
                raise HTTPException(
                    413,
                    f"image: {width}×{height} pixels, larger than the limit max_image_side = "
                    f"{max_side} on either side",
                )
            if width < 1 or height < 1:
                raise HTTPException(422, f"image: {width}×{height} pixels has no pixels")
            img.load()
            has_alpha = img.mode in ("RGBA", "LA", "PA") or "transparency" in img.info
            img = img.convert("RGBA" if has_alpha else "L")
            return np.asarray(img)
    except HTTPException:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise HTTPException(
            413,
            f"image: its header claims too many pixels to decode safely; the limit is "
            f"max_image_side = {max_side} on either side",
        ) from None
    except Exception as e:  # any failure to decode untrusted bytes is the bytes' fault
        raise HTTPException(
            422, f"image: the {kind} could not be decoded (truncated or corrupt: {e})"
        ) from None


def check_pixels(pixels: list[list[float]], min_side: int, max_side: int) -> np.ndarray:
    """``pixels`` as ``(H, W)`` float32 after checking shape, finiteness and range."""
    rows = len(pixels)
    widths = {len(row) for row in pixels}
    if len(widths) > 1:
        raise HTTPException(
            422,
            f"pixels: rows have different lengths ({min(widths)} to {max(widths)}); "
            "it must be a rectangular 2-D list",
        )
    cols = widths.pop() if widths else 0
    for side, n in (("height", rows), ("width", cols)):
        if not min_side <= n <= max_side:
            raise HTTPException(
                422,
                f"pixels: {side} {n} is outside the limits min_pixels_side = {min_side} and "
                f"max_pixels_side = {max_side}",
            )
    x = np.asarray(pixels, dtype=np.float32)  # x: (H, W)
    if not np.isfinite(x).all():
        raise HTTPException(422, "pixels: contains NaN or infinity; values must be in [0, 1]")
    lo, hi = float(x.min()), float(x.max())
    if lo < 0.0 or hi > 1.0:
        raise HTTPException(
            422, f"pixels: values must be in [0, 1] (1 = ink), got values in [{lo:g}, {hi:g}]"
        )
    return x


def network_input(
    body, input_shape: tuple[int, int, int], settings: Settings
) -> tuple[np.ndarray, np.ndarray]:
    """``ImageInput`` → ``(x: (1, C, H, W) float32, image: (H, W))`` for a model of ``input_shape``.

    ``image`` is the preprocessed ink map the model sees (shown to the user); a model with
    several input channels gets it in every channel.
    """
    if body.image is not None:
        data = decode_base64(body.image, settings.max_image_bytes)
        img = open_image(data, settings.max_image_side)
    else:
        img = check_pixels(body.pixels, settings.min_pixels_side, settings.max_pixels_side)
    C, H, W = input_shape
    try:
        ink = preprocess(img, size=(H, W), normalise=body.preprocess)  # ink: (H, W)
    except ValueError as e:
        raise HTTPException(
            422, f"{'image' if body.image is not None else 'pixels'}: {e}"
        ) from None
    x = np.broadcast_to(ink, (1, C, H, W)).astype(np.float32)  # x: (1, C, H, W)
    return x, ink


def model_input(body, model, settings: Settings) -> tuple[np.ndarray, np.ndarray]:
    """``network_input`` for ``model``, with its input convention applied (api.md): ``x`` is
    what the model computes on, ``image`` the ink map the user sees. The one place a drawing
    becomes a model's input."""
    x, ink = network_input(body, model.input_shape, settings)
    return to_network(x, model_convention(model)), ink
