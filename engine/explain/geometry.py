"""Receptive fields: the input pixels one activation of a spatial layer depends on.

Back through a conv or pooling layer (kernel ``k``, stride ``s``, padding ``p``, dilation ``d``),
output rows ``lo..hi`` (inclusive) read padded-input rows ``lo*s .. hi*s + d*(k-1)``, i.e. input
rows ``lo*s - p .. hi*s - p + d*(k-1)``; elementwise layers (ReLU, batch norm, add) keep the
range, and a layer with several inputs (a residual add, a concat) sees the union of theirs.
Layers that move values between channels but keep every position (ShuffleNet's channel shuffle:
a reshape, transpose and reshape that leave H and W last) keep the range too; a slice of H or W
shifts it; a resize maps each output row to the input rows it interpolates from. A layer that
gathers maps into a vector (global pooling, a flatten) reads the whole map, and what comes of
the vector (a squeeze-and-excitation gate, dense layers, a reshape back to maps) depends on all
of it: through them the box is the whole map. Any other layer (attention's products, which mix
positions; a transpose of H and W) may read every position of its input: the whole map again,
an upper bound, so every layer has a box.
Repeating this from the layer down to the input gives the box. Boxes may stick out of the
image where a layer pads; :func:`crop_patches` fills that part with zeros, the value padding
adds.
"""

from __future__ import annotations

import numpy as np

from engine.layers import Conv2D, Pad, Resize2d, _Pool2D
from engine.model import Model

# Layers that keep every position where it is: an output position reads the same position of
# each input (elementwise activations, normalisation per channel, merges, concatenation).
_POINTWISE = frozenset(
    ("relu", "leakyrelu", "elu", "sigmoid", "tanh", "batchnorm2d", "dropout", "identity")
    + ("hardtanh", "hardsigmoid", "hardswish", "silu", "selu", "prelu")  # ReLU6 is a hardtanh
    + ("gelu", "erf", "layernorm2d", "localresponsenorm")  # across channels, per position
    + ("add", "sub", "mul", "div")
)

# Layers whose output at any position reads every position of their input map (a group norm's
# statistics, MVN's): their box is the whole input map.
_WHOLE = frozenset(("groupnorm", "meanvariancenormalization"))
_MOVING = frozenset(("reshape", "transpose", "squeeze", "unsqueeze", "narrow", "concat"))
_ALONG = frozenset(("narrow", "concat", "sum", "softmaxdim"))  # act along one axis, ``dim``


def _keeps_positions(model: Model, i: int) -> bool:
    """Whether layer ``i`` moves values among its leading axes only, so each (h, w) stays
    where it is: a reshape, squeeze or unsqueeze between shapes ending in the same H, W (in
    row-major order an (h, w) keeps its place), a transpose that leaves the last two axes
    last, a slice, join (concat), sum or softmax along a leading axis."""
    ly = model.layers[i]
    if ly.type not in _MOVING | _ALONG:
        return False
    shape_in, shape_out = model.input_shapes(i)[0], model.shapes[i + 1]
    if min(len(shape_in), len(shape_out)) < 3 or shape_in[-2:] != shape_out[-2:]:
        return False
    if ly.type == "transpose":
        n = len(ly.perm)
        return list(ly.perm[-2:]) == [n - 2, n - 1]
    if ly.type in _ALONG:  # a slice, join, sum or softmax along a leading axis
        return ly.dim % (len(shape_in) + 1) - 1 < len(shape_in) - 2
    return True


def _crops(model: Model, i: int) -> bool:
    """Whether layer ``i`` is a slice of the H or W axis of (C, H, W) maps."""
    ly = model.layers[i]
    return ly.type == "narrow" and len(model.input_shapes(i)[0]) == 3 and ly.dim >= 2


def _gathers(model: Model, i: int) -> bool:
    """Whether layer ``i`` turns a (C, H, W) map into a vector: global pooling, a flatten, a
    reshape or dense layer on maps — every output value may read every position."""
    maps = any(len(s) >= 3 for s in model.input_shapes(i))
    return maps and len(model.shapes[i + 1]) < 3


def _reads_vectors(model: Model, i: int) -> bool:
    """Whether every input of layer ``i`` is a vector (no positions to follow)."""
    return all(len(s) < 3 for s in model.input_shapes(i))


def _check_index(model: Model, layer: int) -> None:
    """ValueError unless ``layer`` is a layer's index (every layer has a box)."""
    n = len(model.layers)
    if isinstance(layer, bool) or not isinstance(layer, (int, np.integer)) or not 0 <= layer < n:
        raise ValueError(f"layer must be an index in 0..{n - 1}, got {layer!r}")


def _through(model: Model, n: int, box: tuple) -> tuple:
    """Rows/columns ``box`` (inclusive) of layer ``n``'s output → the rows/columns of its
    input."""
    ly, (top, left, bottom, right) = model.layers[n], box
    if ly.type in _WHOLE or _gathers(model, n):
        return _whole(model, n, top)
    if _reads_vectors(model, n):  # no positions here: the map it came from is read whole
        return box
    if isinstance(ly, Pad):
        t, lf, _, _ = ly.pads
        return top - t, left - lf, bottom - t, right - lf
    if ly.type in _POINTWISE or _keeps_positions(model, n):
        return box
    if _crops(model, n):  # narrow of H (dim 2) or W (dim 3): output row r is input row r+start
        dh, dw = (ly.start, 0) if ly.dim == 2 else (0, ly.start)
        return top + dh, left + dw, bottom + dh, right + dw
    if isinstance(ly, Resize2d):
        return _resized(ly, model.input_shapes(n)[0][1:], box)
    if not isinstance(ly, (Conv2D, _Pool2D)):  # positions mixed (attention, a transpose of
        return _whole(model, n, top)  # H and W): any of the input's may be read
    (kh, kw), (sh, sw), (ph, pw) = ly.kernel_size, ly.stride, ly.padding
    dh, dw = getattr(ly, "dilation", (1, 1))
    return (
        top * sh - ph,
        left * sw - pw,
        bottom * sh - ph + dh * (kh - 1),
        right * sw - pw + dw * (kw - 1),
    )


def _whole(model: Model, n: int, like) -> tuple:
    """The whole map of layer ``n``'s first input with positions (rows and columns, inclusive),
    shaped like ``like`` (an int or an array of them)."""
    H, W = next((s for s in model.input_shapes(n) if len(s) >= 2), (1, 1))[-2:]
    zero = np.zeros_like(np.asarray(like))
    return zero, zero, zero + H - 1, zero + W - 1


def _resized(ly: Resize2d, in_hw, box: tuple) -> tuple:
    """Rows/columns ``box`` of a resize's output → the input rows/columns they interpolate
    from (each output row's first to last input row with a weight; clipped to the map)."""
    top, left, bottom, right = box
    spans = []
    for A in ly.matrices(*in_hw):  # (n_out, n_in), rows increasing
        used = A != 0
        first = used.argmax(axis=1)
        last = A.shape[1] - 1 - used[:, ::-1].argmax(axis=1)
        spans.append((first, last, A.shape[0] - 1))
    (fh, lh, mh), (fw, lw, mw) = spans
    return (
        fh[np.clip(top, 0, mh)],
        fw[np.clip(left, 0, mw)],
        lh[np.clip(bottom, 0, mh)],
        lw[np.clip(right, 0, mw)],
    )


def _hull(a: tuple | None, b: tuple) -> tuple:
    if a is None:
        return b
    return (
        np.minimum(a[0], b[0]),
        np.minimum(a[1], b[1]),
        np.maximum(a[2], b[2]),
        np.maximum(a[3], b[3]),
    )


def input_box(model: Model, layer: int, i, j) -> tuple[np.ndarray, ...]:
    """The input box seen by output position ``(i, j)`` of layer ``layer`` (ints or arrays).

    Returns ``(top, left, bottom, right)``, half-open (rows ``top..bottom-1``), in input pixel
    coordinates, possibly outside ``[0, H) × [0, W)``. In a graph, the box holds what every
    path from the input reaches.
    """
    _check_index(model, layer)
    i, j = np.asarray(i), np.asarray(j)
    # Every map from a node's rows to its input's rows is increasing, so the hull of the
    # boxes arriving at a node maps to the hull of their images: one sweep down the layers.
    pending: dict[int, tuple] = {int(layer): (i, j, i, j)}
    for n in range(int(layer), -1, -1):
        if n in pending:
            box = _through(model, n, pending.pop(n))
            for m in model.inputs[n]:
                pending[m] = _hull(pending.get(m), box)
    top, left, bottom, right = pending[-1]
    return top, left, bottom + 1, right + 1


def receptive_field(model: Model, layer: int) -> tuple[int, int]:
    """``(height, width)`` of the input box of one output position of ``layer``."""
    top, left, bottom, right = input_box(model, layer, 0, 0)
    return int(bottom - top), int(right - left)


def crop_patches(
    images: np.ndarray, index: np.ndarray, top: np.ndarray, left: np.ndarray, size: tuple[int, int]
) -> np.ndarray:
    """Cut ``size`` boxes out of ``images``, zero outside the image.

    images: (N, H, W) or (N, C, H, W); index, top, left: (P,) → patches: (P, h, w) or
    (P, C, h, w), same dtype as ``images``.
    """
    h, w = size
    pad = max(h, w)
    widths = [(0, 0)] * (images.ndim - 2) + [(pad, pad), (pad, pad)]
    padded = np.pad(images, widths)  # (N, [C,] H + 2 pad, W + 2 pad)
    out = np.empty((len(index), *images.shape[1:-2], h, w), dtype=images.dtype)
    for p, (n, r, c) in enumerate(zip(index, top, left, strict=True)):
        out[p] = padded[n, ..., r + pad : r + pad + h, c + pad : c + pad + w]
    return out
