"""Grad-CAM (Selvaraju et al., 2017): where in a layer's feature maps the class score comes from.

For a layer with output ``A: (N, C, h, w)`` and class ``c``::

    alpha[n, k] = mean over (i, j) of d logit_c / d A[n, k, i, j]      # channel weights
    cam[n]      = ReLU(sum_k alpha[n, k] * A[n, k])                    # (N, h, w)

then ``cam`` is upsampled to the input size. The layer is any layer whose output is a stack of
feature maps ``(C, h, w)``: a conv layer, or its ReLU or pooling successor. The default is the
last conv layer, taken after its ReLU when one follows (the paper's "rectified conv features").

Upsampling is bilinear with half-pixel centres (PyTorch's ``align_corners=False``, OpenCV's
``resize``), or nearest. Either is only a picture of where the evidence is: a unit of a deep
layer sees a whole receptive field, not the block of pixels its map cell is stretched over.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.explain.common import check_input, check_targets, detached, logits_stop, one_hot
from engine.model import Model

UPSAMPLE_MODES = ("bilinear", "nearest")


def spatial_layers(model: Model) -> list[int]:
    """Indices of the layers (before the logits) whose output is ``(C, h, w)`` feature maps."""
    stop = logits_stop(model)
    return [i for i in range(stop) if len(model.shapes[i + 1]) == 3]


def default_gradcam_layer(model: Model) -> int:
    """The last conv layer, followed on through the layers right after it that read it and
    keep its map size (batch norm, a residual ``add``, a ``concat`` of branches, the ReLU: the
    block's rectified output); ValueError if there is no conv layer."""
    spatial = spatial_layers(model)
    convs = [i for i in spatial if model.layers[i].type == "conv2d"]
    if not convs:
        raise ValueError(f"{model.name} has no conv2d layer for Grad-CAM")
    i = convs[-1]
    while (
        i + 1 in spatial
        and i in model.inputs[i + 1]
        and model.layers[i + 1].type in _BLOCK_TAIL
        and model.shapes[i + 2][1:] == model.shapes[i + 1][1:]  # the same map size
    ):
        i += 1
    return i


_BLOCK_TAIL = ("relu", "leakyrelu", "elu", "batchnorm2d", "add", "concat")


def check_layer(model: Model, layer: int) -> int:
    """``layer`` if its output is ``(C, h, w)``; ValueError naming the allowed indices otherwise."""
    allowed = spatial_layers(model)
    if isinstance(layer, bool) or not isinstance(layer, (int, np.integer)) or layer not in allowed:
        raise ValueError(
            f"layer must be the index of a layer with (C, H, W) output, one of {allowed}, "
            f"got {layer!r}"
        )
    return int(layer)


def interpolation_matrix(n_in: int, n_out: int, mode: str = "bilinear") -> np.ndarray:
    """R: (n_out, n_in) such that ``R @ v`` resamples a length-``n_in`` signal to ``n_out``.

    bilinear: source coordinate ``(i + 0.5) * n_in / n_out - 0.5``, clamped to the edges;
    nearest: source index ``floor(i * n_in / n_out)`` (PyTorch's ``mode="nearest"``).
    """
    if mode not in UPSAMPLE_MODES:
        raise ValueError(f"upsample must be one of {UPSAMPLE_MODES}, got {mode!r}")
    R = np.zeros((n_out, n_in))
    rows = np.arange(n_out)
    if mode == "nearest":
        R[rows, np.minimum((rows * n_in) // n_out, n_in - 1)] = 1.0
        return R
    src = np.clip((rows + 0.5) * n_in / n_out - 0.5, 0, n_in - 1)
    i0 = np.floor(src).astype(int)
    i1 = np.minimum(i0 + 1, n_in - 1)
    frac = src - i0
    np.add.at(R, (rows, i0), 1 - frac)
    np.add.at(R, (rows, i1), frac)
    return R


def upsample(maps: np.ndarray, size: tuple[int, int], mode: str = "bilinear") -> np.ndarray:
    """maps: (N, h, w) → (N, H, W), separably: ``Ry @ map @ Rx.T``."""
    N, h, w = maps.shape
    Ry = interpolation_matrix(h, size[0], mode).astype(maps.dtype)  # (H, h)
    Rx = interpolation_matrix(w, size[1], mode).astype(maps.dtype)  # (W, w)
    return Ry @ maps @ Rx.T  # (H, h) @ (N, h, w) @ (w, W) → (N, H, W)


@dataclass
class GradCAM:
    """cam: (N, H, W) at the input size; raw: (N, h, w) at the layer's size;
    weights: (N, C) the channel weights alpha; score, target: (N,); layer: its index."""

    cam: np.ndarray
    raw: np.ndarray
    weights: np.ndarray
    score: np.ndarray
    target: np.ndarray
    layer: int
    upsample: str


def gradcam(
    model: Model,
    x: np.ndarray,
    target,
    layer: int | None = None,
    upsample_mode: str = "bilinear",
) -> GradCAM:
    """Grad-CAM of ``logit_target`` at ``layer`` (default :func:`default_gradcam_layer`).

    x: (N, C, H, W), target: int or (N,) ints.
    """
    x = check_input(model, x)
    layer = default_gradcam_layer(model) if layer is None else check_layer(model, layer)
    if upsample_mode not in UPSAMPLE_MODES:
        raise ValueError(f"upsample must be one of {UPSAMPLE_MODES}, got {upsample_mode!r}")
    targets = check_targets(model, target, len(x))
    net, stop = detached(model), logits_stop(model)
    outputs = net.forward(x, backprop=True, stop=stop, return_all=True)
    A, logits = outputs[layer], outputs[-1]  # A: (N, C, h, w), logits: (N, K)
    dlogits = one_hot(targets, logits.shape[1], logits.dtype)
    dA = net.backward(dlogits, stop=stop, start=layer + 1, input_grad=True)  # (N, C, h, w)
    weights = dA.mean(axis=(2, 3))  # (N, C)
    raw = np.maximum((weights[:, :, None, None] * A).sum(axis=1), 0)  # (N, h, w)
    cam = upsample(raw, model.input_shape[1:], upsample_mode)
    score = logits[np.arange(len(x)), targets]
    return GradCAM(cam, raw, weights, score, targets, layer, upsample_mode)
