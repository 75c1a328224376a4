"""How a picture of any size becomes the network's ``H × W``: the resize policies of api.md.

* ``{"mode": "stretch"}`` — straight to ``H × W``, aspect ratio ignored (torchvision's
  ``Resize((H, W))``).
* ``{"mode": "center-crop", "size": S}`` — torchvision's ``Resize(S)`` then
  ``CenterCrop((H, W))``: the shorter side becomes ``S`` and the longer ``int(S · long / short)``
  (truncated, as torchvision does), then the central ``H × W`` is cut out at
  ``top = round((h − H) / 2)``, ``left = round((w − W) / 2)`` (Python's ``round``: halves go to
  the even integer, exactly as torchvision's ``center_crop``).
* ``{"mode": "pad"}`` — fit inside ``H × W`` keeping the aspect ratio (the limiting side becomes
  exactly ``H`` or ``W``, the other ``round(side · scale)``, halves rounded up, at least 1), then
  pad with **0** to ``H × W``, centred with the odd pixel, if any, at the bottom or right: the
  same placement as torchvision's ``CenterCrop`` on a smaller image (``top = (H − h) // 2``).
  0 is black in a photo and "no ink" in a digit map.

Resampling is PIL's ``BILINEAR``, which is what torchvision's ``Resize`` does to a PIL image: a
triangle filter widened by the scale factor when shrinking (antialiased). ``uint8`` pictures are
resized as PIL ``L``/``RGB`` images (bit-exact with torchvision on photos); ``float32`` ones
channel by channel as PIL ``F`` images (the same filter in float arithmetic).
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from engine.photo import ImageTooLarge

MODES = ("stretch", "center-crop", "pad")


def shorter_side_to(h: int, w: int, size: int) -> tuple[int, int]:
    """torchvision's ``Resize(size)`` output ``(h', w')`` for an ``h × w`` image."""
    short, long = (w, h) if w <= h else (h, w)
    new_short, new_long = size, int(size * long / short)
    return (new_long, new_short) if w <= h else (new_short, new_long)


def centre_crop_offsets(h: int, w: int, H: int, W: int) -> tuple[int, int]:
    """``(top, left)`` of torchvision's ``CenterCrop((H, W))`` on ``h × w`` (h ≥ H, w ≥ W)."""
    return int(round((h - H) / 2.0)), int(round((w - W) / 2.0))


def fit_inside(h: int, w: int, H: int, W: int) -> tuple[int, int]:
    """The size ``(h', w')`` of an ``h × w`` picture scaled to fit ``H × W``, aspect kept."""
    if h * W >= w * H:  # relatively taller: the height limits
        return H, max(1, min(W, (2 * w * H + h) // (2 * h)))
    return max(1, min(H, (2 * h * W + w) // (2 * w))), W


def resample(picture: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """PIL-bilinear resize of ``picture: (h, w)`` or ``(h, w, 3)`` to ``size = (H, W)``.

    ``uint8`` stays ``uint8`` (PIL ``L``/``RGB``); anything else is resized as ``float32``.
    """
    H, W = size
    if picture.shape[:2] == (H, W):
        return picture
    if picture.dtype == np.uint8:
        img = Image.fromarray(picture)
        return np.asarray(img.resize((W, H), Image.Resampling.BILINEAR))
    planes = picture[..., None] if picture.ndim == 2 else picture  # (h, w, k)
    out = [
        np.asarray(
            Image.fromarray(
                np.ascontiguousarray(planes[..., k], dtype=np.float32), mode="F"
            ).resize((W, H), Image.Resampling.BILINEAR)
        )
        for k in range(planes.shape[2])  # one PIL image per channel: at most 3
    ]
    return np.stack(out, axis=-1).reshape((H, W) + picture.shape[2:])


def apply_policy(
    picture: np.ndarray, policy: dict, size: tuple[int, int], max_pixels: int
) -> np.ndarray:
    """``picture: (h, w[, 3])`` → ``(H, W[, 3])``, same dtype, by the resize ``policy``.

    ``max_pixels`` bounds the intermediate image of ``center-crop`` (a thin strip resized so
    its shorter side is ``S`` could otherwise be enormous): over it, :class:`ImageTooLarge`.
    """
    H, W = size
    h, w = picture.shape[:2]
    mode = policy["mode"]
    if mode == "stretch":
        return resample(picture, (H, W))
    if mode == "center-crop":
        rh, rw = shorter_side_to(h, w, int(policy["size"]))
        if rh * rw > max_pixels:
            raise ImageTooLarge(
                f"image: a {w}×{h} picture resized so its shorter side is input.resize.size = "
                f"{policy['size']} would be {rw}×{rh} pixels, more than the limit "
                f"max_image_pixels = {max_pixels:,}"
            )
        resized = resample(picture, (rh, rw))
        top, left = centre_crop_offsets(rh, rw, H, W)
        return resized[top : top + H, left : left + W]
    if mode == "pad":
        fh, fw = fit_inside(h, w, H, W)
        out = np.zeros((H, W) + picture.shape[2:], dtype=picture.dtype)
        top, left = (H - fh) // 2, (W - fw) // 2
        out[top : top + fh, left : left + fw] = resample(picture, (fh, fw))
        return out
    raise ValueError(f"input.resize.mode must be one of {', '.join(MODES)}, got {mode!r}")
