"""Import an ONNX image classifier as an engine model: ``import_onnx(data, ...)``.

1. ``parse``: refuse hostile or foreign files before work, inline local functions, sort.
2. ``graph.prepare``: read how the input is laid out, infer every shape, fold constant
   subgraphs (shape arithmetic, reshaped weights) to constants, drop what the output does not need.
3. Map each remaining node to engine layers (``ops_layers``, ``ops_simple``), fusing what
   exporters split (Conv + Add bias, MatMul + Add, Log(Softmax)); an operator or attribute the
   engine cannot run is a ``ValueError`` naming the node, its op type and the attribute.
4. ``Model.from_spec`` + ``set_state``; every layer's shape is checked against ONNX's.

The result carries ``meta["source"] = "onnx"``, ``meta["input"]`` (the input convention) and
``meta["onnx"]`` (producer, opset, declared input, and for each layer the node and tensor it
came from, so its output can be compared with onnxruntime's). An int8-quantized model is first
rewritten into its float equivalent (``quantized``) and says so in ``meta["quantized"]``.
"""

from __future__ import annotations

import json
import math

import numpy as np

from engine.convention import check_convention, complete_convention
from engine.onnx_import import ops_gates, ops_layers, ops_norm, ops_resize, ops_simple
from engine.onnx_import.builder import Act, Builder, Refused
from engine.onnx_import.graph import prepare
from engine.onnx_import.limits import Limits
from engine.onnx_import.parse import NOT_ONNX, looks_like_zip, opset, parse
from engine.onnx_import.quantized import dequantize

__all__ = ["NOT_ONNX", "Limits", "Refused", "check_convention", "import_onnx", "looks_like_zip"]

HANDLERS = {
    "Conv": ops_layers.conv,
    "Gemm": ops_layers.gemm,
    "MatMul": ops_layers.matmul,
    "BatchNormalization": ops_layers.batchnorm,
    "InstanceNormalization": ops_norm.instance_norm,
    "LayerNormalization": ops_norm.layer_norm,
    "MaxPool": ops_layers.pool,
    "AveragePool": ops_layers.pool,
    "Neg": ops_layers.neg,
    "GlobalAveragePool": ops_layers.global_pool,
    "GlobalMaxPool": ops_layers.global_pool,
    "ReduceMean": ops_layers.reduce,
    "ReduceMax": ops_layers.reduce,
    "ReduceSum": ops_layers.reduce,
    "Relu": ops_gates.activation,
    "LeakyRelu": ops_gates.activation,
    "Elu": ops_gates.activation,
    "Selu": ops_gates.activation,
    "Gelu": ops_gates.activation,
    "Erf": ops_gates.activation,
    "Sigmoid": ops_gates.activation,
    "HardSigmoid": ops_gates.activation,
    "HardSwish": ops_gates.activation,
    "Tanh": ops_gates.activation,
    "PRelu": ops_gates.prelu,
    "LRN": ops_gates.lrn,
    "Clip": ops_gates.clip,
    "Max": ops_gates.min_max,
    "Min": ops_gates.min_max,
    "Softmax": ops_simple.softmax,
    "LogSoftmax": ops_simple.softmax,
    "Dropout": ops_simple.dropout,
    "Identity": ops_simple.identity,
    "Cast": ops_simple.identity,
    "Pad": ops_simple.pad,
    "Add": ops_simple.binary,
    "Sub": ops_simple.binary,
    "Mul": ops_simple.binary,
    "Div": ops_simple.binary,
    "Sum": ops_simple.binary,
    "Concat": ops_simple.concat,
    "Reshape": ops_simple.reshape_like,
    "Flatten": ops_simple.reshape_like,
    "Squeeze": ops_simple.reshape_like,
    "Unsqueeze": ops_simple.reshape_like,
    "Transpose": ops_simple.transpose,
    "Split": ops_simple.split,
    "Slice": ops_simple.slice_,
    "MeanVarianceNormalization": ops_simple.mvn,
    "Resize": ops_resize.resize,
    "Expand": ops_simple.expand,
    "Upsample": ops_resize.resize,
}
WEIGHTED = ("conv2d", "dense")  # the layers that draw random weights when built


def import_onnx(
    data: bytes,
    external: dict[str, bytes] | None = None,
    *,
    name: str = "model",
    classes: list[str] | None = None,
    convention: dict | None = None,
    source: str = "model.onnx",
    limits: Limits | None = None,
    output: str | None = None,
):
    """Build an engine model from the bytes of an ``.onnx`` file (see the module docstring).

    ``external`` maps file names to the bytes of uploaded external-data files. ``classes``
    defaults to ``"0"..."K-1"``. ``output`` names the graph output to import when there are
    several (default: the class scores, :func:`graph.choose_output`). Raises ``ValueError``
    (``Refused`` for an unsupported op).
    """
    try:
        args = (name, classes, convention, source, limits or Limits(), output)
        return _import(data, external, *args)
    except ValueError:
        raise
    except MemoryError:
        raise
    except Exception as e:  # noqa: BLE001 - onnx's C++ checkers raise their own types
        # a malformed file that slipped past the checks is still the file's fault, never a crash
        raise ValueError(f"the file could not be imported ({type(e).__name__}: {e})") from None


def _import(data, external, name, classes, convention, source, limits, output):
    from engine.model import Model  # the engine imports nothing from here

    proto = parse(data, external, limits)
    version = opset(proto)
    quantized = dequantize(proto)  # int8 models become their float equivalent
    n_classes = len(classes) if classes else _metadata_class_count(proto)
    prep = prepare(proto, version, limits, output, n_classes)
    b = Builder(prep, version)
    _adapt_input(b)
    for node in prep.nodes:
        if id(node) in b.skipped:
            continue
        handler = HANDLERS.get(node.op_type)
        if handler is None:
            b.fail(node, f"operator {node.op_type} is not supported")
        handler(b, node)
        if len(b.specs) > limits.max_layers:
            raise ValueError(f"the model maps to more than {limits.max_layers} layers")
    out = _finish_output(b)
    input_shape = prep.form.engine_shape
    n_out = out.shape[0]
    convention, classes = _from_metadata(proto, convention, classes, n_out)
    if classes is not None and len(classes) != n_out:
        raise ValueError(f"classes: {len(classes)} labels for a model with {n_out} outputs")
    meta = {
        "source": "onnx",
        "input": complete_convention(convention, input_shape),
        "onnx": {
            "file": source,
            "producer": f"{proto.producer_name} {proto.producer_version}".strip(),
            "opset": version,
            "declared_input": [d if d is not None else "?" for d in prep.form.declared],
            "input_layout": prep.form.kind,
            "output": prep.output,
            "outputs": prep.outputs,
            "layers": b.layer_meta,
        },
    }
    if quantized is not None:
        meta["quantized"] = quantized
    specs = [  # weights come from the file: no random initialisation to overwrite
        {**s, "config": {**s["config"], "init_scheme": "zeros"}} if s["type"] in WEIGHTED else s
        for s in b.specs
    ]
    try:
        model = Model.from_spec(
            specs, input_shape=input_shape, classes=classes, name=name, meta=meta
        )
    except (TypeError, ValueError) as e:
        raise ValueError(f"the engine cannot build the mapped layers: {e}") from None
    model.set_state(b.state, source)
    _check_shapes(model, b)
    return model


def _metadata_class_count(proto) -> int | None:
    """How many labels this app's own export recorded (``None`` when it did not)."""
    props = {p.key: p.value for p in proto.metadata_props}
    try:
        value = json.loads(props.get("classes", "null"))
    except json.JSONDecodeError:
        return None
    return len(value) if isinstance(value, list) and value else None


def _from_metadata(proto, convention, classes, n_out):
    """A file this app exported carries its convention and labels in ``metadata_props``."""
    props = {p.key: p.value for p in proto.metadata_props}
    try:
        if convention is None and "input" in props:
            value = json.loads(props["input"])
            convention = value if isinstance(value, dict) else None
        if classes is None and "classes" in props:
            value = json.loads(props["classes"])
            ok = isinstance(value, list) and len(value) == n_out
            classes = [str(v) for v in value] if ok else None
    except json.JSONDecodeError:
        pass  # metadata is a courtesy: a file without valid JSON there imports as any other
    return convention, classes


def _adapt_input(b: Builder) -> None:
    """Make the network input an ``Act``; NHWC becomes NCHW, its Transpose folded away."""
    form = b.prep.form
    C, H, W = form.engine_shape
    name = form.name
    if form.kind != "nhwc":
        b.acts[name] = Act("input", (C, H, W), form.has_batch)
        return
    users = b.consumers.get(name, [])
    to_nchw = [n for n in users if _to_nchw(b, n, (C, H, W))]
    if users and len(to_nchw) == len(users):
        for node in to_nchw:
            b.skip(node)
            b.alias(node.output[0], Act("input", (C, H, W)))
        return
    config = {"perm": [0, 2, 3, 1]}
    b.emit(None, "transpose", config, [Act("input", (C, H, W))], name, shape=(H, W, C), name="nhwc")


def _to_nchw(b: Builder, node, chw: tuple[int, int, int]) -> bool:
    """Whether ``node`` turns the NHWC input into NCHW: a Transpose (0, 3, 1, 2), or — with
    one channel, where both orders are the same numbers — the Reshape to N×1×H×W that tf2onnx
    writes in its place."""
    if node.op_type == "Transpose":
        return _perm(node) == [0, 3, 1, 2]
    shape = b.const(node.input[1]) if node.op_type == "Reshape" and len(node.input) > 1 else None
    if shape is None or chw[0] != 1:
        return False
    shape = [int(v) for v in np.asarray(shape).ravel()]
    return len(shape) == 4 and shape[1:] == list(chw)


def _perm(node) -> list[int]:
    return next((list(a.ints) for a in node.attribute if a.name == "perm"), [])


def _finish_output(b: Builder) -> Act:
    """The chosen output as ``(K,)`` scores: an ONNX ``(N, K, 1, 1)`` (SqueezeNet's head) or an
    unbatched ``(K,)`` is flattened or taken as it is."""
    output = b.prep.output
    if output in b.prep.consts:
        raise ValueError(f"the output {output!r} is a constant: the graph ignores its input")
    act = b.raw_act(output, _Pseudo(output))
    shape = b.prep.shapes.get(output) or ()
    shape = shape[1:] if act.batched else shape
    if sum(d != 1 for d in shape) > 1 or not shape:
        raise ValueError(f"the output has per-example shape {list(shape)}; expected K scores")
    if act.ref == "input" or not b.specs:
        raise ValueError("the graph has no layers between its input and output")
    if len(act.shape) != 1:
        act = b.emit(None, "flatten", {}, [act], None, shape=(math.prod(shape),), name="scores")
    if b.specs[-1]["name"] != act.ref:
        act = b.emit(None, "identity", {}, [act], None, shape=act.shape, name="output")
    return act


class _Pseudo:
    """Stands for a node in messages about the graph output."""

    def __init__(self, name):
        self.name, self.op_type = name, "output"


def _check_shapes(model, b: Builder) -> None:
    for info in model.layer_info():
        want = b.shapes_seen.get(info["name"])
        if want is not None and tuple(info["output_shape"]) != want:
            raise ValueError(
                f"layer {info['name']!r} ({info['type']}): the engine computes output shape "
                f"{info['output_shape']}, ONNX {list(want)}"
            )
