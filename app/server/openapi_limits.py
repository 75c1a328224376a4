"""``/openapi.json`` states the limits the server enforces, with this server's settings.

The Pydantic models say what a field is; the limits (``GET /api/limits``) are settings, so they
are written into the generated document here, once per app: ``maximum``/``maxItems``/
``maxLength`` from ``Settings``, the presets' and samples' names as ``enum``, and which fields
go together (exactly one of ``image`` or ``pixels``). A client — or schemathesis — reading the
document then builds requests the server accepts. The server still checks every one of these
itself (the schema is a description, not the enforcement), and ``tests/app/test_openapi_limits``
checks that each stated bound is the server's: at the bound accepted, past it refused.
"""

from __future__ import annotations

import math

from fastapi import FastAPI

from app.core.settings import Settings
from app.explain.schemas import SAMPLES
from engine import cifar10
from engine.data import CLASSES
from engine.kernels import COLOR_FILTERS, KERNELS

INPUT_SHAPE = (1, 28, 28)  # the digit data sets'
INPUT_SIDE = INPUT_SHAPE[1]  # every trainable and importable model reads 28×28
MAX_CLASS = max(len(c) for c in CLASSES.values()) - 1
DATA_URL_HEAD = len("data:image/jpeg;base64,")


def _branch(prop: dict, kind: str = "") -> dict:
    """The non-null alternative of a property (``X | None`` is ``anyOf [X, null]``)."""
    for alt in prop.get("anyOf", []):
        if alt.get("type") != "null" and (not kind or alt.get("type") == kind):
            return alt
    return prop


def _grid(depth: int, sides: list[int], number: dict | None = None) -> dict:
    """A nested array ``depth`` deep whose level ``i`` has 1..``sides[i]`` items."""
    node = number or {"type": "number"}
    for side in reversed(sides[:depth]):
        node = {"type": "array", "items": node, "minItems": 1, "maxItems": side}
    return node


def _exactly_one(a: str, b: str) -> dict:
    return {"oneOf": [{"required": [a], "properties": {b: False}},
                      {"required": [b], "properties": {a: False}}]}  # fmt: skip


def _at_most_one(a: str, b: str) -> dict:
    return {"not": {"required": [a, b]}}


def _together(component: dict, *rules: dict) -> None:
    component.setdefault("allOf", []).extend(rules)


def _int(prop: dict, lo: int | None = None, hi: int | None = None) -> None:
    node = _branch(prop, "integer")
    if lo is not None:
        node["minimum"] = lo
    if hi is not None:
        node["maximum"] = hi


def _pair(prop: dict, lo: int, hi: int) -> None:
    """An ``int | [int, int]`` property: both bounded."""
    for alt in prop.get("anyOf", [prop]):
        if alt.get("type") == "integer":
            alt.update(minimum=lo, maximum=hi)
        elif alt.get("type") == "array":
            alt.update(minItems=2, maxItems=2, items={"type": "integer", "minimum": lo,
                                                      "maximum": hi})  # fmt: skip


def image_max_length(settings: Settings) -> int:
    """Characters of the largest ``image`` allowed: base64 of ``max_image_bytes``, a data URL."""
    return DATA_URL_HEAD + 4 * math.ceil(settings.max_image_bytes / 3)


def state_limits(schema: dict, settings: Settings) -> None:
    """Write ``settings``' limits into ``schema`` (an OpenAPI document) in place."""
    s = settings
    comps = schema.get("components", {}).get("schemas", {})
    ink = {"type": "number", "minimum": 0, "maximum": 1}
    pixels = _grid(2, [s.max_pixels_side] * 2, ink)
    pixels["minItems"] = pixels["items"]["minItems"] = s.min_pixels_side
    image_len = image_max_length(s)
    for name, comp in comps.items():
        props = comp.get("properties", {})
        if "pixels" in props and "image" in props:  # an ImageInput
            props["pixels"] = {**props["pixels"], "anyOf": [pixels, {"type": "null"}]}
            _branch(props["image"], "string").update(minLength=1, maxLength=image_len)
            _together(comp, _exactly_one("image", "pixels"))
        if "target" in props and name.endswith("Request"):
            _int(props["target"], 0, MAX_CLASS)
    if c := comps.get("GradCAMRequest"):
        _int(c["properties"]["layer"], 0, s.max_train_layers - 1)
    if c := comps.get("OcclusionRequest"):
        _int(c["properties"]["patch"], 1, INPUT_SIDE)
        _int(c["properties"]["stride"], 1, INPUT_SIDE)
    if c := comps.get("IntegratedGradientsRequest"):
        _int(c["properties"]["steps"], 1, s.max_ig_steps)
    if c := comps.get("KernelRequest"):
        p = c["properties"]
        p["kernel"] = {**p["kernel"], "anyOf": [_grid(2, [s.max_kernel_side] * 2),
                                                {"type": "null"}]}  # fmt: skip
        _branch(p["preset"], "string")["enum"] = list(KERNELS)
        _together(c, _exactly_one("kernel", "preset"))
    if c := comps.get("ColorRequest"):
        p = c["properties"]
        rgb = _grid(3, [3, s.max_kernel_side, s.max_kernel_side])
        rgb["minItems"] = 3
        p["kernel"] = {**p["kernel"], "anyOf": [rgb, {"type": "null"}]}
        _branch(p["preset"], "string")["enum"] = list(COLOR_FILTERS)
        _branch(p["image"], "string").update(minLength=1, maxLength=image_len)
        _branch(p["sample"], "string")["enum"] = list(SAMPLES)
        _together(c, _exactly_one("image", "sample"), _at_most_one("kernel", "preset"))
    if c := comps.get("LayerAnatomyRequest"):
        p = c["properties"]
        _int(p["filter"], 0, s.max_channels - 1)
        _branch(p["output"], "array")["items"] = {"type": "integer", "minimum": 0,
                                                  "maximum": INPUT_SIDE - 1}  # fmt: skip
    _training(comps, s)
    _playground(comps, s)
    _import_body(comps, s)
    _parameters(schema, s)


def _training(comps: dict, s: Settings) -> None:
    for name in ("TrainRequest", "ScheduleRequest"):
        if c := comps.get(name):
            p = c["properties"]
            _int(p["epochs"], 1, s.max_train_epochs)
            _int(p["batch_size"], 1, s.max_train_batch_size)
            _int(p["limit"], 1, s.max_train_images)
    if c := comps.get("ArchitectureRequest"):
        _int(c["properties"]["batch_size"], 1, s.max_train_batch_size)
    if c := comps.get("Architecture"):
        p = c["properties"]
        p["layers"]["maxItems"] = s.max_train_layers
        shape = _branch(p["input_shape"], "array")
        shape.update(minItems=3, maxItems=3, enum=[list(INPUT_SHAPE), list(cifar10.SHAPE)])


def _playground(comps: dict, s: Settings) -> None:
    side, ch, k = s.max_conv_input_side, s.max_channels, s.max_kernel_side
    if c := comps.get("ConvRequest"):
        p = c["properties"]
        p["input"]["anyOf"] = [_grid(2, [side, side]), _grid(3, [ch, side, side])]
        p["kernel"]["anyOf"] = [_grid(2, [k, k]), _grid(3, [ch, k, k])]
        _pair(p["stride"], 1, side)
        _pair(p["dilation"], 1, side)
        _pair(p["padding"], 0, s.max_conv_padding)
        step = _branch(p["step"], "array")
        step["items"] = {"type": "integer", "minimum": 0, "maximum": side - 1}
    if c := comps.get("PoolRequest"):
        p = c["properties"]
        p["input"].update(_grid(2, [side, side]))
        _pair(p["kernel_size"], 1, k)
        _pair(p["stride"], 1, side)
        _pair(p["padding"], 0, k // 2)


def _import_body(comps: dict, s: Settings) -> None:
    for name, c in comps.items():
        if name.startswith("Body_import_model"):
            c["properties"]["weights"]["maxLength"] = s.max_import_bytes


# (path suffix, parameter) → (minimum, maximum) from the settings; a figure's .png and .svg
# twins share their JSON route's limits
QUERY_LIMITS = {
    ("/maximise", "steps"): lambda s: (0, s.max_maximise_steps),
    ("/visualise", "steps"): lambda s: (0, s.max_maximise_steps),
    ("/visualise", "unit"): lambda s: (0, s.max_channels - 1),
    ("/maximise", "count"): lambda s: (1, s.max_maximise_units),
    ("/top-activations", "k"): lambda s: (1, s.max_top_k),
    ("/top-activations", "filter"): lambda s: (0, s.max_channels - 1),
    ("/weight-matrix", "filter"): lambda s: (0, s.max_channels - 1),
    ("/weight-matrix", "group"): lambda s: (0, s.max_channels - 1),
    ("/anatomy", "group"): lambda s: (0, s.max_channels - 1),
    ("/weight-matrix", "input_height"): lambda s: (1, s.max_conv_input_side),
    ("/weight-matrix", "input_width"): lambda s: (1, s.max_conv_input_side),
}


def _parameters(schema: dict, s: Settings) -> None:
    for path, ops in schema.get("paths", {}).items():
        for op in ops.values():
            for param in op.get("parameters", []):
                name, where = param["name"], param["in"]
                if where == "path" and name == "index" and "/layers/" in path:
                    _int(param["schema"], 0, s.max_train_layers - 1)
                stem = path.removesuffix(".png").removesuffix(".svg")
                for (suffix, pname), bounds in QUERY_LIMITS.items():
                    if where == "query" and name == pname and stem.endswith(suffix):
                        _int(param["schema"], *bounds(s))


def document_limits(app: FastAPI, settings: Settings) -> None:
    """Wrap ``app.openapi`` so the document it builds (once) states ``settings``' limits."""
    build = app.openapi

    def openapi() -> dict:
        if not getattr(app.state, "limits_stated", False):
            state_limits(build(), settings)
            app.state.limits_stated = True
        return app.openapi_schema

    app.openapi = openapi
