"""ONNX Resize (opsets 10–19) and Upsample (7–9) → the engine's ``resize2d`` layer.

Nearest and linear over H and W of an N×C×H×W map, as PyTorch's ``nn.Upsample`` and
``F.interpolate`` export them (nearest: ``asymmetric`` + ``floor``; bilinear: ``half_pixel`` or
``align_corners``) and as other converters write them. The output size is the inferred shape;
a scale factor given as ``scales`` is kept, because the coordinates use it, not out/in. Refused,
naming the attribute: cubic, antialiasing, the TensorFlow crop-and-resize and nearest-neighbour
transforms, scaling N or C, and an aspect-ratio policy other than ``stretch``.
"""

from __future__ import annotations

import numpy as np

from engine.onnx_import.builder import Builder
from engine.ops.resize import COORDINATES, NEAREST_MODES

KNOWN = {
    "mode",
    "coordinate_transformation_mode",
    "nearest_mode",
    "cubic_coeff_a",
    "exclude_outside",
    "extrapolation_value",
    "antialias",
    "axes",
    "keep_aspect_ratio_policy",
    "scales",  # Upsample-7's attribute
}


def resize(b: Builder, node) -> None:
    attrs = b.attrs(node, KNOWN)
    x = b.act(node.input[0], node)
    if len(x.shape) != 3:
        b.fail(node, f"only the two spatial axes of N×C×H×W are resized (input {list(x.shape)})")
    mode = str(attrs.get("mode", "nearest"))
    if mode not in ("nearest", "linear", "bilinear"):
        b.fail(node, f"mode = {mode!r} is not supported (nearest or linear)")
    legacy = node.op_type == "Upsample" or b.opset < 11  # Upsample and Resize-10: asymmetric
    coordinate = str(attrs.get("coordinate_transformation_mode", "half_pixel"))
    coordinate = "asymmetric" if legacy else coordinate
    if coordinate not in COORDINATES:
        b.fail(node, f"coordinate_transformation_mode = {coordinate!r} is not supported")
    nearest_mode = str(attrs.get("nearest_mode", "round_prefer_floor"))
    nearest_mode = "floor" if legacy else nearest_mode  # PyTorch's nearest before opset 11
    if nearest_mode not in NEAREST_MODES:
        b.fail(node, f"nearest_mode = {nearest_mode!r} is not supported")
    if int(attrs.get("antialias", 0)):
        b.fail(node, "antialias = 1 is not supported")
    policy = str(attrs.get("keep_aspect_ratio_policy", "stretch"))
    if policy != "stretch":
        b.fail(node, f"keep_aspect_ratio_policy = {policy!r} is not supported")
    axes = attrs.get("axes")
    scale = _scales(b, node, attrs, legacy, axes)
    out_shape = b.onnx_per_example(node.output[0], node)
    if out_shape[0] != x.shape[0]:
        b.fail(node, "resizing the channel axis is not supported")
    config = {
        "size": [int(d) for d in out_shape[1:]],
        "mode": "nearest" if mode == "nearest" else "bilinear",
        "coordinate": coordinate,
    }
    if mode == "nearest":
        config["nearest_mode"] = nearest_mode
    if scale is not None:
        config["scale"] = scale
    b.emit(node, "resize2d", config, [x], node.output[0], shape=out_shape)


def _scales(b: Builder, node, attrs: dict, legacy: bool, axes) -> list[float] | None:
    """The (height, width) scale factors the coordinates use: the ``scales`` given (refusing a
    scale of N or C other than 1), or None when the node gives ``sizes`` instead."""
    if node.op_type == "Upsample" and "scales" in attrs:
        scales = np.asarray(attrs["scales"], dtype=np.float64)
    else:
        index = 1 if legacy else 2  # Resize-11+: X, roi, scales, sizes
        scales = b.const_input(node, index, "scales")
    if scales is None or scales.size == 0:
        return None
    scales = [float(s) for s in np.ravel(scales)]
    if axes is not None:  # opset 18: the scales of the axes named, the rest 1
        full = [1.0, 1.0, 1.0, 1.0]
        for a, s in zip(axes, scales, strict=True):
            full[int(a) % 4] = s
        scales = full
    if len(scales) != 4 or scales[0] != 1.0 or scales[1] != 1.0:
        b.fail(node, f"scales = {scales} is not supported (only H and W of N×C×H×W)")
    return scales[2:]
