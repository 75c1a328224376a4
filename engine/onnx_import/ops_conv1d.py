"""A 1-D Conv over N×C×L and an Expand read by an elementwise operator → engine layers.

ECA-Net's channel attention (timm's ECA-ResNets) pools each channel, views the C values as a
sequence of one channel, runs a small 1-D convolution along it, and expands the sigmoid of the
result to the map it scales. The 1-D convolution becomes a ``conv2d`` of kernel ``1 × k`` on
the sequence viewed as a map of one row — reshape ``(C, L) → (C, 1, L)``, conv2d, reshape back —
and the Expand is the broadcast the elementwise operator after it does anyway.
"""

from __future__ import annotations

from engine.onnx_import.builder import Act, Builder

CONV_ATTRS = {"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"}
ELEMENTWISE = {"Add", "Sub", "Mul", "Div"}


def conv1d(b: Builder, node, x: Act, w) -> None:
    """Conv with weights ``w (F, C/groups, k)`` on ``x``, whose per-example shape is (C, L)."""
    attrs = b.attrs(node, CONV_ATTRS)
    if str(attrs.get("auto_pad", "NOTSET")) not in ("NOTSET", "VALID"):
        b.fail(node, f"auto_pad = {attrs['auto_pad']!r} is not supported on a 1-D convolution")
    F_, Cg, k = (int(d) for d in w.shape)
    C, L = x.shape
    groups = int(attrs.get("group", 1))
    if groups < 1 or Cg * groups != C or F_ % groups:
        b.fail(node, f"group = {groups} does not fit {C} channels and weights {list(w.shape)}")
    one = {key: list(attrs.get(key, [default])) for key, default in
           (("kernel_shape", k), ("strides", 1), ("dilations", 1))}  # fmt: skip
    pads = list(attrs.get("pads", [0, 0]))
    if any(len(v) != 1 for v in one.values()) or len(pads) != 2 or one["kernel_shape"] != [k]:
        b.fail(node, f"attributes {one} and pads = {pads} do not describe a 1-D convolution")
    (s,), (d,) = one["strides"], one["dilations"]
    out_len = (L + pads[0] + pads[1] - d * (k - 1) - 1) // s + 1
    if out_len < 1:
        b.fail(node, f"a kernel of {k} does not fit a sequence of {L}")
    bias = b.const(node.input[2]) if len(node.input) > 2 and node.input[2] else None
    if len(node.input) > 2 and node.input[2] and bias is None:
        b.fail(node, "the bias must be a constant (an initializer)")
    row = b.emit(node, "reshape", {"shape": [C, 1, L]}, [x], None, shape=(C, 1, L))
    if pads[0] != pads[1]:
        config = {"pads": [0, int(pads[0]), 0, int(pads[1])], "value": 0.0}
        row = b.emit(node, "pad", config, [row], None, shape=(C, 1, L + pads[0] + pads[1]))
        pads = [0, 0]
    config = {
        "in_channels": C,
        "out_channels": F_,
        "kernel_size": [1, k],
        "stride": [1, s],
        "padding": [0, int(pads[0])],
        "dilation": [1, d],
        "groups": groups,
        "bias": bias is not None,
    }
    params = {"weight": w.reshape(F_, Cg, 1, k)}
    if bias is not None:
        params["bias"] = bias.reshape(F_)
    made = b.emit(node, "conv2d", config, [row], None, params, shape=(F_, 1, out_len))
    b.emit(node, "reshape", {"shape": [F_, out_len]}, [made], node.output[0], shape=(F_, out_len))


def expand(b: Builder, node) -> None:
    """Expand of an activation, when every reader is Add/Sub/Mul/Div whose other operand has
    the expanded per-example shape: those broadcast, so the Expand is its input."""
    b.attrs(node, set())
    x = b.raw_act(node.input[0], node)
    target = b.onnx_per_example(node.output[0], node)
    readers = b.consumers.get(node.output[0], [])
    for reader in readers:
        others = [n for n in reader.input if n != node.output[0]]
        shapes = [b.prep.shapes.get(n) for n in others]
        if reader.op_type not in ELEMENTWISE or not all(
            s is not None and tuple(s[1:]) == target for s in shapes
        ):
            b.fail(node, "an Expand of the data is supported only before an elementwise "
                   "Add/Sub/Mul/Div with an operand of the expanded shape")  # fmt: skip
    if not readers or node.output[0] == b.prep.output:
        b.fail(node, "an Expand of the data must be read by an elementwise operator")
    b.prep.shapes[node.output[0]] = (b.prep.form.batch, *x.shape)  # the readers broadcast it
    b.alias(node.output[0], x)
