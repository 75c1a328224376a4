"""ReLU then max-pooling: one backward pass instead of two, with the same result.

Max-pooling's backward sends each window's gradient to its winner only, and the winner's value
*is* the window's output. So ReLU's mask ``relu_out > 0``, read at the winners, is
``pool_out > 0``: masking the pooled gradient (a quarter of the values for 2×2 windows) before
the pooling backward gives exactly what ReLU's backward would give after it — including
windows of zeros, whose first winner gets 0 either way. Then the ReLU's own backward (a full
pass over the larger map and a mask) is skipped. :meth:`engine.model.Model.backward` applies
it to every ReLU read by one max-pool and nothing else; ``Model.backward(fuse=False)`` is the
plain twin the tests compare it with.
"""

from __future__ import annotations

import numpy as np

from engine import graph
from engine.layers import Layer
from engine.ops.pool import pooled_output


def relu_max_pairs(layers: list[Layer], inputs: list[list[int]]) -> dict[int, int]:
    """``{max-pool index: ReLU index}`` for every max-pool whose one input is a ReLU that no
    other layer reads."""
    readers = graph.consumers(inputs)  # {node: [layers reading it]}
    return {
        i: ins[0]
        for i, (layer, ins) in enumerate(zip(layers, inputs, strict=True))
        if layer.type == "maxpool2d"
        and len(ins) == 1
        and ins[0] >= 0
        and layers[ins[0]].type == "relu"
        and len(readers[ins[0]]) == 1
    }


def mask_for_relu(pool_layer: Layer, dout: np.ndarray) -> np.ndarray | None:
    """``dout * (pool_out > 0)``: the pooled gradient with the ReLU below already applied.

    dout: (N, C, H_out, W_out) → same shape, or None when the pool's cache does not keep its
    output (then nothing is fused).
    """
    out = pooled_output(pool_layer.cache)
    if out is None:
        return None
    masked = np.empty_like(dout)
    np.greater(out, 0, out=masked)  # 1.0 where positive, else 0.0
    masked *= dout
    return masked
