"""Hand-made kernels to try on a drawing or a photo, and the convolution that applies them.

Grey-image presets are ``(kh, kw)`` (Jeremy Jordan's edge detectors and the classic image filters);
colour presets are ``(3, kh, kw)``: one slice per R, G, B channel, because a filter's depth
must equal its input's channels (Jeremy Jordan: "the filter depth should match that of the input";
TechnologyMadeEasy: a 5×5×3 filter on a 32×32×3 image gives one 28×28 map). The output is the sum of
the per-channel correlations plus the bias, and :func:`apply_kernel` returns those parts too.
"""

from __future__ import annotations

import numpy as np

from engine.ops.conv import conv2d_forward
from engine.shapes import conv_padding, pair

KERNELS: dict[str, dict] = {
    "vertical-edge": {
        "kernel": [[1, 0, -1], [1, 0, -1], [1, 0, -1]],
        "description": "Jeremy Jordan's vertical-line detector: left column minus right column. "
        "Strong (±) where ink starts or stops going left to right.",
    },
    "horizontal-edge": {
        "kernel": [[1, 1, 1], [0, 0, 0], [-1, -1, -1]],
        "description": "The same detector turned 90°: top row minus bottom row — the "
        "horizontal strokes of a 4 or a 7.",
    },
    "diagonal": {
        "kernel": [[0, 1, 1], [-1, 0, 1], [-1, -1, 0]],
        "description": "Jeremy Jordan's right-diagonal detector: responds across strokes that run "
        "from bottom-left to top-right.",
    },
    "blur": {
        "kernel": [[1 / 16, 2 / 16, 1 / 16], [2 / 16, 4 / 16, 2 / 16], [1 / 16, 2 / 16, 1 / 16]],
        "description": "A 3×3 Gaussian blur: each pixel becomes a weighted average of its "
        "neighbourhood (weights sum to 1).",
    },
    "sharpen": {
        "kernel": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
        "description": "The pixel, plus how much it differs from its four neighbours: edges "
        "get crisper (weights sum to 1).",
    },
    "identity": {
        "kernel": [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
        "description": "Copies the input: only the centre weight is 1.",
    },
}

_I3 = [[0, 0, 0], [0, 1, 0], [0, 0, 0]]
_Z3 = [[0, 0, 0], [0, 0, 0], [0, 0, 0]]
_EDGE = np.array(KERNELS["vertical-edge"]["kernel"], dtype=np.float64)
_LUMA = (0.299, 0.587, 0.114)  # ITU-R BT.601

COLOR_FILTERS: dict[str, dict] = {
    "red": {
        "kernel": [_I3, np.multiply(_I3, -0.5).tolist(), np.multiply(_I3, -0.5).tolist()],
        "description": "Red minus the average of green and blue: bright where the photo is red.",
    },
    "green": {
        "kernel": [np.multiply(_I3, -0.5).tolist(), _I3, np.multiply(_I3, -0.5).tolist()],
        "description": "Green minus the average of red and blue.",
    },
    "blue": {
        "kernel": [np.multiply(_I3, -0.5).tolist(), np.multiply(_I3, -0.5).tolist(), _I3],
        "description": "Blue minus the average of red and green.",
    },
    "brightness": {
        "kernel": [np.multiply(_I3, w).tolist() for w in _LUMA],
        "description": "Grey level (luma 0.299 R + 0.587 G + 0.114 B): three slices, one map.",
    },
    "vertical-edge": {
        "kernel": [(_EDGE * w).tolist() for w in _LUMA],
        "description": "Jeremy Jordan's vertical-edge detector on the brightness: the same 3×3 "
        "slice in every channel, weighted like luma.",
    },
    "red-edge": {
        "kernel": [_EDGE.tolist(), _Z3, _Z3],
        "description": "A vertical-edge detector that looks only at the red channel (its green "
        "and blue slices are zero): edges of red things only.",
    },
}


def check_kernel(kernel, channels: int) -> np.ndarray:
    """``kernel`` ((kh, kw) for one channel, or (C, kh, kw)) as a float64 (C, kh, kw) array.

    Raises ``ValueError`` naming the depth rule when C differs from the input's ``channels``.
    """
    k = np.asarray(kernel, dtype=np.float64)
    if k.ndim == 2:
        k = k[None]  # (kh, kw) → (1, kh, kw)
    if k.ndim != 3 or 0 in k.shape:
        raise ValueError(f"kernel must be (kh, kw) or (C, kh, kw), got shape {k.shape}")
    if not np.isfinite(k).all():
        raise ValueError("kernel contains NaN or infinity")
    if k.shape[0] != channels:
        names = "R, G, B" if channels == 3 else f"{channels}"
        raise ValueError(
            f"kernel depth {k.shape[0]} does not match the input's {channels} channels "
            f"({names}): a filter needs one {k.shape[1]}×{k.shape[2]} slice per input channel, "
            f"so its shape must be ({channels}, {k.shape[1]}, {k.shape[2]}) — a 5×5×3 filter "
            "for a 32×32×3 image, as Jeremy Jordan's and TechnologyMadeEasy's introductions explain"
        )
    return k


def apply_kernel(
    x: np.ndarray, kernel, bias: float = 0.0, padding="same", stride=1
) -> tuple[np.ndarray, np.ndarray]:
    """Correlate ``x: (C, H, W)`` with ``kernel: (C, kh, kw)`` (or (kh, kw) when C = 1).

    Returns ``(out: (H_out, W_out), parts: (C, H_out, W_out))`` with
    ``out = parts.sum(axis=0) + bias``: each part is one channel's slice on that channel.
    """
    x = np.asarray(x, dtype=np.float64)
    C, H, W = x.shape
    k = check_kernel(kernel, C)
    stride = pair(stride, "stride")
    pad = conv_padding(padding, k.shape[1:], (1, 1))
    parts = []
    for c in range(C):  # channel c alone: x[c]: (1, 1, H, W) with slice k[c]: (1, 1, kh, kw)
        out, _ = conv2d_forward(x[None, c : c + 1], k[None, c : c + 1], None, stride, pad)
        parts.append(out[0, 0])
    parts = np.stack(parts)  # (C, H_out, W_out)
    return parts.sum(axis=0) + float(bias), parts
