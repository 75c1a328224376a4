"""The mapper's state: which engine layer holds each ONNX tensor, and the layer specs written.

An activation tensor is an ``Act``: the engine layer whose output it is (``"input"`` for the
network input), that output's per-example shape in the engine, and whether ONNX's tensor has a
batch axis (an input declared ``C×H×W`` has none until an Unsqueeze or Reshape gives it one; an
unbatched export drops it again with a Squeeze). The engine's layers always have one. When the
engine's shape differs from ONNX's only in layout — a global pool gives ``(C,)`` where ONNX
keeps ``(C, 1, 1)``, a flat ``N×784`` input is an image ``(1, 28, 28)`` here — ``act()`` puts a
reshape in between the first time a layer needs ONNX's shape.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from engine.graph import fresh_name
from engine.onnx_import.fold import attributes
from engine.onnx_import.graph import Prepared


@dataclass(frozen=True)
class Act:
    ref: str  # the engine layer's name, or "input"
    shape: tuple[int, ...]  # per example, as the engine computes it
    batched: bool = True


class Refused(ValueError):
    """An operator or attribute the engine cannot run."""


def describe(node) -> str:
    return f'node "{node.name}" ({node.op_type})'


def common_scope(names: list[str]) -> list[str]:
    """The leading ``/``-separated scopes every scoped node name shares, when at least two do
    and something is left of each: tf2onnx's ``StatefulPartitionedCall/functional_1/`` before
    every Keras layer's name, which would otherwise start every layer name here."""
    scoped = [[p for p in n.strip("/").split("/") if p] for n in names if "/" in n.strip("/")]
    if len(scoped) < 2:
        return []
    scope = []
    for parts in zip(*(s[:-1] for s in scoped), strict=False):
        if len(set(parts)) > 1:
            break
        scope.append(parts[0])
    return scope


class Builder:
    def __init__(self, prep: Prepared, opset: int):
        self.prep = prep
        self.opset = opset
        self.specs: list[dict] = []
        self.state: dict[str, np.ndarray] = {}
        self.acts: dict[str, Act] = {}
        self.skipped: set[int] = set()  # ids of nodes fused into an earlier layer
        self.padded: dict[str, tuple] = {}  # pad layers put before a pool: ((H, W), its pads)
        self.layer_meta: dict[str, dict] = {}
        self.shapes_seen: dict[str, tuple[int, ...]] = {}
        self._names: set[str] = {"input"}
        self._materialised: dict[str, Act] = {}
        self.consumers: dict[str, list] = {}
        self.scope = common_scope([node.name for node in prep.nodes])
        for node in prep.nodes:
            for name in node.input:
                self.consumers.setdefault(name, []).append(node)

    # -- reading the graph -----------------------------------------------------------------

    def fail(self, node, message: str):
        raise Refused(f"{describe(node)}: {message}")

    def const(self, name: str):
        """The value of a constant tensor, or ``None`` for an activation or a missing input."""
        return self.prep.consts.get(name) if name else None

    def const_beside(self, node, name: str):
        """The constant a two-input ``node`` combines with tensor ``name`` (its other input),
        or ``None`` (another arity, ``name`` not an input, or the other input not constant)."""
        if node is None or len(node.input) != 2 or name not in node.input:
            return None
        return self.const(node.input[1] if node.input[0] == name else node.input[0])

    def operand(self, node, index: int, key: str, attrs: dict):
        """An operand that moved from attribute ``key`` to input ``index`` across opsets
        (Split's split, Reduce's axes, Slice's bounds): the constant input as a list when the
        node has it, else the attribute (``None`` when neither is there)."""
        value = self.const_input(node, index, key)
        return attrs.get(key) if value is None else value.tolist()

    def const_input(self, node, index: int, key: str):
        """The value of the node's optional input ``index``, ``None`` when the node leaves it
        out; refused (naming ``key``) when it is an activation, not a constant."""
        if len(node.input) <= index or not node.input[index]:
            return None
        value = self.const(node.input[index])
        if value is None:
            self.fail(node, f"{key} must be a constant")
        return value

    def attrs(self, node, known: set[str]) -> dict:
        """The node's attributes, refusing any the mapping does not understand."""
        found = attributes(node)
        for key in found:
            if key not in known:
                value = found[key]
                shown = value.tolist() if isinstance(value, np.ndarray) else value
                self.fail(node, f"{key} = {shown!r} is not supported")
        return found

    def onnx_per_example(self, name: str, node) -> tuple[int, ...]:
        """ONNX's shape of activation ``name`` without the batch axis (it must be known)."""
        shape = self.prep.shapes.get(name)
        if shape is None or any(d is None for d in shape):
            self.fail(node, f"the shape of {name!r} cannot be inferred")
        if not shape or shape[0] != self.prep.form.batch:
            self.fail(
                node,
                f"output {name!r} has shape {list(shape)}, which does not keep the batch axis "
                f"({self.prep.form.batch}) first",
            )
        return tuple(shape[1:])

    def single_consumer(self, name: str):
        """The one node reading ``name`` (``None`` if several, none, or it is the output)."""
        users = self.consumers.get(name, [])
        if len(users) != 1 or name == self.prep.output:
            return None
        return users[0]

    def raw_act(self, name: str, node) -> Act:
        if name in self.prep.consts:
            self.fail(node, f"input {name!r} is a constant where the network's data is expected")
        act = self.acts.get(name)
        if act is None:
            self.fail(node, f"input {name!r} is not computed by any supported layer")
        return act

    def act(self, name: str, node) -> Act:
        """The activation ``name`` with ONNX's per-example shape (reshaped if need be). A
        tensor without a batch axis (an unbatched export's, between its Squeeze and the next
        Unsqueeze) is read as it is: its whole ONNX shape is the per-example shape."""
        act = self.raw_act(name, node)
        if not act.batched:
            if self.prep.shapes.get(name) != act.shape:
                self.fail(
                    node,
                    f"it reads {name!r} before it has a batch axis; only Unsqueeze or Reshape "
                    "may add one to an input declared without",
                )
            return act
        want = self.onnx_per_example(name, node)
        if act.shape == want:
            return act
        if name not in self._materialised:
            kind, config = ("flatten", {}) if len(want) == 1 else ("reshape", {"shape": list(want)})
            base = act.ref if act.ref != "input" else "input"
            self._materialised[name] = self.emit(
                None, kind, config, [act], None, shape=want, name=f"{base}_{kind}"
            )
        return self._materialised[name]

    # -- writing layers --------------------------------------------------------------------

    def layer_name(self, node, kind: str) -> str:
        base = ""
        if node is not None and node.name:
            parts = [p for p in node.name.strip("/").split("/") if p]
            if parts[: len(self.scope)] == self.scope:
                parts = parts[len(self.scope) :]
            if len(parts) > 1 and parts[-1].lower().startswith(node.op_type.lower()):
                parts = parts[:-1]
            base = ".".join(module_path(parts))
        base = re.sub(r"[^A-Za-z0-9_.]+", "_", base).strip("_.")
        base = base.removeprefix("node_")  # the dynamo exporter's "node_conv2d"
        if base and base in self._names and node is not None:
            base = f"{base}_{node.op_type.lower()}"
        name = fresh_name(base or kind, self._names)
        self._names.add(name)
        return name

    def emit(
        self,
        node,
        kind: str,
        config: dict,
        inputs: list[Act],
        out: str | None,
        params: dict | None = None,
        shape: tuple[int, ...] | None = None,
        name: str | None = None,
    ) -> Act:
        """Append layer ``kind``; its output is ONNX tensor ``out`` (if any)."""
        if name is not None:
            name = self.layer_name(None, name) if name in self._names else name
            self._names.add(name)
        else:
            name = self.layer_name(node, kind)
        spec = {"type": kind, "name": name, "config": config, "inputs": [a.ref for a in inputs]}
        self.specs.append(spec)
        for key, value in (params or {}).items():
            self.state[f"{name}.{key}"] = np.ascontiguousarray(value, dtype=np.float32)
        if shape is None:
            shape = self.onnx_per_example(out, node)
        batched = any(a.batched for a in inputs) or not inputs  # unbatched in, unbatched out
        act = Act(name, tuple(int(d) for d in shape), batched)
        self.shapes_seen[name] = act.shape
        self.layer_meta[name] = {
            "node": node.name if node is not None else "",
            "op": node.op_type if node is not None else "",
            "tensor": out or "",
        }
        if out is not None:
            self.acts[out] = act
        return act

    def alias(self, out: str, act: Act) -> None:
        self.acts[out] = act

    def skip(self, node) -> None:
        self.skipped.add(id(node))

    def retarget(self, act: Act, out: str) -> Act:
        """A fused node's output is the earlier layer's output."""
        self.layer_meta[act.ref]["tensor"] = out
        self.acts[out] = act
        return act


def per_example_constant(builder: Builder, node, c: np.ndarray, act: Act) -> np.ndarray:
    """A constant operand broadcast against an activation, without a batch axis of its own."""
    c = np.asarray(c, dtype=np.float32)
    full_rank = len(act.shape) + 1
    if c.ndim == full_rank:
        if c.shape[0] != 1:
            builder.fail(node, f"a constant of shape {list(c.shape)} varies along the batch axis")
        c = c[0]
    elif c.ndim > full_rank:
        builder.fail(node, f"a constant of shape {list(c.shape)} has more axes than its input")
    try:
        if np.broadcast_shapes(c.shape, act.shape) != act.shape:
            raise ValueError
    except ValueError:
        builder.fail(
            node,
            f"a constant of shape {list(c.shape)} does not broadcast against the input's "
            f"per-example shape {list(act.shape)}",
        )
    return c.reshape(1) if c.ndim == 0 else c


def prod(shape) -> int:
    return math.prod(int(d) for d in shape)


def module_path(scopes: list[str]) -> list[str]:
    """PyTorch's module name from an exported node's scopes: ``["block1", "block1.0", "conv1"]``
    (the exporter repeats a parent's path in its child's scope) → ``["block1.0", "conv1"]``,
    read as ``block1.0.conv1`` — the name ``model.named_modules()`` gives."""
    path: list[str] = []
    for scope in scopes:
        if path and scope.startswith(path[-1] + "."):
            path[-1] = scope  # "block1" then "block1.0": one module, named in full
        else:
            path.append(scope)
    return path
