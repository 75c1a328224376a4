"""Turn an ``ImageInput`` into the network input, refusing anything unsafe or malformed.

``image``: a data URL or bare base64 of a PNG, JPEG or WebP. Its length is checked here, on the
text, before any decoding; the engine (``engine.photo.decode_image``) then checks the format by
magic bytes and the dimensions from the header before a single pixel is decompressed.
``pixels``: an H × W (ink) or H × W × 3 (RGB) list in [0, 1] (``engine.photo.check_pixels``).

Both become a *picture* and then, by the model's input convention, the network input
(``engine.preprocess.network_input``): a digit model's ink map, or a photo resized and
normalised. The engine's refusals become HTTP ones: ``ImageTooLarge`` a 413, any other
``ValueError`` a 422, each naming the field.
"""

from __future__ import annotations

import base64
import binascii
import re

import numpy as np
from fastapi import HTTPException

from app.core.settings import Settings
from engine import photo, preprocess
from engine.convention import model_convention

DATA_URL = re.compile(r"^data:([\w.+-]+/[\w.+-]+)?((?:;[\w.+-]+=[\w.+-]+)*);base64,", re.ASCII)
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
            422,
            "image: not valid base64 (expected a data URL or bare base64 of a PNG, JPEG or WebP)",
        ) from None
    if len(data) > max_bytes:
        raise HTTPException(
            413, f"image: {len(data):,} bytes, more than the limit max_image_bytes = {max_bytes:,}"
        )
    if not data:
        raise HTTPException(422, "image: empty (no bytes after decoding base64)")
    return data


def refused(e: ValueError, field: str) -> HTTPException:
    """The HTTP refusal for an engine ``ValueError``: 413 for a size limit, else 422; the
    message names ``field`` unless it already starts with a field name."""
    status = 413 if isinstance(e, photo.ImageTooLarge) else 422
    text = str(e)
    named = text.startswith(("image", "pixels", "input"))
    return HTTPException(status, text if named else f"{field}: {text}")


def decode(data: bytes, settings: Settings) -> np.ndarray:
    """Image bytes → a picture (``engine.photo.decode_image``) within the settings' limits,
    or the 413/422 naming ``image``."""
    try:
        return photo.decode_image(
            data,
            max_bytes=settings.max_image_bytes,
            max_side=settings.max_image_side,
            max_pixels=settings.max_image_pixels,
        )
    except ValueError as e:
        raise refused(e, "image") from None


def picture(body, settings: Settings) -> np.ndarray:
    """The ``ImageInput``'s picture (``engine.photo``), every limit checked: ``uint8`` grey, RGB
    or RGBA ``(H, W[, 3|4])`` from ``image``, ``float32 (H, W[, 3])`` from ``pixels``."""
    if body.image is not None:
        return decode(decode_base64(body.image, settings.max_image_bytes), settings)
    try:
        return photo.check_pixels(
            body.pixels, min_side=settings.min_pixels_side, max_side=settings.max_pixels_side
        )
    except ValueError as e:
        raise refused(e, "pixels") from None


def network_input(
    body, input_shape: tuple[int, int, int], settings: Settings, convention: dict | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """``ImageInput`` → ``(x: (1, C, H, W) float32, shown)`` for a model of ``input_shape``
    whose input convention is ``convention`` (``None``: the defaults for ``C`` channels).

    ``shown`` is what the user sees, before the convention: ``(H, W)`` for one channel (a
    digit model's ink map), ``(3, H, W)`` RGB for a colour model (``NetworkInput.shown``).
    """
    field = "image" if body.image is not None else "pixels"
    pic = picture(body, settings)
    try:
        made = preprocess.network_input(
            pic,
            convention,
            tuple(input_shape),
            digit_framing=body.preprocess,
            max_pixels=settings.max_image_pixels,
        )
    except ValueError as e:
        raise refused(e, field) from None
    return made.x[None], made.shown  # x: (1, C, H, W)


def model_input(body, model, settings: Settings) -> tuple[np.ndarray, np.ndarray]:
    """``network_input`` for ``model``, with its input convention applied (api.md): ``x`` is
    what the model computes on, ``shown`` the picture the user sees. The one place a drawing
    or photo becomes a model's input."""
    return network_input(body, model.input_shape, settings, model_convention(model))
