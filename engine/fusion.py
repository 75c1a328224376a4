"""Layers run as one where that gives the same numbers with fewer passes over memory.

**A convolution, its batch norm and its ReLU, in an inference forward.** Where a convolution's
only reader is an evaluation batch norm and (or) a ReLU / clamp (ReLU6), and nothing else reads
what lies between, :meth:`engine.model.Model.forward` without ``return_all`` runs the three as
the convolution with an :class:`engine.ops.epilogue.Epilogue`: each block of the output gets the
batch norm and the clamp while it is in cache, and the three layers' outputs are one array (the
middle ones are never returned). Bit for bit the plain forward's result (``return_all`` runs the
plain one: it returns every layer's own output). :class:`PreparedConvs` keeps each one's
epilogue and folded weights for the next forward, checked against their sources every time.

**ReLU then max-pooling: one backward pass instead of two, with the same result.**

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

import math

import numpy as np

from engine import graph
from engine.layers import Layer
from engine.ops.epilogue import Epilogue, epilogue
from engine.ops.pool import pooled_output

KEEP_FOLDED_VALUES = 16_384  # folded weights kept between forwards up to this size (64 KB)
CLAMPS = {"relu": lambda layer: (0, None), "hardtanh": lambda layer: (layer.min_val, layer.max_val)}


def conv_chains(layers: list[Layer], inputs: list[list[int]]) -> dict[int, list[int]]:
    """``{convolution: [batch norm and/or clamp after it]}``: the layers an inference forward
    folds into each convolution's epilogue. Each one's only input is the layer before in the
    chain, which nothing else reads; order: batch norm first (if any), then the clamp."""
    readers = graph.consumers(inputs)  # {node: [layers reading it]}

    def sole_reader(j: int) -> int | None:
        ks = readers.get(j, [])
        return ks[0] if len(ks) == 1 and inputs[ks[0]] == [j] else None

    chains = {}
    for i, layer in enumerate(layers):
        if layer.type != "conv2d":
            continue
        chain, k = [], sole_reader(i)
        if k is not None and layers[k].type == "batchnorm2d":
            chain, k = [k], sole_reader(k)
        if k is not None and layers[k].type in CLAMPS:
            chain.append(k)
        if chain:
            chains[i] = chain
    return chains


def chain_epilogue(layers: list[Layer], chain: list[int], dtype) -> Epilogue:
    """The :class:`Epilogue` of a chain from :func:`conv_chains` (or its first part)."""
    norm, clamp = None, (None, None)
    for k in chain:
        layer = layers[k]
        if layer.type == "batchnorm2d":
            p, b = layer.params, layer.buffers
            norm = (p["weight"], p["bias"], b["running_mean"], b["running_var"], layer.eps)
        else:
            clamp = CLAMPS[layer.type](layer)
    return epilogue(dtype, norm, clamp)


class PreparedConvs:
    """Each fused convolution's weights and :class:`Epilogue`, kept from one inference forward
    to the next while what they were made from is unchanged.

    Building an epilogue (a batch norm's ``a`` and ``b``: ~20 NumPy calls on (C,) vectors) and
    folding it into small weights (:meth:`Epilogue.fold`) cost MobileNetV2 ~2.5 ms of a ~20 ms
    forward, every forward. An entry is reused only for the same chain, input shape and dtype,
    eps and clamp bounds, and the same arrays *with the same bytes*: the batch norm's four
    vectors always, the convolution's weight and bias where they were folded. A reassigned
    array, an optimiser step or any edit in place makes a new entry; nothing can go stale.
    Folded weights are kept only up to :data:`KEEP_FOLDED_VALUES` values a convolution: past
    that, comparing their bytes costs more than folding again, and a large batch (which folds
    more layers) would keep a copy of most of the model; those are folded every forward.
    """

    def __init__(self):
        self._entries: dict[int, tuple] = {}  # conv index → (key, vectors, weights, prepared)

    def get(self, layers: list[Layer], i: int, chain: list[int], x_in: np.ndarray):
        """``(w, b, epilogue)`` for convolution ``i`` on ``x_in``, its ``chain`` fused."""
        conv = layers[i]
        w, b = conv.params["weight"], conv.params.get("bias")
        vectors: list = []  # the batch norm's, if any
        key = [tuple(chain), x_in.shape, x_in.dtype, w.dtype]  # with eps and the clamp bounds
        for k in chain:
            layer = layers[k]
            if layer.type == "batchnorm2d":
                vectors += (*layer.params.values(), *layer.buffers.values())
                key.append(layer.eps)
            else:
                key.append(CLAMPS[layer.type](layer))
        entry = self._entries.get(i)
        if entry is not None and entry[0] == key and _same(entry[1], vectors):
            folded, (w_f, b_f, ep) = entry[2], entry[3]
            if folded is None:  # nothing folded: the layer's own (current) weights
                return w, b, ep
            if folded == "refold":  # large weights: fold them again
                return ep.fold(w, b, entry[4])
            if _same(folded, (w, b)):
                return w_f, b_f, ep
        ep = chain_epilogue(layers, chain, np.result_type(x_in, w))
        out_values = x_in.shape[0] * math.prod(conv.output_shape(x_in.shape[1:]))
        w_f, b_f, rest = ep.fold(w, b, out_values)
        if rest is ep:  # the weights are read afresh each time: not kept
            prepared, folded = (None, None, ep), None
        elif w.size > KEEP_FOLDED_VALUES:
            prepared, folded = (None, None, ep), "refold"
        else:
            prepared, folded = (w_f, b_f, rest), _snapshot((w, b))
        self._entries[i] = (key, _snapshot(vectors), folded, prepared, out_values)
        return w_f, b_f, rest


def _snapshot(arrays) -> tuple:
    """Each array (or None) with a copy of its bytes."""
    return tuple((a, None if a is None else a.tobytes()) for a in arrays)


def _same(snapshot: tuple, arrays) -> bool:
    """Whether ``arrays`` are the snapshot's arrays, each holding the same bytes."""
    if len(snapshot) != len(arrays):
        return False
    for (kept, data), a in zip(snapshot, arrays, strict=True):
        if a is not kept or (a is not None and a.tobytes() != data):
            return False
    return True


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
