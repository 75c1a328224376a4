"""Turn a drawn digit into an MNIST-like 28×28 image, the way MNIST itself was made.

MNIST's recipe (LeCun et al.): size-normalise the digit's bounding box to fit a 20×20 box,
keeping its aspect ratio, with anti-aliasing; then place it in a 28×28 field so that its centre
of mass sits at the centre. Measured on the MNIST test set, every digit's non-zero pixels span
exactly 20 pixels on the long side and the centre of mass, in pixel-index coordinates, is
(14.0, 14.0) ± 0.3 — integer translations. We do the same.

Images here are ``(H, W)`` float32 "ink" in ``[0, 1]``: 1 is full ink, 0 is background.

:func:`network_input` is the one entry point for any model: it sends a grey digit model's
picture through this framing and a colour (or photo-resized grey) model's through
``engine.resize``'s policies, then applies the model's input convention (``engine.convention``).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from PIL import Image

from engine.convention import complete_convention, to_network
from engine.photo import MAX_PIXELS
from engine.resize import apply_policy

MNIST_SIZE = 28
MNIST_BOX = 20
MNIST_CENTRE = 14.0  # centre of mass, pixel-index coordinates (row 14, column 14)
INK_THRESHOLD = 0.05  # ink above this counts for the bounding box

_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)  # ITU-R BT.601


def _to_unit_float(img: np.ndarray) -> np.ndarray:
    """``img`` as float32 in [0, 1]: uint8 / 255, bool as 0/1, floats checked to be in range."""
    if img.dtype == np.uint8:
        return img.astype(np.float32) / 255.0
    if img.dtype == np.uint16:  # a 16-bit grey PNG
        return img.astype(np.float32) / 65535.0
    if img.dtype == np.bool_:
        return img.astype(np.float32)
    if np.issubdtype(img.dtype, np.floating):
        if img.size and not np.isfinite(img).all():
            raise ValueError("image contains NaN or infinite values")
        if img.size and (img.min() < -1e-6 or img.max() > 1 + 1e-6):
            raise ValueError(
                f"float images must be in [0, 1], got values in [{img.min():g}, {img.max():g}]"
            )
        return np.clip(img, 0.0, 1.0).astype(np.float32)
    raise ValueError(f"image dtype must be uint8, uint16, bool or float, got {img.dtype}")


def _border(gray: np.ndarray) -> np.ndarray:
    """The outermost rows and columns of ``gray: (H, W)``, flattened."""
    return np.concatenate([gray[0], gray[-1], gray[1:-1, 0], gray[1:-1, -1]])


def to_ink(img) -> np.ndarray:
    """Ink map of an image: ``(H, W)``, ``(H, W, 1)``, ``(H, W, 3)`` RGB or ``(H, W, 4)`` RGBA.

    Values are uint8 (0..255), bool, or float in [0, 1]. Returns ``ink: (H, W)`` float32 in
    [0, 1], 1 = ink:

    * RGBA whose alpha varies (strokes on a transparent canvas): ``ink = alpha``.
    * Otherwise the grey level (BT.601 luma for colour). The background is the median of the
      border pixels: on a light background ink is darkness, on a dark one lightness, each
      rescaled so the background is 0 and the opposite extreme 1
      (``ink = (bg - gray) / bg`` or ``(gray - bg) / (1 - bg)``, clipped).
    """
    img = np.asarray(img)
    if img.ndim == 3 and img.shape[2] == 4 and img.dtype == np.uint8:
        alpha = img[..., 3]  # (H, W): a canvas's strokes; converting only it saves 3/4 of the work
        if alpha.min() < alpha.max():
            return alpha.astype(np.float32) / 255.0
    img = _to_unit_float(img)
    if img.ndim == 3 and img.shape[2] in (1, 3, 4):
        if img.shape[2] == 4 and img[..., 3].min() < img[..., 3].max():
            return np.ascontiguousarray(img[..., 3])
        gray = img[..., 0] if img.shape[2] == 1 else img[..., :3] @ _LUMA  # gray: (H, W)
    elif img.ndim == 2:
        gray = img
    else:
        raise ValueError(
            f"image must be (H, W), (H, W, 1), (H, W, 3) or (H, W, 4), got shape {img.shape}"
        )
    if gray.size == 0:
        raise ValueError(f"image is empty, shape {img.shape}")
    bg = float(np.median(_border(gray)))
    if bg > 0.5:
        ink = (bg - gray) / bg
    else:
        ink = (gray - bg) / (1.0 - bg)
    return np.clip(ink, 0.0, 1.0).astype(np.float32)


def _area_weights(n_in: int, n_out: int) -> np.ndarray:
    """Box-filter resampling matrix ``A: (n_out, n_in)``; ``A @ v`` resamples ``v: (n_in,)``.

    Output pixel ``i`` covers the input interval ``[i * n_in / n_out, (i + 1) * n_in / n_out)``
    and averages the input pixels over it, weighted by overlap (area / "box" resampling: exact
    anti-aliasing when shrinking, piecewise-constant with blended edges when enlarging). Rows
    sum to 1, so a constant image stays constant.
    """
    edges = np.arange(n_out + 1, dtype=np.float64) * (n_in / n_out)  # (n_out + 1,)
    lo, hi = edges[:-1, None], edges[1:, None]  # (n_out, 1)
    j = np.arange(n_in, dtype=np.float64)[None, :]  # (1, n_in)
    overlap = np.clip(np.minimum(hi, j + 1) - np.maximum(lo, j), 0.0, None)  # (n_out, n_in)
    return overlap / overlap.sum(axis=1, keepdims=True)


def resize(ink: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Area-resample ``ink: (H, W)`` to ``size = (h, w)``, ignoring aspect ratio.

    Returns ``(h, w)`` float32. Separable: ``A_h @ ink @ A_w.T``.
    """
    ink = np.asarray(ink, dtype=np.float32)
    if ink.ndim != 2 or ink.size == 0:
        raise ValueError(f"ink must be a non-empty (H, W) array, got shape {ink.shape}")
    h, w = size
    if h < 1 or w < 1:
        raise ValueError(f"size must be positive, got {size!r}")
    H, W = ink.shape
    a_h = _area_weights(H, h).astype(np.float32)  # (h, H)
    a_w = _area_weights(W, w).astype(np.float32)  # (w, W)
    return (a_h @ ink @ a_w.T).astype(np.float32)  # (h, H) @ (H, W) @ (W, w) -> (h, w)


def centre_of_mass(ink: np.ndarray) -> tuple[float, float]:
    """``(row, col)`` centre of mass of ``ink: (H, W)`` in pixel-index coordinates."""
    H, W = ink.shape
    total = float(ink.sum())
    if total <= 0:
        raise ValueError("centre of mass of an image with no ink is undefined")
    row = float(ink.sum(axis=1) @ np.arange(H)) / total
    col = float(ink.sum(axis=0) @ np.arange(W)) / total
    return row, col


def mnist_normalise(ink: np.ndarray, threshold: float = INK_THRESHOLD) -> np.ndarray:
    """MNIST's size normalisation and centring of ``ink: (H, W)``; returns ``(28, 28)`` float32.

    1. Crop to the bounding box of pixels with ``ink > threshold``.
    2. Area-resample so the longer side is 20 px, keeping the aspect ratio (the shorter side is
       ``max(1, round(20 * short / long))``).
    3. Paste into a 28×28 field at the integer offset that brings the centre of mass closest to
       (14, 14), clamped so the box stays inside the field (a digit whose mass is far off-centre
       in its box is then centred as well as the field allows).

    A blank image (no pixel above ``threshold``) gives all zeros.
    """
    ink = np.asarray(ink, dtype=np.float32)
    if ink.ndim != 2:
        raise ValueError(f"ink must be (H, W), got shape {ink.shape}")
    out = np.zeros((MNIST_SIZE, MNIST_SIZE), dtype=np.float32)
    rows = np.flatnonzero((ink > threshold).any(axis=1))
    cols = np.flatnonzero((ink > threshold).any(axis=0))
    if rows.size == 0:
        return out
    crop = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]  # (h, w), the bounding box
    h, w = crop.shape
    scale = MNIST_BOX / max(h, w)
    bh, bw = max(1, round(h * scale)), max(1, round(w * scale))
    box = np.clip(resize(crop, (bh, bw)), 0.0, 1.0)  # (bh, bw), long side 20
    if box.sum() <= 0:
        return out
    com_r, com_c = centre_of_mass(box)
    top = int(np.clip(round(MNIST_CENTRE - com_r), 0, MNIST_SIZE - bh))
    left = int(np.clip(round(MNIST_CENTRE - com_c), 0, MNIST_SIZE - bw))
    out[top : top + bh, left : left + bw] = box
    return out


def preprocess(img, size: tuple[int, int] = (28, 28), normalise: bool = True) -> np.ndarray:
    """The one entry point for a user's image: ink map, then MNIST normalisation or a resize.

    ``img``: ``(H, W)``, ``(H, W, 3)`` or ``(H, W, 4)`` (see :func:`to_ink`). With
    ``normalise`` the digit is size-normalised and centred as MNIST was (:func:`mnist_normalise`,
    then resized to ``size`` if that is not 28×28); without it the whole image is just
    area-resampled to ``size``. Returns ``(h, w)`` float32 in [0, 1], 1 = ink — add the batch
    and channel axes (``x[None, None]``, ``(1, 1, h, w)``) to feed a model.
    """
    ink = to_ink(img)
    if not normalise:
        return np.clip(resize(ink, size), 0.0, 1.0)
    out = mnist_normalise(ink)
    if tuple(size) != (MNIST_SIZE, MNIST_SIZE):
        out = np.clip(resize(out, size), 0.0, 1.0)
    return out


class NetworkInput(NamedTuple):
    """What :func:`network_input` returns: the model's input and what to show the user.

    * ``x``: ``(C, H, W)`` float32 — the network input, convention applied (``x[None]`` is the
      ``(1, C, H, W)`` batch an engine model takes; an NHWC or unbatched ONNX graph was made
      NCHW by the importer, so this is right for every imported layout).
    * ``shown``: float32 in [0, 1] before the convention — ``(H, W)`` for one channel (the
      ink map on a digit model, the grey intensity otherwise), ``(3, H, W)`` in **RGB** order
      for a colour model, whatever its ``channels`` order.
    """

    x: np.ndarray
    shown: np.ndarray


def luminance(picture: np.ndarray) -> np.ndarray:
    """A picture (``engine.photo``) as grey intensities ``(H, W)``, 1 = white.

    ``uint8`` colour: PIL's ``L`` (ITU-R 601-2: ``R·299/1000 + G·587/1000 + B·114/1000``,
    rounded), transparent pixels on white first; ``uint8`` grey as is; ``uint16`` / 65535;
    float ``(H, W, 3)`` by the same weights; float ``(H, W)`` is ink, so ``1 − ink``.
    """
    if picture.dtype == np.uint8:
        return picture if picture.ndim == 2 else np.asarray(_pil_rgb(picture).convert("L"))
    if picture.dtype == np.uint16:
        return picture.astype(np.float32) / 65535.0
    return 1.0 - picture if picture.ndim == 2 else (picture @ _LUMA).astype(np.float32)


def colour(picture: np.ndarray) -> np.ndarray:
    """A picture as RGB ``(H, W, 3)``: grey repeated in each channel, transparency on white.

    ``uint8`` stays ``uint8`` (PIL); ``uint16`` becomes float / 65535; float ``(H, W)`` is ink,
    so it becomes ``1 − ink`` — dark ink on white paper, the drawing as it looks.
    """
    if picture.ndim == 3:
        return picture if picture.shape[2] == 3 else np.asarray(_pil_rgb(picture))
    grey = luminance(picture)  # (H, W)
    return np.repeat(grey[:, :, None], 3, axis=2)  # (H, W, 3)


def _pil_rgb(picture: np.ndarray) -> Image.Image:
    """``uint8 (H, W, 3 | 4)`` as a PIL RGB image, RGBA composited on opaque white."""
    img = Image.fromarray(picture)
    if img.mode == "RGBA":
        img = Image.alpha_composite(Image.new("RGBA", img.size, (255, 255, 255, 255)), img)
    return img.convert("RGB")


def network_input(
    picture: np.ndarray,
    convention: dict | None,
    input_shape: tuple[int, int, int],
    *,
    digit_framing: bool = True,
    max_pixels: int = MAX_PIXELS,
) -> NetworkInput:
    """The one place a user's picture becomes a model's input: ``(x, shown)`` (see NetworkInput).

    ``picture``: from :func:`engine.photo.decode_image` or :func:`engine.photo.check_pixels`.
    ``convention``: the model's stored ``input`` (may be partial or ``None``: it is completed
    and checked by :func:`engine.convention.complete_convention`). ``input_shape``: ``(C, H, W)``.

    * ``channels`` ``"gray"`` with ``resize`` ``digit`` (a digit model, the default): today's
      ink map (:func:`preprocess`; a colour picture is first PIL's luminance, a canvas with ink
      in its alpha keeps it), MNIST framing when ``digit_framing`` (the API's ``preprocess``)
      else an area resize (``digit_framing`` matters only here). The map is repeated into
      every channel of a multi-channel model.
    * ``"gray"`` with ``stretch`` / ``center-crop`` / ``pad``: :func:`luminance`, then the
      policy (:mod:`engine.resize`), then ``/ 255`` for ``uint8``.
    * ``"rgb"`` / ``"bgr"``: :func:`colour`, the policy, ``/ 255`` (torchvision's ``ToTensor``),
      channels reversed for ``bgr``.

    Then ``x = to_network(...)``: ``((1 − p if invert else p) · scale − mean) / std``.
    Raises ``ValueError`` for a bad convention or picture, :class:`engine.photo.ImageTooLarge`
    when ``center-crop`` would make an intermediate image over ``max_pixels``.
    """
    _check_picture(picture)
    C, H, W = input_shape
    conv = complete_convention(convention, (C, H, W))
    policy = conv["resize"]
    if policy["mode"] == "digit":
        shown = preprocess(_digit_source(picture), size=(H, W), normalise=digit_framing)
        p = np.broadcast_to(shown, (C, H, W))  # (C, H, W): the ink map in every channel
    elif conv["channels"] == "gray":
        shown = _unit(apply_policy(luminance(picture), policy, (H, W), max_pixels))  # (H, W)
        p = np.broadcast_to(shown, (C, H, W))
    else:
        rgb = _unit(apply_policy(colour(picture), policy, (H, W), max_pixels))  # (H, W, 3)
        shown = np.ascontiguousarray(rgb.transpose(2, 0, 1))  # (3, H, W), R, G, B
        p = shown[::-1] if conv["channels"] == "bgr" else shown
    x = to_network(np.ascontiguousarray(p, dtype=np.float32)[None], conv)[0]  # (C, H, W)
    return NetworkInput(np.array(x, dtype=np.float32), shown)  # x never shares shown's memory


def _check_picture(picture: np.ndarray) -> None:
    """A picture as :mod:`engine.photo` makes them, or a ``ValueError`` saying what it is."""
    dtype_ok = picture.dtype in (np.uint8, np.uint16) or picture.dtype.kind == "f"
    shape_ok = picture.ndim == 2 or (picture.ndim == 3 and picture.shape[2] in (3, 4))
    if not (dtype_ok and shape_ok):
        raise ValueError(
            f"picture: uint8, uint16 or float (H, W), (H, W, 3) or uint8 (H, W, 4) expected, "
            f"got {picture.dtype} {list(picture.shape)}"
        )
    if picture.ndim == 3 and picture.shape[2] == 4 and picture.dtype != np.uint8:
        raise ValueError(f"picture: an alpha channel needs uint8, got {picture.dtype}")


def _digit_source(picture: np.ndarray) -> np.ndarray:
    """What :func:`to_ink` reads for a digit model: ``uint8`` colour becomes PIL's luminance,
    except a canvas whose ink is in a varying alpha channel, which keeps it."""
    if picture.dtype != np.uint8 or picture.ndim == 2:
        return picture
    if picture.shape[2] == 4 and picture[..., 3].min() < picture[..., 3].max():
        return picture
    return np.asarray(Image.fromarray(np.ascontiguousarray(picture[..., :3])).convert("L"))


def _unit(picture: np.ndarray) -> np.ndarray:
    """``uint8`` / 255 (torchvision's ``ToTensor``), else float32; values in [0, 1]."""
    if picture.dtype == np.uint8:
        return picture.astype(np.float32) / np.float32(255)
    return np.clip(picture, 0.0, 1.0).astype(np.float32)
