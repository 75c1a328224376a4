"""Quantized ONNX models → their float equivalent, rewritten before the normal import.

onnxruntime's quantizer (and other tools) write an int8 model in one of three ways:

- **QDQ**: the float operators stay; each weight is stored as integers q and read through a
  ``DequantizeLinear`` (real value = (q − zero_point) · scale, per tensor or per channel along
  ``axis``), and each activation passes a ``QuantizeLinear`` → ``DequantizeLinear`` pair.
- **QOperator**: ``QLinearConv``, ``QLinearMatMul``, ``QGemm`` and the ``com.microsoft``
  ``QLinearAdd``, ``QLinearGlobalAveragePool``, ... work on uint8/int8 tensors directly, with a
  ``QuantizeLinear`` at the input and a ``DequantizeLinear`` at the output.
- **dynamic**: ``DynamicQuantizeLinear`` picks an activation's scale at run time, then
  ``ConvInteger``/``MatMulInteger`` → ``Cast`` → ``Mul`` by (input scale · weight scale).

``dequantize(model)`` rewrites those nodes in place into standard float nodes, so that every
tensor holds the real value its quantized version stands for:

- a constant quantized tensor (a weight, a bias) becomes a float initializer,
  (q − zero_point) · scale; a ``QLinearConv``/``QGemm`` int32 bias has scale x_scale · w_scale;
- an activation's quantize/dequantize becomes the identity, except for one clamp the quantizer
  relies on: where the zero point is the integer type's minimum, the quantized range starts at
  0 and onnxruntime drops the ReLU before it (the rounding clamps instead), so a ``Relu`` stands
  in for it (not repeated where the value is already non-negative);
- a dynamic ``ConvInteger``/``MatMulInteger`` with its ``Cast`` and scale ``Mul`` becomes one
  ``Conv``/``MatMul`` whose weights carry the scale.

What is not reproduced is rounding to the 8-bit grid and the clamp at the top of the calibrated
range: the engine computes in float32, so its outputs differ from onnxruntime's by the
quantization noise (the tests require the same top-1 class on ≥ 99 % of real images).
Returns a summary for the model's ``meta``, or ``None`` for a float model.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
from onnx import ModelProto, TensorProto, helper, numpy_helper

from engine.graph import fresh_name
from engine.onnx_import.builder import Refused, describe
from engine.onnx_import.fold import attributes
from engine.onnx_import.quantized_dynamic import DYNAMIC_OPS, per_axis
from engine.onnx_import.quantized_ops import QLINEAR

MS = "com.microsoft"
HANDLERS = {**QLINEAR, **DYNAMIC_OPS}  # the rest are Rewriter.op_* methods
STANDARD = {"QuantizeLinear", "DequantizeLinear", "QLinearConv", "QLinearMatMul", *DYNAMIC_OPS}
MICROSOFT = set(QLINEAR) | {"QuantizeLinear", "DequantizeLinear"}
NONNEGATIVE = {"Relu", "Sigmoid", "Softmax"}  # operators whose outputs are ≥ 0
KEEPS_SIGN = {"MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "Identity", "Cast"}
KEEPS_SIGN |= {"Reshape", "Flatten", "Squeeze", "Unsqueeze", "Transpose", "Dropout"}
ALL_INPUTS = {"Add", "Mul", "Concat"}  # ≥ 0 when all their inputs are


def handles(node) -> bool:
    """Whether ``node`` is a quantized operator this module rewrites (any domain it uses)."""
    if node.domain == MS:
        return node.op_type in MICROSOFT
    return node.op_type in STANDARD


def dequantize(model: ModelProto) -> dict | None:
    """Rewrite the quantized nodes of ``model`` into float ones (see the module docstring)."""
    if not any(handles(n) for n in model.graph.node if n.domain in ("", "ai.onnx", MS)):
        return None
    return Rewriter(model).run()


def integer_range(dtype) -> tuple[int, int]:
    info = np.iinfo(dtype)
    return int(info.min), int(info.max)


class Rewriter:
    """One pass over the (topologically sorted) nodes; ``emit`` collects the float graph."""

    def __init__(self, model: ModelProto):
        self.model = model
        g = model.graph
        self.consts = {t.name: numpy_helper.to_array(t) for t in g.initializer}
        for node in g.node:
            if node.op_type == "Constant" and node.attribute and node.attribute[0].name == "value":
                self.consts[node.output[0]] = numpy_helper.to_array(node.attribute[0].t)
        self.new: dict[str, np.ndarray] = {}  # float initializers written here
        self.unit: set[str] = set()  # DynamicQuantizeLinear scales: the float graph's 1
        self.nonneg: set[str] = set()  # tensors known to be ≥ 0
        self.dropped: set[int] = set()  # ids of nodes folded into an earlier one
        self.nodes: list = []
        self.counts: Counter = Counter()
        self.weight_types: set[str] = set()
        self.dq_weights = 0  # constants read through a DequantizeLinear: the QDQ format
        self.consumers: dict[str, list] = {}
        for node in g.node:
            for name in node.input:
                self.consumers.setdefault(name, []).append(node)

    # -- reading ---------------------------------------------------------------------------

    def const(self, name: str):
        if not name:
            return None
        return self.new[name] if name in self.new else self.consts.get(name)

    def scalar(self, node, name: str, what: str) -> np.ndarray:
        value = self.const(name)
        if value is None:
            raise Refused(f"{describe(node)}: {what} {name!r} must be a constant")
        return np.asarray(value)

    def dequant(self, node, name: str, scale: str, zero: str, axis: int = 1) -> str:
        """The float tensor for quantized ``name``: an activation is already float in the
        rewritten graph; a constant becomes a new initializer (q − zero_point) · scale."""
        q = self.const(name)
        if q is None:
            return name
        out = self.fresh(f"{name}_dequantized")
        self.new[out] = self.real(node, q, scale, zero, axis)
        return out

    def weight(self, node, name: str, scale: str, zero: str, axis: int) -> tuple[str, tuple]:
        """A quantized weight (it must be a constant) as a float initializer, and its shape."""
        if self.const(name) is None:
            raise Refused(f"{describe(node)}: the weights {name!r} must be a constant")
        out = self.dequant(node, name, scale, zero, axis)
        return out, self.new[out].shape

    def real(self, node, q: np.ndarray, scale: str, zero: str, axis: int) -> np.ndarray:
        s = self.scalar(node, scale, "scale")
        z = self.const(zero)
        z = np.zeros(1) if z is None else np.asarray(z)
        if q.dtype.kind in "iu" and q.dtype.itemsize <= 2:
            self.weight_types.add(str(q.dtype))
        along = (lambda v: v.reshape(1)) if s.size == 1 else (lambda v: per_axis(v, q.ndim, axis))
        return ((q.astype(np.float64) - along(z)) * along(s)).astype(np.float32)

    def fresh(self, name: str) -> str:
        return fresh_name(name, {*self.consts, *self.new, *self.consumers})

    # -- writing ---------------------------------------------------------------------------

    def emit(self, node, op: str, inputs: list[str], out: str, **attrs) -> None:
        self.nodes.append(helper.make_node(op, inputs, [out], name=float_name(node, op), **attrs))

    def requantized(self, node, op: str, inputs, out: str, scale: str, zero: str, **attrs):
        """``op`` whose output is quantized with (``scale``, ``zero``): float ``op``, then the
        ReLU that quantizing to a range starting at 0 performs (unless already ≥ 0)."""
        ready = op in NONNEGATIVE or (
            op in KEEPS_SIGN | ALL_INPUTS and all(i in self.nonneg for i in inputs if i)
        )
        if not self.clamps_at_zero(node, scale, zero) or ready:
            self.emit(node, op, inputs, out, **attrs)
            if ready:
                self.nonneg.add(out)
            return
        before = self.fresh(f"{out}_before_relu")
        self.emit(node, op, inputs, before, **attrs)
        self.relu(node, before, out)

    def relu(self, node, x: str, out: str, name: str | None = None) -> None:
        name = name or float_name(node, "Relu")
        self.nodes.append(helper.make_node("Relu", [x], [out], name=name))
        self.nonneg.add(out)

    def clamps_at_zero(self, node, scale: str, zero: str) -> bool:
        """Whether quantizing with (``scale``, ``zero``) clamps everything below 0 to 0."""
        if not scale:
            return False  # a float output
        z = self.zero_point(node, zero)
        return bool(np.all(z.astype(np.int64) == integer_range(z.dtype)[0]))

    def zero_point(self, node, zero: str) -> np.ndarray:
        """The zero point; without one, 0 of the ``output_dtype`` (opset 21) or of uint8."""
        z = self.const(zero)
        if z is not None:
            return np.asarray(z)
        to = attributes(node).get("output_dtype", 0) if node.op_type == "QuantizeLinear" else 0
        return np.zeros((), helper.tensor_dtype_to_np_dtype(to) if to else np.uint8)

    # -- the pass --------------------------------------------------------------------------

    def run(self) -> dict:
        g = self.model.graph
        for node in g.node:
            if id(node) in self.dropped:
                continue
            if not handles(node):
                self.nodes.append(node)
                self.track_sign(node)
                continue
            self.counts[node.op_type] += 1
            for a in node.attribute:
                if a.name == "block_size" and a.i:
                    raise Refused(f"{describe(node)}: block_size = {a.i} is not supported")
            method = getattr(self, "op_" + node.op_type, None)
            if method is not None:
                method(node)
            else:
                HANDLERS[node.op_type](self, node)
        self.install()
        return self.summary()

    def track_sign(self, node) -> None:
        """Which float tensors are ≥ 0, so a ReLU is not written twice."""
        inputs = [i for i in node.input if i]
        if node.op_type in NONNEGATIVE or (
            (node.op_type in KEEPS_SIGN and inputs[:1] and inputs[0] in self.nonneg)
            or (node.op_type in ALL_INPUTS and all(i in self.nonneg for i in inputs))
        ):
            self.nonneg.update(node.output)

    def install(self) -> None:
        """Put the rewritten nodes and initializers in the model; drop what nobody reads."""
        g = self.model.graph
        del g.node[:]
        g.node.extend(self.nodes)
        used = {name for node in self.nodes for name in node.input}
        used |= {o.name for o in g.output}
        keep = [t for t in g.initializer if t.name in used and t.name not in self.new]
        keep += [numpy_helper.from_array(v, k) for k, v in self.new.items() if k in used]
        del g.initializer[:]
        g.initializer.extend(keep)
        have = {t.name for t in keep}  # IR < 4 lists initializers as graph inputs too
        inputs = [i for i in g.input if i.name not in self.consts or i.name in have]
        del g.input[:]
        g.input.extend(inputs)
        del g.value_info[:]  # integer types recorded for tensors that are float now
        for out in g.output:
            t = out.type.tensor_type
            if t.elem_type not in (TensorProto.FLOAT, TensorProto.DOUBLE, TensorProto.FLOAT16):
                t.elem_type = TensorProto.FLOAT

    def summary(self) -> dict:
        """What ``meta["quantized"]`` records: the format(s), the weights' integer type, how
        many of each quantized operator were rewritten, and a sentence for the model card."""
        ops = dict(sorted(self.counts.items()))
        formats = [
            f
            for f, found in (
                ("QDQ", self.dq_weights or not set(ops) - {"QuantizeLinear", "DequantizeLinear"}),
                ("QOperator", any(op in QLINEAR for op in ops)),
                ("dynamic", any(op in DYNAMIC_OPS for op in ops)),
            )
            if found
        ]
        fmt, types = " + ".join(formats), "/".join(sorted(self.weight_types)) or "integer"
        note = (
            f"quantized model ({types} weights, {fmt}), dequantized on import: weights = "
            "(q − zero_point) · scale, run in float32, so outputs differ from the quantized "
            "model's by its rounding"
        )
        return {
            "format": fmt,
            "weights": types,
            "operators": ops,
            "dequantized": True,
            "note": note,
        }

    # -- the standard operators ------------------------------------------------------------

    def op_QuantizeLinear(self, node) -> None:
        x, scale, zero = (list(node.input) + ["", ""])[:3]
        axis = int(attributes(node).get("axis", 1))
        value = self.const(x)
        if value is not None:  # a constant: quantized exactly, as onnxruntime would
            self.new[node.output[0]] = self.quantize(node, value, scale, zero, axis)
            return
        if self.clamps_at_zero(node, scale, zero) and x not in self.nonneg:
            # QDQ names the tensor after the ReLU it stands for: "/Relu_output_0"
            self.relu(node, x, node.output[0], x.removesuffix("_output_0"))
        else:
            self.emit(node, "Identity", [x], node.output[0])
            if x in self.nonneg or self.clamps_at_zero(node, scale, zero):
                self.nonneg.add(node.output[0])

    def quantize(self, node, x: np.ndarray, scale: str, zero: str, axis: int) -> np.ndarray:
        s = self.scalar(node, scale, "scale").astype(np.float64)
        z = self.zero_point(node, zero)
        along = (lambda v: v.reshape(1)) if s.size == 1 else (lambda v: per_axis(v, x.ndim, axis))
        lo, hi = integer_range(z.dtype)
        q = np.clip(np.rint(x / along(s)) + along(z.astype(np.float64)), lo, hi)
        return q.astype(z.dtype)

    def op_DequantizeLinear(self, node) -> None:
        x, scale, zero = (list(node.input) + ["", ""])[:3]
        axis = int(attributes(node).get("axis", 1))
        out = node.output[0]
        if self.const(x) is not None:
            self.new[out] = self.real(node, self.const(x), scale, zero, axis)
            self.dq_weights += 1
            return
        self.emit(node, "Identity", [x], out)
        if x in self.nonneg:
            self.nonneg.add(out)


def float_name(node, op: str) -> str:
    """The name of the float node written for ``node``: onnxruntime's "/conv1/Conv_quant" and
    "/fc/Gemm_MatMul_quant" become "/conv1/Conv" and "/fc/MatMul" (layers "conv1", "fc")."""
    if "/" in node.name.strip("/"):
        return f"{node.name.rsplit('/', 1)[0]}/{op}"
    return node.name.removesuffix("_quant")
