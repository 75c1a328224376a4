"""Check an architecture before any work starts: the engine builds it (so every shape is the
engine's), and the service's bounds keep one job from taking the machine.

Every message names the layer at fault, in the engine's words: ``layer 3 ('dense'): fc1
expects 784 input features, got shape (8, 14, 14) (add a flatten layer ...)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.core.settings import Settings
from app.datasets import store as datasets
from engine.cost import FORWARD_BACKWARD, pass_cost
from engine.graph import LayerError
from engine.model import Model

BYTES_PER_FLOAT = 4


class ArchitectureError(ValueError):
    """An architecture that does not fit; ``layer`` is the index at fault, if one is."""

    def __init__(self, message: str, layer: int | None = None):
        super().__init__(message)
        self.layer = layer
        self.model: Model | None = None  # set when the whole model was built


@dataclass(frozen=True)
class Checked:
    model: Model
    step_megabytes: float


def specs_of(layers) -> list[dict]:
    """Plain ``{"type", "name"?, "config"}`` dicts from pydantic ``LayerSpec``s."""
    return [layer.model_dump(exclude_none=True) for layer in layers]


def _ints(value) -> list[int]:
    """The ints in a config value (an int or a pair); anything else is left to the engine."""
    if isinstance(value, bool):
        return []
    if isinstance(value, int):
        return [value]
    if isinstance(value, (list, tuple)):
        return [v for v in value if isinstance(v, int) and not isinstance(v, bool)]
    return []


def _check_bounds(i: int, spec: dict, settings: Settings) -> None:
    kind, config = spec["type"], spec.get("config") or {}
    limits = {
        "conv2d": {
            "out_channels": ("max_train_channels", settings.max_train_channels),
            "kernel_size": ("max_kernel_side", settings.max_kernel_side),
            "stride": ("max_kernel_side", settings.max_kernel_side),
            "dilation": ("max_kernel_side", settings.max_kernel_side),
            "padding": ("max_conv_padding", settings.max_conv_padding),
        },
        "dense": {"out_features": ("max_dense_features", settings.max_dense_features)},
    }.get(kind)
    if kind in ("maxpool2d", "avgpool2d", "minpool2d"):
        side = ("max_kernel_side", settings.max_kernel_side)
        limits = {"kernel_size": side, "stride": side, "padding": side}
    if kind == "pad":
        limits = {"pads": ("max_conv_padding", settings.max_conv_padding)}
    if kind in ("batchnorm2d", "batchnorm1d"):
        limits = {"num_features": ("max_train_channels", settings.max_train_channels)}
    for key, (limit_name, limit) in (limits or {}).items():
        for v in _ints(config.get(key)):
            if v > limit:
                raise ArchitectureError(
                    f"layer {i} ({kind!r}): {key} {v} is more than the limit "
                    f"{limit_name} = {limit}",
                    i,
                )


def step_megabytes(model: Model, batch_size: int) -> float:
    """Rough memory of one training step: every layer's output and its gradient, plus the
    largest im2col buffer (``(C*kh*kw, N*H_out*W_out)``) and its gradient."""
    outputs = sum(int(np.prod(s)) for s in model.shapes[1:])
    cols = 0
    for layer, shape_out in zip(model.layers, model.shapes[1:], strict=True):
        if layer.type == "conv2d":
            kh, kw = layer.kernel_size
            per_group = layer.in_channels // layer.groups
            cols = max(cols, per_group * kh * kw * int(np.prod(shape_out[1:])))
    return 2 * (outputs + cols) * batch_size * BYTES_PER_FLOAT / 1e6


def _dense_bound(settings: Settings):
    """A ``before`` hook for the engine's builder: refuse a dense layer whose weight matrix
    alone is over ``max_train_params`` before it is allocated."""

    def before(i: int, spec: dict, in_shapes) -> None:
        config = spec["config"]
        if spec["type"] == "conv2d":  # in_channels can grow large through concatenations
            sizes = [config.get(k) for k in ("in_channels", "out_channels", "kernel_size")]
            groups = config.get("groups", 1)
            if all(_ints(v) for v in sizes) and _ints(groups) and groups >= 1:
                k = _ints(config["kernel_size"])
                n = config["in_channels"] // groups * config["out_channels"] * k[0] * k[-1]
                if len(k) <= 2 and n > settings.max_train_params:
                    raise ArchitectureError(
                        f"layer {i} ('conv2d'): {n:,} weights is more than the limit "
                        f"max_train_params = {settings.max_train_params:,}",
                        i,
                    )
        shape = config.get("constant_shape")
        if isinstance(shape, list) and _ints(shape) == shape and shape:
            n = int(np.prod(shape, dtype=object))
            if n > settings.max_train_params:
                raise ArchitectureError(
                    f"layer {i} ({spec['type']!r}): constant_shape {shape} holds {n:,} values, "
                    f"more than the limit max_train_params = {settings.max_train_params:,}",
                    i,
                )
        if spec["type"] != "dense":
            return
        n_in, n_out = config.get("in_features"), config.get("out_features")
        if _ints(n_in) and _ints(n_out) and n_in * n_out > settings.max_train_params:
            raise ArchitectureError(
                f"layer {i} ('dense'): {n_in:,} × {n_out:,} weights is more than the limit "
                f"max_train_params = {settings.max_train_params:,} (pool or stride more "
                "before flattening)",
                i,
            )

    return before


def _build(specs: list[dict], shape: tuple[int, ...], settings: Settings, seed: int = 0):
    """The engine's model of ``specs`` (its shape rules, its inference of ``in_channels`` /
    ``in_features``); ArchitectureError naming the layer at fault."""
    try:
        return Model.from_spec(specs, input_shape=shape, seed=seed, before=_dense_bound(settings))
    except ArchitectureError:
        raise
    except LayerError as e:
        raise ArchitectureError(str(e), e.layer) from None
    except ValueError as e:  # not one layer's fault: e.g. two layers with one name
        raise ArchitectureError(f"layers: {e}") from None


def dataset_shape(dataset: str, settings: Settings) -> tuple[list[str], tuple[int, int, int]]:
    """The class names and image shape ``(C, H, W)`` of a listed data set (``api.md``)."""
    try:
        info = datasets.info(settings, dataset)
    except datasets.UnknownDataset as e:
        raise ArchitectureError(f"dataset: {e.args[0]}") from None
    return info["classes"], tuple(info["image_shape"])


def check(
    specs: list[dict],
    dataset: str,
    settings: Settings,
    batch_size: int = 128,
    input_shape: list[int] | None = None,
    seed: int = 0,
) -> Checked:
    """Build ``specs`` for ``dataset`` with the engine; ``ArchitectureError`` if it does not fit
    (shapes, the number of classes, or a bound). An error found once the whole model is built
    carries it in ``model``."""
    classes, images = dataset_shape(dataset, settings)
    shape = tuple(input_shape) if input_shape else images
    if shape != images:
        raise ArchitectureError(
            f"input_shape: {dataset} images are {list(images)}, got {list(shape)}"
        )
    if len(specs) > settings.max_train_layers:
        raise ArchitectureError(
            f"layers: {len(specs)} layers is more than the limit "
            f"max_train_layers = {settings.max_train_layers}"
        )
    seen: dict[str, int] = {}
    for i, spec in enumerate(specs):
        name = spec.get("name")
        if name and name in seen:
            raise ArchitectureError(
                f"layer {i} ({spec['type']!r}): the name {name!r} is already used by layer "
                f"{seen[name]}; layer names must be unique",
                i,
            )
        if name:
            seen[name] = i
        _check_bounds(i, spec, settings)
    model = _build(specs, shape, settings, seed)
    out = model.shapes[-1]
    last = len(model.layers) - 1
    error = None
    if len(out) != 1 or out[0] != len(classes):
        error = ArchitectureError(
            f"layer {last} ({model.layers[-1].type!r}): the network ends in shape "
            f"{tuple(out)!r}, but {dataset} has {len(classes)} classes: end with a dense layer "
            f"of out_features={len(classes)} (after a flatten or global pooling)",
            last,
        )
    elif model.num_params > settings.max_train_params:
        error = ArchitectureError(
            f"layers: {model.num_params:,} parameters is more than the limit "
            f"max_train_params = {settings.max_train_params:,}"
        )
    mb = step_megabytes(model, batch_size)
    one = pass_cost(model)
    if error is None and one > settings.max_model_megamacs * 1e6:
        error = ArchitectureError(
            f"layers: one image through this network costs about {one / 1e6:,.0f} M "
            f"multiply-adds, more than the limit max_model_megamacs = "
            f"{settings.max_model_megamacs:,}; use fewer channels or pool earlier"
        )
    step = batch_size * FORWARD_BACKWARD * one
    if error is None and step > settings.max_train_step_megamacs * 1e6:
        error = ArchitectureError(
            f"batch_size: one training step would cost about {step / 1e6:,.0f} M multiply-adds "
            f"({batch_size} images × {FORWARD_BACKWARD} passes × {one / 1e6:,.1f} M), more than "
            f"the limit max_train_step_megamacs = {settings.max_train_step_megamacs:,}; use a "
            "smaller batch"
        )
    if error is None and mb > settings.max_train_step_megabytes:
        error = ArchitectureError(
            f"batch_size: one training step would need about {mb:,.0f} MB at batch size "
            f"{batch_size}, more than the limit max_train_step_megabytes = "
            f"{settings.max_train_step_megabytes:,}; use a smaller batch or fewer channels"
        )
    if error is not None:
        error.model = model
        raise error
    model.classes = list(classes)
    return Checked(model, mb)


def _valid_prefix(specs: list[dict], stop: int, shape, settings: Settings) -> list[dict]:
    """``LayerInfo`` of the layers before ``stop``, or of fewer if those do not fit either."""
    while stop > 0:
        try:
            return _build(specs[:stop], shape, settings).layer_info()
        except ArchitectureError as e:
            stop = e.layer if e.layer is not None and e.layer < stop else 0
    return []


def report(
    specs: list[dict],
    dataset: str,
    settings: Settings,
    batch_size: int = 128,
    input_shape: list[int] | None = None,
) -> dict:
    """An ``ArchitectureReport``: every layer's shapes and parameters, or where it breaks and
    the layers before that."""
    classes, images = dataset_shape(dataset, settings)
    shape = list(input_shape or images)
    try:
        checked = check(specs, dataset, settings, batch_size, input_shape)
    except ArchitectureError as e:
        if e.model is not None:
            layers = e.model.layer_info()
        else:
            layers = _valid_prefix(specs, e.layer or 0, tuple(shape), settings)
        return {
            "valid": False,
            "error": str(e),
            "error_layer": e.layer,
            "layers": layers,
            "input_shape": shape,
            "output_shape": layers[-1]["output_shape"] if layers else None,
            "num_params": sum(info["num_params"] for info in layers),
            "classes": classes,
            "step_megabytes": None,
        }
    model = checked.model
    return {
        "valid": True,
        "error": None,
        "error_layer": None,
        "layers": model.layer_info(),
        "input_shape": list(model.input_shape),
        "output_shape": list(model.shapes[-1]),
        "num_params": model.num_params,
        "classes": classes,
        "step_megabytes": round(checked.step_megabytes, 1),
    }
