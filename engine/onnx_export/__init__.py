"""Export an engine model (chain or graph) as a standard ONNX ``ModelProto`` (opset 17).

    from engine.onnx_export import to_onnx, onnx_bytes, save_onnx
    proto = to_onnx(model)            # onnx.checker.check_model(proto, full_check=True) passes
    save_onnx(model, "model.onnx")    # written atomically

The graph takes ``"input"`` of shape ``(N, *model.input_shape)`` — ``N`` symbolic — and gives
``"output"``, ``(N, *output shape)``: whatever the model's last layer gives (probabilities after
a softmax layer, log-probabilities after a logsoftmax, else logits). Each layer becomes one ONNX
node named as the layer (a few layers take two or three nodes, named ``<layer>/<step>``) whose
output tensor carries the layer's name, so the exported graph reads like the engine's. Weights are
initialisers under the engine's PyTorch-style names (``conv1.weight``, ``bn1.running_mean``),
float32. Dropout is an inference-mode ``Dropout`` (the identity). The model's input convention
(``meta["input"]``), class labels, name and source travel as ``metadata_props``: see
:data:`METADATA_KEYS`.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper

import engine
from engine.io import atomic_write_bytes
from engine.onnx_export import branch_layers, norm_layers, resize_layer  # noqa: F401  (converters)
from engine.onnx_export.layers import CONVERTERS, Emitter

OPSET = 17
IR_VERSION = 8  # the IR of opset 17 (onnx 1.12): what onnxruntime and older tools all read
INPUT, OUTPUT, BATCH = "input", "output", "N"
IDENTITY_INPUT = {"invert": False, "scale": 1.0, "mean": [0.0], "std": [1.0]}
#: metadata_props keys, each a JSON value: ``classes`` (list of labels), ``input`` (the input
#: convention ``{"invert", "scale", "mean", "std"}``), ``name``, ``source``.
METADATA_KEYS = ("classes", "input", "name", "source")


def _layer_inputs(model, infos: list[dict]) -> list[list[int]]:
    """Per layer, the indices of the layers it reads (``-1``: the network input)."""
    return [list(info.get("inputs", [i - 1])) for i, info in enumerate(infos)]


def _state(model) -> dict[str, np.ndarray]:
    """Every saved array (trainable parameters and buffers) under its ``layer.key`` name."""
    state = getattr(model, "state", None)
    return dict(state()) if callable(state) else dict(model.params())


def to_onnx(model) -> onnx.ModelProto:
    """``model`` → an ONNX ``ModelProto`` that passes ``onnx.checker.check_model(full_check=True)``.

    ``ValueError`` names the layer when a layer type has no ONNX form here.
    """
    infos = model.layer_info()
    inputs = _layer_inputs(model, infos)
    state = _state(model)
    em = Emitter(state)
    names: dict[int, str] = {-1: INPUT}
    last = len(infos) - 1
    for i, (layer, info) in enumerate(zip(model.layers, infos, strict=True)):
        convert = CONVERTERS.get(info["type"])
        if convert is None:
            raise ValueError(
                f"layer {i} ({info['name']!r}): type {info['type']!r} has no ONNX export; "
                f"exportable types: {sorted(CONVERTERS)}"
            )
        try:
            srcs = [names[j] for j in inputs[i]]
        except KeyError as e:
            raise ValueError(f"layer {i} ({info['name']!r}): input {e} is not before it") from None
        out = OUTPUT if i == last else em.unique(info["name"])
        em.begin(layer, info, out)
        convert(em, layer, info, srcs)
        names[i] = out
    graph = helper.make_graph(
        em.nodes,
        _safe_name(model.name),
        [_value_info(INPUT, model.input_shape)],
        [_value_info(OUTPUT, infos[-1]["output_shape"])],
        initializer=em.initializers,
    )
    proto = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name="cnn-explorer",
        producer_version=engine.__version__,
        doc_string=f"{model.name}: exported by CNN Explorer's engine",
        ir_version=IR_VERSION,
    )
    helper.set_model_props(proto, _metadata(model))
    onnx.checker.check_model(proto, full_check=True)
    return proto


def _metadata(model) -> dict[str, str]:
    meta = getattr(model, "meta", {}) or {}
    convention = meta.get("input") if isinstance(meta.get("input"), dict) else IDENTITY_INPUT
    return {
        "classes": json.dumps(list(model.classes)),
        "input": json.dumps(convention),
        "name": json.dumps(str(model.name)),
        "source": json.dumps(str(meta.get("source", "npz"))),
    }


def _value_info(name: str, shape) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, [BATCH, *(int(d) for d in shape)])


def _safe_name(name: str) -> str:
    return str(name) or "model"


def onnx_bytes(model) -> bytes:
    """The serialised ``.onnx`` file of ``model``."""
    return to_onnx(model).SerializeToString()


def save_onnx(model, path: str | Path) -> Path:
    """Write ``model`` as an ``.onnx`` file at ``path``, atomically; returns the path."""
    path = Path(path)
    atomic_write_bytes(path, onnx_bytes(model))
    return path


__all__ = ["METADATA_KEYS", "OPSET", "onnx_bytes", "save_onnx", "to_onnx"]
