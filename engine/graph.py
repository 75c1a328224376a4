"""From layer specs to a graph: names, inputs and the configuration a shape implies.

A spec is ``{"type", "name"?, "config"?, "inputs"?}``. ``inputs`` lists the layers whose outputs
the layer reads: a name (``"input"`` is the network input) or an index (``-1``: the network
input). Without ``inputs`` a layer reads the layer before it (the first layer: the network
input), so a chain is written as before. Layers come in topological order: each after all
its inputs, so a cycle cannot be written and a reference to a later layer is an error.

:func:`infer_config` is the one place where ``in_channels`` / ``in_features`` /
``num_features`` / ``num_channels`` left out of a config are read off the incoming shape; the
model builder and the training service's checks both call it.
"""

from __future__ import annotations

import numpy as np

INPUT = "input"  # the name by which a layer's ``inputs`` refer to the network input

SHORT_NAMES = {"conv2d": "conv", "dense": "fc", "batchnorm2d": "bn", "batchnorm1d": "bn"}


def auto_name(kind: str, counts: dict[str, int]) -> str:
    """``conv1``, ``relu2``, ``bn1``...: the short name of ``kind`` and its running count."""
    short = SHORT_NAMES.get(kind, kind)
    counts[short] = counts.get(short, 0) + 1
    return f"{short}{counts[short]}"


def fresh_name(base: str, taken) -> str:
    """``base``, or ``base_2``, ``base_3``...: the first that ``taken`` (a container) lacks."""
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}_{n}"
    return name


def named_specs(specs: list) -> list[dict]:
    """Copies of ``specs`` (checked to be objects) with a config dict and a name each."""
    if not isinstance(specs, list) or not specs:
        raise ValueError("an architecture needs a non-empty list of layers")
    out, counts = [], {}
    for i, spec in enumerate(specs):
        if not isinstance(spec, dict):
            raise ValueError(f"layer {i}: a layer spec must be an object, got {spec!r}")
        config = spec.get("config")
        if config is not None and not isinstance(config, dict):
            raise ValueError(f"layer {i} ({spec.get('type')!r}): config must be an object")
        spec = {**spec, "config": dict(config or {})}
        if not spec.get("name"):
            spec["name"] = auto_name(str(spec.get("type")), counts)
        elif not isinstance(spec["name"], str):
            raise ValueError(f"layer {i}: name must be a string, got {spec['name']!r}")
        out.append(spec)
    return out


def resolve_inputs(i: int, refs, names: dict[str, int], layer_name: str) -> list[int]:
    """Layer ``i``'s ``inputs`` as indices (``-1``: the network input).

    ``refs`` None → ``[i - 1]``. ValueError naming the layer for an unknown name, an index out
    of range, or a layer that is not earlier (a cycle, or layers out of order).
    """
    if refs is None:
        return [i - 1]
    where = f"layer {i} ({layer_name!r})"
    if not isinstance(refs, (list, tuple)) or not refs:
        raise ValueError(f"{where}: inputs must be a non-empty list of names or indices")
    out = []
    for ref in refs:
        if isinstance(ref, str):
            if ref == INPUT:
                j = -1
            elif ref not in names:
                raise ValueError(f"{where}: unknown input {ref!r} (no layer has that name)")
            else:
                j = names[ref]
        elif isinstance(ref, (int, np.integer)) and not isinstance(ref, bool):
            j = int(ref)
            if j < -1:
                raise ValueError(f"{where}: input index {j} is out of range (-1 is the input)")
        else:
            raise ValueError(f"{where}: an input must be a layer name or index, got {ref!r}")
        if j >= i:
            raise ValueError(
                f"{where}: input {ref!r} is layer {j}, not an earlier one; layers must come after "
                "their inputs (a graph has no cycles)"
            )
        out.append(j)
    return out


def infer_config(spec: dict, in_shapes: list[tuple[int, ...]]) -> dict:
    """``spec`` with ``in_channels`` (conv2d), ``in_features`` (dense), ``num_features``
    (batch norm) or ``num_channels`` (group norm) filled in from its first input's shape when
    left out."""
    if not in_shapes:
        return spec
    shape, kind = tuple(in_shapes[0]), spec.get("type")
    config = dict(spec.get("config") or {})
    if kind == "conv2d" and "in_channels" not in config and len(shape) == 3:
        config["in_channels"] = shape[0]
    elif kind == "dense" and "in_features" not in config:
        config["in_features"] = int(np.prod(shape))
    elif kind in ("batchnorm2d", "batchnorm1d") and "num_features" not in config and shape:
        config["num_features"] = shape[0]
    elif kind in ("groupnorm", "layernorm2d") and "num_channels" not in config and shape:
        config["num_channels"] = shape[0]
    return {**spec, "config": config}


class LayerError(ValueError):
    """A spec that cannot be built; ``layer`` is the index of the layer at fault."""

    def __init__(self, message: str, layer: int):
        super().__init__(message)
        self.layer = layer


def build(specs: list, input_shape, seed: int | None = 0, before=None):
    """Build the layers of ``specs`` in order: ``(layers, inputs)``, ``inputs[i]`` as indices.

    Each spec's missing ``in_channels`` / ``in_features`` / ``num_features`` come from
    :func:`infer_config`. ``before(i, spec, in_shapes)``, if given, sees every spec (config
    inferred) before its layer is allocated, and may raise to refuse it. A bad spec raises
    :class:`LayerError` ``"layer i ('type'): ..."``.
    """
    from engine.layers import layer_from_spec  # (engine.layers does not import the graph)

    specs = named_specs(specs)
    names = [s["name"] for s in specs]
    check_names(names)
    index = {n: i for i, n in enumerate(names)}
    rng = np.random.default_rng(seed)
    layers, inputs, shapes = [], [], [tuple(int(v) for v in input_shape)]
    for i, spec in enumerate(specs):
        try:
            ins = resolve_inputs(i, spec.get("inputs"), index, spec["name"])
            in_shapes = [shapes[j + 1] for j in ins]
            spec = infer_config(spec, in_shapes)
        except ValueError as e:
            raise _layer_error(i, spec, e) from None
        if before is not None:
            before(i, spec, in_shapes)  # its own error, as it is
        try:
            layer = layer_from_spec(spec, rng)
            shapes.append(output_shape(layer, in_shapes))
        except (TypeError, ValueError) as e:
            raise _layer_error(i, spec, e) from None
        layers.append(layer)
        inputs.append(ins)
    return layers, inputs


def _layer_error(i: int, spec: dict, e: Exception) -> LayerError:
    message = str(e)
    if not message.startswith(f"layer {i} "):
        message = f"layer {i} ({spec.get('type')!r}): {message}"
    return LayerError(message, i)


def output_shape(layer, in_shapes: list[tuple[int, ...]]) -> tuple[int, ...]:
    """``layer``'s output shape for ``in_shapes``, after checking how many inputs it takes."""
    want = layer.n_inputs
    if want is None and len(in_shapes) < 2:
        raise ValueError(f"{layer.name} takes two or more inputs, got {len(in_shapes)}")
    if want is not None and len(in_shapes) != want:
        plural = "input" if want == 1 else "inputs"
        raise ValueError(f"{layer.name} takes {want} {plural}, got {len(in_shapes)}")
    return tuple(int(v) for v in layer.output_shape(*in_shapes))


def check_names(names: list[str]) -> None:
    """ValueError for repeated names or a layer named like the network input."""
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"layer names must be unique, repeated: {duplicates!r}")
    if INPUT in names:
        raise ValueError(f"no layer may be named {INPUT!r}: it names the network input")


def consumers(inputs: list[list[int]]) -> dict[int, list[int]]:
    """``{node: [layers reading it]}`` for every node (``-1``: the network input)."""
    out: dict[int, list[int]] = {}
    for i, ins in enumerate(inputs):
        for j in ins:
            out.setdefault(j, []).append(i)
    return out


def is_chain(inputs: list[list[int]]) -> bool:
    """Whether every layer reads exactly the layer before it."""
    return all(ins == [i - 1] for i, ins in enumerate(inputs))
