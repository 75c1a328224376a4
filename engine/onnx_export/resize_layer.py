"""The resize layer as ONNX Resize (opset 17): its mode and coordinate transform as
attributes; the scale factors it was given as ``scales``, else the output size as ``sizes``
(the batch and channel sizes read from the input's Shape, so the batch stays free)."""

from __future__ import annotations

import numpy as np

from engine.onnx_export.layers import Emitter, converts


@converts("resize2d")
def resize2d(em: Emitter, layer, info, srcs):
    c = info["config"]
    attrs = {
        "mode": "nearest" if c["mode"] == "nearest" else "linear",
        "coordinate_transformation_mode": c["coordinate"],
    }
    if c["mode"] == "nearest":
        attrs["nearest_mode"] = c.get("nearest_mode", "floor")
    if c.get("scale") is not None:
        scales = em.const("scales", [1.0, 1.0, *c["scale"]], np.float32)
        em.node("Resize", [srcs[0], "", scales], **attrs)
        return
    shape = em.node("Shape", [srcs[0]], step="shape", start=0, end=2)  # N, C
    size = em.const("size", [int(d) for d in c["size"]], np.int64)
    sizes = em.node("Concat", [shape, size], step="sizes", axis=0)
    em.node("Resize", [srcs[0], "", "", sizes], **attrs)
