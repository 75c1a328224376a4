"""Receptive fields: the input pixels one activation of a spatial layer depends on.

Back through a conv or pooling layer (kernel ``k``, stride ``s``, padding ``p``, dilation ``d``),
output rows ``lo..hi`` (inclusive) read padded-input rows ``lo*s .. hi*s + d*(k-1)``, i.e. input
rows ``lo*s - p .. hi*s - p + d*(k-1)``; elementwise layers (ReLU) keep the range. Repeating this
from the layer down to the input gives the box. Boxes may stick out of the image where a layer
pads; :func:`crop_patches` fills that part with zeros, the value padding adds.
"""

from __future__ import annotations

import numpy as np

from engine.layers import Conv2D, ReLU, _Pool2D
from engine.model import Sequential


def _check_spatial(model: Sequential, layer: int) -> None:
    n = len(model.layers)
    if isinstance(layer, bool) or not isinstance(layer, (int, np.integer)) or not 0 <= layer < n:
        raise ValueError(f"layer must be an index in 0..{n - 1}, got {layer!r}")
    for i in range(layer + 1):
        if not isinstance(model.layers[i], (Conv2D, ReLU, _Pool2D)):
            raise ValueError(
                f"layer {layer} has no receptive-field box: layer {i} ({model.layers[i].type}) "
                "is not a conv, pooling or ReLU layer"
            )


def input_box(model: Sequential, layer: int, i, j) -> tuple[np.ndarray, ...]:
    """The input box seen by output position ``(i, j)`` of layer ``layer`` (ints or arrays).

    Returns ``(top, left, bottom, right)``, half-open (rows ``top..bottom-1``), in input pixel
    coordinates, possibly outside ``[0, H) × [0, W)``.
    """
    _check_spatial(model, layer)
    top, bottom = np.asarray(i), np.asarray(i)  # inclusive ranges while walking down
    left, right = np.asarray(j), np.asarray(j)
    for ly in reversed(model.layers[: layer + 1]):
        if isinstance(ly, ReLU):
            continue
        (kh, kw), (sh, sw), (ph, pw) = ly.kernel_size, ly.stride, ly.padding
        dh, dw = getattr(ly, "dilation", (1, 1))
        top, bottom = top * sh - ph, bottom * sh - ph + dh * (kh - 1)
        left, right = left * sw - pw, right * sw - pw + dw * (kw - 1)
    return top, left, bottom + 1, right + 1


def receptive_field(model: Sequential, layer: int) -> tuple[int, int]:
    """``(height, width)`` of the input box of one output position of ``layer``."""
    top, left, bottom, right = input_box(model, layer, 0, 0)
    return int(bottom - top), int(right - left)


def crop_patches(
    images: np.ndarray, index: np.ndarray, top: np.ndarray, left: np.ndarray, size: tuple[int, int]
) -> np.ndarray:
    """Cut ``size`` boxes out of ``images``, zero outside the image.

    images: (N, H, W); index, top, left: (P,) → patches: (P, h, w), same dtype as ``images``.
    """
    N, H, W = images.shape
    h, w = size
    pad = max(h, w)
    padded = np.pad(images, ((0, 0), (pad, pad), (pad, pad)))  # (N, H + 2 pad, W + 2 pad)
    out = np.empty((len(index), h, w), dtype=images.dtype)
    for p, (n, r, c) in enumerate(zip(index, top, left, strict=True)):
        out[p] = padded[n, r + pad : r + pad + h, c + pad : c + pad + w]
    return out
