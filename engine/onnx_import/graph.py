"""From a checked ``ModelProto`` to what the mapper needs: constants, live nodes, every shape.

The network input's declared shape says how it is laid out (``InputForm``): NCHW with a
symbolic, fixed or unit batch; NHWC (Keras); ``(C, H, W)`` with no batch axis; ``(N, H, W)``;
or flat rows ``(N, D)``. The input is given concrete dimensions (a symbolic batch becomes 1),
ONNX shape inference runs, and nodes whose inputs are all known — including ``Shape``/``Size``
of a tensor whose shape is known — are evaluated (``fold.Folder``) until nothing changes.
Nodes that do not lead to the output are dropped; initializers nobody reads are ignored.
Graph inputs that have initialisers (tf2onnx and the Caffe2 converters list every weight as an
input too) are constants. Of several outputs the importer takes one (:func:`choose_output`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import onnx
from onnx import GraphProto, ModelProto, TensorProto, helper, numpy_helper

from engine.onnx_import.fold import Folder, attributes
from engine.onnx_import.limits import Limits

FLOATS = (TensorProto.FLOAT, TensorProto.DOUBLE, TensorProto.FLOAT16)


@dataclass
class InputForm:
    """How the network input is declared. ``per_example``: ONNX dims after the batch axis."""

    name: str
    kind: str  # "nchw", "nhwc", "chw" (no batch axis), "nhw", "flat"
    batch: int  # the batch size shapes are inferred with (1 for a symbolic one)
    onnx_shape: tuple[int, ...]  # the concrete shape inference ran with
    declared: list  # as written in the file: ints and names

    @property
    def has_batch(self) -> bool:
        return self.kind != "chw"

    @property
    def engine_shape(self) -> tuple[int, int, int]:
        """The engine model's ``input_shape`` ``(C, H, W)``."""
        s = self.onnx_shape
        if self.kind == "nchw":
            return s[1], s[2], s[3]
        if self.kind == "nhwc":
            return s[3], s[1], s[2]
        if self.kind == "chw":
            return s[0], s[1], s[2]
        if self.kind == "nhw":
            return 1, s[1], s[2]
        d = s[1]  # flat: (1, k, k) or (3, k, k)
        for c in (1, 3):
            k = math.isqrt(d // c)
            if c * k * k == d:
                return c, k, k
        raise AssertionError("checked in input_form")


@dataclass
class Prepared:
    model: ModelProto  # the skeleton shape inference ran on (weights as typed inputs)
    form: InputForm
    output: str  # the one graph output imported
    outputs: list[str] = field(default_factory=list)  # every distinct graph output
    consts: dict[str, np.ndarray] = field(default_factory=dict)
    nodes: list = field(default_factory=list)
    shapes: dict[str, tuple[int, ...]] = field(default_factory=dict)


def _dims(value_info) -> list:
    t = value_info.type.tensor_type
    return [d.dim_value if d.HasField("dim_value") else (d.dim_param or None) for d in t.shape.dim]


def input_form(model: ModelProto) -> InputForm:
    g = model.graph
    inits = {t.name for t in g.initializer}
    real = [i for i in g.input if i.name not in inits]
    if len(real) != 1:
        raise ValueError(
            f"the graph must have one input (an image batch); it has {len(real)}: "
            f"{[i.name for i in real]}"
        )
    vi = real[0]
    if not vi.type.HasField("tensor_type") or vi.type.tensor_type.elem_type not in FLOATS:
        raise ValueError(f"input {vi.name!r} must be a float tensor")
    dims = _dims(vi)
    if not vi.type.tensor_type.HasField("shape") or not 2 <= len(dims) <= 4:
        raise ValueError(
            f"input {vi.name!r} has shape {dims}; expected N×C×H×W, N×H×W×C, C×H×W, N×H×W or N×D"
        )
    rest = dims[1:]
    if not all(isinstance(d, int) and d > 0 for d in rest):
        raise ValueError(f"input {vi.name!r}: only the batch axis may be symbolic, shape {dims}")
    symbolic = not isinstance(dims[0], int) or dims[0] <= 0
    batch = 1 if symbolic else dims[0]
    if len(dims) == 4:
        nhwc = rest[2] in (1, 3) and rest[0] > 4 and rest[1] > 4 and rest[0] not in (1, 3)
        kind = "nhwc" if nhwc else "nchw"
    elif len(dims) == 3:
        kind = "nhw" if symbolic else "chw"
    else:
        d = rest[0]
        if not any(c * math.isqrt(d // c) ** 2 == d for c in (1, 3)):
            raise ValueError(
                f"input {vi.name!r} has shape {dims}: {d} features are not a square image "
                "(k×k or 3×k×k)"
            )
        kind = "flat"
    shape = (dims[0], *rest) if kind == "chw" else (batch, *rest)
    batch = 1 if kind == "chw" else batch  # the batch axis an Unsqueeze or Reshape adds
    return InputForm(vi.name, kind, batch, tuple(int(d) for d in shape), dims)


def prepare(
    model: ModelProto,
    opset: int,
    limits: Limits,
    output: str | None = None,
    n_classes: int | None = None,
) -> Prepared:
    form = input_form(model)
    outputs = list(dict.fromkeys(o.name for o in model.graph.output))  # each once, in order
    if output is not None and output not in outputs:
        raise ValueError(f"output: {output!r} is not an output of the graph; it has {outputs}")
    prep = Prepared(_skeleton(model, form), form, output or outputs[-1])
    prep.consts = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    work = prep.model
    _add_constants(work, prep.consts)
    folder = Folder(opset, limits)
    total = sum(a.size for a in prep.consts.values())
    nodes = list(work.graph.node)
    while True:  # each pass folds at least one node, or stops
        shapes = infer_shapes(work)
        remaining, folded = [], 0
        for node in nodes:
            result = _try_fold(node, prep.consts, shapes, folder)
            if result is None:
                remaining.append(node)
                continue
            folded += 1
            for name, value in zip(node.output, result, strict=False):
                total += value.size
                if total > limits.max_total_elements:
                    raise ValueError(
                        f"folding constants would exceed the limit of "
                        f"{limits.max_total_elements:,} elements"
                    )
                prep.consts[name] = value
                shapes[name] = value.shape
        nodes = remaining
        del work.graph.node[:]
        work.graph.node.extend(nodes)
        _add_constants(work, prep.consts)
        if not folded:
            break
    prep.shapes = shapes
    prep.outputs = outputs
    prep.output = output or choose_output(outputs, nodes, shapes, form.batch, n_classes)
    prep.nodes = _live(nodes, prep.output)
    return prep


def choose_output(outputs, nodes, shapes, batch: int, n_classes: int | None) -> str:
    """The class scores among several graph outputs: the last whose last axis has
    ``n_classes`` entries (when known), else the last a Softmax or LogSoftmax writes, else the
    last that is a vector per example (``(N, K)``, ``(N, K, 1, 1)``), else the last."""
    if len(outputs) == 1:
        return outputs[0]

    def per_example(name):
        shape = shapes.get(name) or ()
        return shape[1:] if shape and shape[0] == batch else shape

    def vector(name):
        shape = per_example(name)
        return bool(shape) and sum(d != 1 for d in shape) <= 1

    heads = {o for n in nodes if n.op_type in ("Softmax", "LogSoftmax") for o in n.output}
    tests = [
        lambda o: n_classes is not None and vector(o) and max(per_example(o)) == n_classes,
        lambda o: o in heads,
        vector,
    ]
    for test in tests:
        found = [o for o in outputs if test(o)]
        if found:
            return found[-1]
    return outputs[-1]


SMALL = 4096  # constants up to this many elements keep their values for shape inference


def _skeleton(model: ModelProto, form: InputForm) -> ModelProto:
    """The graph shape inference runs on: the nodes, the one real input with the concrete shape
    of ``form``, and no weights yet (:func:`_add_constants`). Graph inputs that have
    initialisers are constants, not inputs."""
    g = model.graph
    constants = {t.name for t in g.initializer}
    graph = GraphProto(name=g.name)
    graph.node.extend(g.node)
    graph.input.extend(i for i in g.input if i.name not in constants)
    graph.output.extend(g.output)
    graph.value_info.extend(g.value_info)
    vi = next(i for i in graph.input if i.name == form.name)
    for d, n in zip(vi.type.tensor_type.shape.dim, form.onnx_shape, strict=True):
        d.Clear()
        d.dim_value = n
    work = ModelProto(ir_version=max(model.ir_version, 4), graph=graph)  # IR 4: no inputs needed
    work.opset_import.extend(model.opset_import)
    return work


def _add_constants(model: ModelProto, consts: dict) -> None:
    """Constants not yet in the skeleton: small ones (shapes, axes) as initializers, whose
    values shape inference may read; weights as inputs of their type and shape only, so
    inference never serialises megabytes of them."""
    g = model.graph
    have = {t.name for t in g.initializer} | {i.name for i in g.input}
    for name, value in consts.items():
        if name in have:
            continue
        value = np.asarray(value)
        if value.size <= SMALL:
            g.initializer.append(numpy_helper.from_array(value, name))
        else:
            elem = helper.np_dtype_to_tensor_dtype(value.dtype)
            g.input.append(helper.make_tensor_value_info(name, elem, value.shape))


def infer_shapes(model: ModelProto) -> dict[str, tuple]:
    """Every tensor's shape that ONNX shape inference finds (unknown dims as ``None``)."""
    try:
        inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True, data_prop=True)
    except (onnx.shape_inference.InferenceError, onnx.checker.ValidationError, RuntimeError) as e:
        raise ValueError(f"the graph is inconsistent: ONNX shape inference fails: {e}") from None
    g = inferred.graph
    shapes = {}
    for vi in (*g.input, *g.value_info, *g.output):
        if vi.type.HasField("tensor_type") and vi.type.tensor_type.HasField("shape"):
            shapes[vi.name] = tuple(d if isinstance(d, int) else None for d in _dims(vi))
    return shapes


def _known(shape) -> bool:
    return shape is not None and all(isinstance(d, int) and d >= 0 for d in shape)


def _try_fold(node, consts, shapes, folder: Folder):
    """The node's outputs if it can be evaluated now, else ``None``."""
    if not folder.can_fold(node.op_type):
        return None
    where = f'node "{node.name}" ({node.op_type}): '
    if node.op_type in ("Shape", "Size") and node.input[0] not in consts:
        shape = shapes.get(node.input[0])
        if not _known(shape):
            return None
        inputs = [np.broadcast_to(np.float32(0), shape)]  # a zero-copy stand-in of that shape
    else:
        if any(name and name not in consts for name in node.input):
            return None
        inputs = [consts[name] if name else None for name in node.input]
    try:
        return folder.run(node, attributes(node), inputs)
    except ValueError as e:
        raise ValueError(where + str(e)) from None
    except (TypeError, IndexError, KeyError, AttributeError, np.exceptions.AxisError) as e:
        raise ValueError(f"{where}cannot evaluate it on its constant inputs ({e})") from None


def _live(nodes: list, output: str) -> list:
    """The nodes the output depends on, in order."""
    need, live = {output}, []
    for node in reversed(nodes):
        if any(o in need for o in node.output):
            live.append(node)
            need.update(n for n in node.input if n)
    return live[::-1]
