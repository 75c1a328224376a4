"""Parsing an uploaded ONNX file with the ``onnx`` package, and refusing what it must not run.

``parse(data, external, limits)`` → a checked ``ModelProto`` whose tensors all hold their data
inline, its local functions inlined and its nodes in topological order. Raises ``ValueError``
naming what is wrong: not ONNX, too large, a hostile tensor or external-data location, a cycle,
too many nodes, an operator set it does not know.
"""

from __future__ import annotations

import onnx
import onnx.inliner
from google.protobuf.message import DecodeError
from onnx import AttributeProto, ModelProto

from engine.onnx_import.limits import Limits, check_location, check_tensor
from engine.onnx_import.quantized import handles as quantized_op

DEFAULT_DOMAINS = ("", "ai.onnx")
MIN_OPSET, MAX_OPSET = 7, 23
NOT_ONNX = "neither an ONNX model nor a .npz archive"


def looks_like_zip(data: bytes) -> bool:
    return data[:4] == b"PK\x03\x04"


def parse(data: bytes, external: dict[str, bytes] | None, limits: Limits) -> ModelProto:
    """Parse and check ``data`` (an ``.onnx`` file); see the module docstring."""
    external = dict(external or {})
    if len(data) > limits.max_bytes:
        raise ValueError(
            f"the file is {len(data):,} bytes, more than the limit {limits.max_bytes:,}"
        )
    for name, blob in external.items():
        check_location(name, name, "external_data")
        if len(blob) > limits.max_bytes:
            raise ValueError(
                f"external_data {name!r} is {len(blob):,} bytes, more than the limit "
                f"{limits.max_bytes:,}"
            )
    try:
        model = onnx.load_model_from_string(data)
    except (DecodeError, RuntimeError, ValueError) as e:
        raise ValueError(f"{NOT_ONNX} (the protobuf does not parse: {e})") from None
    if model.ir_version <= 0 or not model.opset_import or not model.graph.node:
        raise ValueError(f"{NOT_ONNX} (no IR version, operator set or graph nodes)")
    _check_opsets(model)
    _check_tensors(model, external, limits)
    _check_functions(model, limits)
    if model.functions:
        model = onnx.inliner.inline_local_functions(model)
    if len(model.graph.node) > limits.max_nodes:
        raise ValueError(
            f"the graph has {len(model.graph.node):,} nodes, more than the limit "
            f"{limits.max_nodes:,}"
        )
    for node in model.graph.node:
        if node.domain not in DEFAULT_DOMAINS and not quantized_op(node):
            raise ValueError(
                f'node "{node.name}" ({node.op_type}): operator domain {node.domain!r} is not '
                "supported (only the standard ONNX operators are)"
            )
        for a in node.attribute:
            if a.type in (AttributeProto.GRAPH, AttributeProto.GRAPHS):
                raise ValueError(
                    f'node "{node.name}" ({node.op_type}): control flow (a subgraph in '
                    f"attribute {a.name!r}) is not supported"
                )
    topological_sort(model)
    return model


def opset(model: ModelProto) -> int:
    return next(o.version for o in model.opset_import if o.domain in DEFAULT_DOMAINS)


def _check_opsets(model: ModelProto) -> None:
    default = [o.version for o in model.opset_import if o.domain in DEFAULT_DOMAINS]
    if not default:
        raise ValueError("the model imports no standard ONNX operator set")
    if not MIN_OPSET <= default[0] <= MAX_OPSET:
        raise ValueError(
            f"operator set version {default[0]} is not supported (from {MIN_OPSET} to {MAX_OPSET})"
        )


def _constant_tensors(nodes, where):
    for node in nodes:
        for a in node.attribute:
            if a.type == AttributeProto.TENSOR:
                yield a.t, f'{where}node "{node.name}" ({node.op_type})'
            elif a.type == AttributeProto.TENSORS:
                for t in a.tensors:
                    yield t, f'{where}node "{node.name}" ({node.op_type})'
            elif a.type == AttributeProto.SPARSE_TENSOR:
                raise ValueError(
                    f'{where}node "{node.name}" ({node.op_type}): sparse tensors are not supported'
                )


def _check_tensors(model: ModelProto, external: dict[str, bytes], limits: Limits) -> None:
    g = model.graph
    if g.sparse_initializer:
        raise ValueError("sparse initializers are not supported")
    tensors = [(t, "initializer") for t in g.initializer]
    tensors += list(_constant_tensors(g.node, ""))
    for f in model.functions:
        tensors += list(_constant_tensors(f.node, f"function {f.name!r}: "))
    total = 0
    for t, where in tensors:  # sizes first, all of them, before any data is touched
        total += check_tensor(t, where, limits, external)
        if total > limits.max_total_elements:
            raise ValueError(
                f"the tensors declare more than the limit of {limits.max_total_elements:,} "
                "elements in all"
            )


def _check_functions(model: ModelProto, limits: Limits) -> None:
    """Local functions: not too many, not recursive, and not expanding past ``max_nodes``."""
    if len(model.functions) > limits.max_functions:
        raise ValueError(
            f"the model has {len(model.functions)} local functions, more than the limit "
            f"{limits.max_functions}"
        )
    funcs = {(f.domain, f.name): f for f in model.functions}
    sizes: dict[tuple[str, str], int] = {}
    stack: list[tuple[str, str]] = []

    def size(nodes) -> int:
        n = 0
        for node in nodes:
            key = (node.domain, node.op_type)
            n += expanded(key) if key in funcs else 1
            if n > limits.max_nodes:
                raise ValueError(
                    f"the graph expands to more than the limit of {limits.max_nodes:,} nodes "
                    "once its local functions are inlined"
                )
        return n

    def expanded(key) -> int:
        if key in stack:
            raise ValueError(f"local function {key[1]!r} calls itself (recursion is not allowed)")
        if key not in sizes:
            stack.append(key)
            sizes[key] = size(funcs[key].node)
            stack.pop()
        return sizes[key]

    size(model.graph.node)


def topological_sort(model: ModelProto) -> None:
    """Put the nodes in an order where each comes after what it reads; refuse a cycle."""
    g = model.graph
    known = {t.name for t in g.initializer} | {i.name for i in g.input} | {""}
    producer = {}
    for i, node in enumerate(g.node):
        for out in node.output:
            if out in producer or out in known:
                raise ValueError(
                    f'node "{node.name}" ({node.op_type}): output {out!r} is written twice'
                )
            producer[out] = i
    for node in g.node:
        for name in node.input:
            if name not in known and name not in producer:
                raise ValueError(
                    f'node "{node.name}" ({node.op_type}): input {name!r} is not produced by any '
                    "node, initializer or graph input"
                )
    order, state = [], [0] * len(g.node)  # 0 new, 1 on the stack, 2 done
    for start in range(len(g.node)):
        if state[start]:
            continue
        stack = [(start, iter(g.node[start].input))]
        state[start] = 1
        while stack:  # iterative depth-first search: no Python recursion limit to hit
            i, inputs = stack[-1]
            for name in inputs:
                j = producer.get(name)
                if j is None or state[j] == 2:
                    continue
                if state[j] == 1:
                    node = g.node[j]
                    raise ValueError(
                        f'node "{node.name}" ({node.op_type}) is part of a cycle: the graph '
                        "must be acyclic"
                    )
                state[j] = 1
                stack.append((j, iter(g.node[j].input)))
                break
            else:
                stack.pop()
                state[i] = 2
                order.append(i)
    nodes = [g.node[i] for i in order]
    copies = [type(n)() for n in nodes]
    for c, n in zip(copies, nodes, strict=True):
        c.CopyFrom(n)
    del g.node[:]
    g.node.extend(copies)
