"""The blocks of a network that is not a chain: residual blocks, Inception modules, dense blocks —
the stretches of layers a page may fold into one column, found from the graph alone.

Layers are listed so that every layer comes after its inputs (``Model.layer_info``). Call the
edge "layer ``a`` feeds layer ``j``" *long* when ``j > a + 1``: it jumps over the layers listed
between them. A layer no long edge jumps over is a **cut**: everything after it reads only it
and the layers after it. A block is a maximal run of layers that long edges jump over, together
with the cut that ends it — the merge (``add``, ``concat``, ``mul``) where the branches meet.
So a block reads exactly one outside output (the cut before it, or the network input) and only
its last layer is read from outside: it behaves like one layer, and can be drawn as one.

One-input activations right after the merge that read only it (ResNet's ReLU after the add)
join the block, so a folded residual block is the whole ``relu(F(x) + x)``.
"""

from __future__ import annotations

# Layers that map each value to one value, the same shape in and out: they may end a block.
ACTIVATIONS = frozenset(
    {"relu", "relu6", "hardtanh", "leakyrelu", "sigmoid", "tanh", "elu", "selu", "silu", "gelu",
     "hardswish", "hardsigmoid", "prelu", "softplus", "mish"}
)  # fmt: skip

# What the merge that ends a block says it is.
KINDS = {"add": "residual", "concat": "concat", "mul": "gated"}


def find_blocks(layers: list[dict]) -> list[dict]:
    """``layers``: ``Model.layer_info()`` (each with ``index``, ``name``, ``type``, ``inputs``,
    ``-1`` the network input) → the blocks in order, each
    ``{"first", "last", "input", "name", "kind", "merge"}``: layers ``first..last`` inclusive,
    the one layer it reads (``input``, ``-1`` the network input), a name (the layers' common
    dotted prefix, else the merge's name), ``kind`` (``residual``, ``concat``, ``gated`` or
    ``branches``) and the merge layer's index. A chain has none."""
    n = len(layers)
    # jumped[i]: how many long edges jump over layer i (a difference array over positions)
    starts = [0] * (n + 1)
    for info in layers:
        j = info["index"]
        for a in info["inputs"]:
            if j > a + 1:
                starts[a + 1] += 1
                starts[j] -= 1
    jumped, running = [], 0
    for i in range(n):
        running += starts[i]
        jumped.append(running > 0)
    blocks = []
    i = 0
    while i < n:
        if not jumped[i]:
            i += 1
            continue
        first = i
        while jumped[i]:
            i += 1  # the run ends at a cut: the last layer is never jumped over
        merge = last = i
        while last + 1 < n and not jumped[last + 1] and _activation_of(layers[last + 1], last):
            last += 1
        blocks.append(_block(layers, first, last, merge))
        i = last + 1
    return blocks


def _activation_of(info: dict, index: int) -> bool:
    """Whether ``info`` is an activation that reads layer ``index`` alone."""
    return info["type"] in ACTIVATIONS and info["inputs"] == [index]


def _block(layers: list[dict], first: int, last: int, merge: int) -> dict:
    names = [layers[k]["name"] for k in range(first, last + 1)]
    return {
        "first": first,
        "last": last,
        "input": first - 1,
        "name": common_prefix(names) or layers[merge]["name"],
        "kind": KINDS.get(layers[merge]["type"], "branches"),
        "merge": merge,
    }


def common_prefix(names: list[str]) -> str:
    """The dotted (or slashed) path every name starts with: ``["4.conv1", "4.relu", "4"]`` →
    ``"4"``; ``""`` when they share none."""
    split = [name.replace("/", ".").strip(".").split(".") for name in names]
    prefix = []
    for parts in zip(*split, strict=False):
        if any(p != parts[0] for p in parts):
            break
        prefix.append(parts[0])
    return ".".join(prefix)
