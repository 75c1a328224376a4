"""``Sequential``: named layers in order, with summary, training step and ``.npz`` save/load.

A saved model is one ``.npz`` archive holding every parameter under a PyTorch-style name
(``conv1.weight``, ``conv1.bias``, ...) and, under ``__architecture__``, the architecture and
metadata as UTF-8 JSON bytes. It is loaded with ``allow_pickle=False`` and validated key by key,
shape by shape, so a truncated, mismatched or hostile file raises ``ValueError``.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np

from engine.archive import read_npz
from engine.io import atomic_path
from engine.layers import Layer, Softmax, layer_from_spec
from engine.memory import keep_freed_memory
from engine.ops.activation import softmax, softmax_cross_entropy

FORMAT = "cnn-explorer/1"
ARCH_KEY = "__architecture__"
MAX_ARCH_BYTES = 1 << 20


class Sequential:
    """Layers applied in order to inputs of ``input_shape`` ``(C, H, W)``.

    ``classes`` names the outputs of the last layer. ``meta`` is free-form JSON (dataset, test
    accuracy, how it was trained) that travels with the weights.
    """

    def __init__(
        self,
        layers: list[Layer],
        input_shape: tuple[int, int, int] = (1, 28, 28),
        classes: list[str] | None = None,
        name: str = "model",
        meta: dict | None = None,
    ):
        names = [layer.name for layer in layers]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"layer names must be unique, repeated: {duplicates!r}")
        self.layers = layers
        self.input_shape = tuple(int(v) for v in input_shape)
        self.name = name
        self.meta = dict(meta or {})
        self.shapes = self._infer_shapes()  # shapes[i] is the input shape of layer i
        n_out = int(np.prod(self.shapes[-1]))
        self.classes = list(classes) if classes is not None else [str(i) for i in range(n_out)]
        if len(self.classes) != n_out:
            raise ValueError(f"{len(self.classes)} class names for {n_out} outputs")

    # -- construction ------------------------------------------------------------------------

    @classmethod
    def from_spec(
        cls,
        specs: list[dict],
        input_shape=(1, 28, 28),
        seed: int | None = 0,
        **kwargs,
    ) -> Sequential:
        """Build from layer specs ``{"type", "name"?, "config"?}``.

        ``in_channels`` / ``in_features`` may be left out: they are inferred from the shape
        flowing into the layer. Unnamed layers are named ``conv1, relu1, ...`` by type.
        """
        if not isinstance(specs, list) or not specs:
            raise ValueError("an architecture needs a non-empty list of layers")
        rng = np.random.default_rng(seed)
        layers, shape, counts = [], tuple(input_shape), {}
        for i, spec in enumerate(specs):
            spec = _with_inferred_inputs(spec, shape)
            if not spec.get("name"):
                kind = spec.get("type")
                counts[kind] = counts.get(kind, 0) + 1
                spec["name"] = f"{_SHORT.get(kind, kind)}{counts[kind]}"
            try:
                layer = layer_from_spec(spec, rng)
                shape = layer.output_shape(shape)
            except ValueError as e:
                raise ValueError(f"layer {i} ({spec.get('type')!r}): {e}") from None
            layers.append(layer)
        return cls(layers, input_shape, **kwargs)

    def _infer_shapes(self) -> list[tuple[int, ...]]:
        shapes = [self.input_shape]
        for i, layer in enumerate(self.layers):
            try:
                shapes.append(tuple(layer.output_shape(shapes[-1])))
            except ValueError as e:
                raise ValueError(f"layer {i} ({layer.name}): {e}") from None
        return shapes

    # -- running -----------------------------------------------------------------------------

    def forward(
        self, x: np.ndarray, train: bool = False, return_all: bool = False, stop: int | None = None
    ):
        """Run the layers. x: (N, C, H, W) → the last output, or every layer's output in a list.

        ``stop`` runs only layers ``[0, stop)``.
        """
        if tuple(x.shape[1:]) != self.input_shape:
            raise ValueError(f"input must be (N, *{self.input_shape}), got {x.shape}")
        outputs = []
        for layer in self.layers[:stop]:
            x = layer.forward(x, train=train)
            if return_all:
                outputs.append(x)
        return outputs if return_all else x

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """x: (N, C, H, W) → class probabilities (N, K), with or without a final softmax layer."""
        out = self.forward(x)
        return out if self.ends_in_softmax else softmax(out)

    @property
    def ends_in_softmax(self) -> bool:
        return isinstance(self.layers[-1], Softmax)

    def backward(
        self,
        dout: np.ndarray,
        stop: int | None = None,
        start: int = 0,
        input_grad: bool = False,
    ) -> np.ndarray | None:
        """Back-propagate ``dout`` (gradient of the output of layer ``stop - 1``) through layers
        ``[start, stop)``, filling their grads (after a ``forward(train=True)``).

        Training skips the input gradient of layer ``start``: nothing needs it. With
        ``input_grad`` it is computed and returned — ``dL/dx`` for the input of layer ``start``,
        shaped like it (``(N, C, H, W)`` for ``start=0``): saliency, Grad-CAM and friends.
        """
        layers = self.layers[:stop]
        for i in range(len(layers) - 1, start - 1, -1):
            dout = layers[i].backward(dout, need_dx=input_grad or i > start)
        return dout if input_grad else None

    def train_step(self, x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
        """Forward to the logits (before any final softmax), loss, backward; grads are filled.

        x: (N, C, H, W), y: (N,) → (mean cross-entropy, logits (N, K)).
        """
        keep_freed_memory()  # each step frees what the next allocates: keep it mapped
        stop = len(self.layers) - 1 if self.ends_in_softmax else None
        logits = self.forward(x, train=True, stop=stop)
        loss, dlogits = softmax_cross_entropy(logits, y)
        self.backward(dlogits, stop=stop)
        for layer in self.layers:
            layer.cache = None  # free the im2col buffers between steps
        return loss, logits

    # -- parameters --------------------------------------------------------------------------

    def params(self) -> dict[str, np.ndarray]:
        """``{"conv1.weight": array, ...}`` — the live arrays (optimisers update them in place)."""
        return {f"{ly.name}.{k}": p for ly in self.layers for k, p in ly.params.items()}

    def grads(self) -> dict[str, np.ndarray]:
        return {f"{ly.name}.{k}": g for ly in self.layers for k, g in ly.grads.items()}

    @property
    def num_params(self) -> int:
        return sum(layer.num_params for layer in self.layers)

    def layer_info(self) -> list[dict]:
        """One dict per layer: index, name, type, config, input/output shapes, parameter count."""
        return [
            {
                "index": i,
                "name": layer.name,
                "type": layer.type,
                "config": layer.config(),
                "input_shape": list(self.shapes[i]),
                "output_shape": list(self.shapes[i + 1]),
                "num_params": layer.num_params,
            }
            for i, layer in enumerate(self.layers)
        ]

    def summary(self) -> str:
        """A Keras-style table: layer (type), output shape, parameters; then the total."""
        rows = [("Layer (type)", "Output shape", "Params")]
        for info in self.layer_info():
            shape = "(" + ", ".join(str(d) for d in info["output_shape"]) + ")"
            rows.append((f"{info['name']} ({info['type']})", shape, f"{info['num_params']:,}"))
        widths = [max(len(r[c]) for r in rows) for c in range(3)]
        line = "-" * (sum(widths) + 4)

        def fmt(r):
            return f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:>{widths[2]}}"

        body = [fmt(rows[0]), line, *(fmt(r) for r in rows[1:]), line]
        body.append(f"Total params: {self.num_params:,}   input: {self.input_shape}")
        return "\n".join(body)

    def architecture(self) -> dict:
        return {
            "format": FORMAT,
            "name": self.name,
            "input_shape": list(self.input_shape),
            "classes": self.classes,
            "layers": [layer.spec() for layer in self.layers],
            "meta": self.meta,
        }

    # -- persistence -------------------------------------------------------------------------

    def save(self, path: str | Path) -> None:
        """Write an ``.npz`` (weights + architecture JSON) atomically."""
        arch = json.dumps(self.architecture()).encode()
        arrays = {ARCH_KEY: np.frombuffer(arch, dtype=np.uint8)}
        arrays.update(self.params())
        with atomic_path(path) as tmp, open(tmp, "wb") as f:
            np.savez(f, **arrays)

    @classmethod
    def load(cls, path: str | Path) -> Sequential:
        """Load a file written by :meth:`save`; ``ValueError`` says what is wrong with a bad one."""
        path = Path(path)
        try:
            arrays = read_npz(path, where=path.name)  # headers and sizes checked first
        except FileNotFoundError:
            raise
        except (ValueError, OSError, EOFError, zipfile.BadZipFile, KeyError) as e:
            raise ValueError(f"{path.name}: not a readable .npz weight file ({e})") from None
        return cls.from_arrays(arrays, source=path.name)

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], source: str = "weights") -> Sequential:
        """Rebuild a model from the arrays of a saved file, checking every name and shape."""
        raw = arrays.pop(ARCH_KEY, None)
        if raw is None:
            raise ValueError(f"{source}: no {ARCH_KEY} entry; not a CNN Explorer model file")
        if raw.dtype != np.uint8 or raw.ndim != 1 or raw.size > MAX_ARCH_BYTES:
            raise ValueError(f"{source}: {ARCH_KEY} must be UTF-8 JSON bytes under 1 MiB")
        try:
            arch = json.loads(raw.tobytes().decode())
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise ValueError(f"{source}: architecture is not valid JSON ({e})") from None
        if not isinstance(arch, dict) or arch.get("format") != FORMAT:
            raise ValueError(f"{source}: architecture format must be {FORMAT!r}")
        try:
            model = cls.from_spec(
                arch.get("layers"),
                input_shape=tuple(arch.get("input_shape") or ()),
                classes=arch.get("classes"),
                name=str(arch.get("name", "model")),
                meta=arch.get("meta") if isinstance(arch.get("meta"), dict) else {},
            )
        except (TypeError, ValueError) as e:
            raise ValueError(f"{source}: bad architecture: {e}") from None
        model.set_params(arrays, source)
        return model

    def set_params(self, arrays: dict[str, np.ndarray], source: str = "weights") -> None:
        """Copy ``arrays`` into the parameters; every name must be present with the right shape."""
        params = self.params()
        missing = sorted(set(params) - set(arrays))
        extra = sorted(set(arrays) - set(params))
        if missing or extra:
            raise ValueError(f"{source}: parameters missing {missing!r}, unexpected {extra!r}")
        for k, p in params.items():
            a = arrays[k]
            if a.shape != p.shape:
                raise ValueError(
                    f"{source}: {k} has shape {a.shape}, the architecture needs {p.shape}"
                )
            if not np.issubdtype(a.dtype, np.floating):
                raise ValueError(f"{source}: {k} has dtype {a.dtype}, expected floating point")
            if not np.isfinite(a).all():
                raise ValueError(f"{source}: {k} contains NaN or infinity")
            p[...] = a


_SHORT = {"conv2d": "conv", "dense": "fc", "flatten": "flatten"}


def _with_inferred_inputs(spec: dict, shape: tuple[int, ...]) -> dict:
    if not isinstance(spec, dict):
        raise ValueError(f"a layer spec must be an object, got {spec!r}")
    spec = {**spec, "config": dict(spec.get("config") or {})}
    if spec.get("type") == "conv2d" and "in_channels" not in spec["config"] and len(shape) == 3:
        spec["config"]["in_channels"] = shape[0]
    if spec.get("type") == "dense" and "in_features" not in spec["config"]:
        spec["config"]["in_features"] = int(np.prod(shape))
    return spec
