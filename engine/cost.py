"""What running a model costs, estimated from its layers before any of it runs.

The unit is a *multiply-add equivalent* per image for one forward pass through layers
``[0, stop)``: a conv layer's multiply-adds (``F·(C/groups)·kh·kw·H_out·W_out``) and a dense
layer's (``in·out``), a pooling window's comparisons (``kh·kw`` per output), the error
function's series for an exact GELU or an erf (``special.MULTIPLY_ADDS`` per value), plus
``ELEMENT_COST`` for every element each layer reads and writes (and a conv layer's im2col
buffer), which is what the small layers cost. A backward pass with the input gradient costs
about twice a forward one (``BACKWARD_FACTOR``: forward + backward = 3 passes).

The service multiplies this by what a request asks for (units × steps for activation
maximisation, patches for occlusion, path points for integrated gradients) and refuses a
request over its limit before any work starts. ``bench/bench_limits.py`` measures what the
estimate means in seconds.
"""

from __future__ import annotations

import math

from engine.ops import special

ELEMENT_COST = 4
FORWARD_BACKWARD = 3  # one forward and one backward pass with the input gradient


def _size(shape) -> int:
    return math.prod(int(d) for d in shape)


def layer_cost(info: dict) -> int:
    """One image through one layer, from its ``LayerInfo`` (type, config, shapes)."""
    kind, config = info["type"], info.get("config") or {}
    inputs = info.get("input_shapes") or [info["input_shape"]]  # a merge layer reads several
    n_in, n_out = sum(_size(s) for s in inputs), _size(info["output_shape"])
    cost = ELEMENT_COST * (n_in + n_out)
    if kind == "conv2d":
        kh, kw = config["kernel_size"]
        groups = int(config.get("groups", 1) or 1)
        per_output = (int(config["in_channels"]) // groups) * kh * kw
        spatial = n_out // max(int(config["out_channels"]), 1)
        cost += n_out * per_output + ELEMENT_COST * int(config["in_channels"]) * kh * kw * spatial
    elif kind == "dense":
        cost += int(config["in_features"]) * int(config["out_features"])
    elif kind == "erf" or (kind == "gelu" and config.get("approximate", "none") == "none"):
        cost += special.MULTIPLY_ADDS * n_out  # the error function's series, per value
    elif "kernel_size" in config:  # a pooling window
        kh, kw = config["kernel_size"]
        cost += n_out * kh * kw
    return cost


def pass_cost(model, stop: int | None = None) -> int:
    """Multiply-add equivalents for one image through layers ``[0, stop)`` (default: all)."""
    infos = model.layer_info()
    return sum(layer_cost(info) for info in infos[:stop])
