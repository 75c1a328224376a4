"""Every numeric parameter of the API is bounded: by its schema (``maximum``), or at run time by
a limit that ``GET /api/limits`` reports, or by the thing it indexes (layers, filters, classes,
test images). A new parameter fails here until it is given a bound and listed."""

from __future__ import annotations

import pytest

from app.core.settings import Settings
from app.main import create_app

# (method path, where) → what bounds it when the schema does not; limit names are /api/limits keys.
RUNTIME_BOUNDS = {
    "path:index": "the model's layers (404), or the test set's size (404)",
    "query:filter": "the layer's filters (422)",
    "query:first": "the layer's units (422)",
    "query:unit": "the layer's units (422)",
    "body.filter": "the layer's filters (422)",
    "query:input_height": "max_conv_input_side",
    "query:input_width": "max_conv_input_side",
    "body.pixels[][]": "values in [0, 1]; sides min_pixels_side..max_pixels_side",
    "body.input[][]": "max_conv_input_side, finite",
    "body.input[][][]": "max_conv_input_side, max_channels, finite",
    "body.kernel[][]": "max_kernel_side, finite",
    "body.kernel[][][]": "max_kernel_side, max_channels, finite",
    "body.bias": "finite (a single number added)",
    "body.stride": "max_conv_input_side",
    "body.stride[]": "max_conv_input_side",
    "body.padding": "max_conv_padding (conv), half the kernel (pool)",
    "body.padding[]": "max_conv_padding (conv), half the kernel (pool)",
    "body.dilation": "max_conv_input_side",
    "body.dilation[]": "max_conv_input_side",
    "body.kernel_size": "max_kernel_side",
    "body.kernel_size[]": "max_kernel_side",
    "body.step[]": "the output's size (422)",
    "body.output[]": "the output's size (422)",
    "body.target": "the model's classes (422)",
    "body.layer": "the model's layers (422)",
    "body.patch": "the input's size (422), max_occlusion_patches",
    "body.steps": "max_ig_steps",
    "query:k": "max_top_k",
    "body.k": "the photos sent (422), at most max_top_photos",
    "query:steps": "max_maximise_steps",
    "query:offset": "the test set's size (404), or an empty page",
    "query:true_class": "the model's classes (422)",
    "query:predicted_class": "the model's classes (422)",
    "body.architecture.input_shape[]": "must be the data set's [1, 28, 28] (422)",
    "body.batch_size": "max_train_batch_size (training), max_train_step_megabytes",
    "body.epochs": "max_train_epochs",
    "body.limit": "max_train_images",
    "body.channel": "the layers' channels (clamped to each layer's last)",
}


def numeric_parameters(schema: dict) -> list[tuple[str, str, str, bool]]:
    """``(method, path, where, has_maximum)`` for every integer/number in requests."""
    components = schema["components"]["schemas"]
    out = []

    def walk(node, where, seen, op):
        if not isinstance(node, dict):  # `false`: a property that must be absent
            return
        if "$ref" in node:
            name = node["$ref"].split("/")[-1]
            if name not in seen:
                walk(components[name], where, seen | {name}, op)
            return
        for key in ("anyOf", "oneOf", "allOf", "not"):
            subs = node.get(key, [])
            for sub in subs if isinstance(subs, list) else [subs]:
                walk(sub, where, seen, op)
        if node.get("type") in ("integer", "number"):
            bounded = "maximum" in node or "exclusiveMaximum" in node
            out.append((*op, where, bounded))
        for name, sub in node.get("properties", {}).items():
            walk(sub, f"{where}.{name}", seen, op)
        if node.get("type") == "array" and "items" in node:
            walk(node["items"], f"{where}[]", seen, op)

    for path, operations in schema["paths"].items():
        for method, op in operations.items():
            for p in op.get("parameters", []):
                walk(p.get("schema", {}), f"{p['in']}:{p['name']}", frozenset(), (method, path))
            for content in op.get("requestBody", {}).get("content", {}).values():
                walk(content.get("schema", {}), "body", frozenset(), (method, path))
    return out


def test_every_numeric_parameter_has_a_bound():
    params = numeric_parameters(create_app(Settings()).openapi())
    assert len(params) > 50
    unlisted = sorted(
        f"{m.upper()} {p} {where}"
        for m, p, where, bounded in params
        if not bounded and where not in RUNTIME_BOUNDS
    )
    assert unlisted == [], "numeric parameters with no bound: give them one and list it here"


def test_the_runtime_limits_named_here_are_reported():
    limits = Settings().limits()
    for bound in RUNTIME_BOUNDS.values():
        for word in bound.replace(",", " ").replace("..", " ").split():
            if word.startswith(("max_", "min_")):
                assert word in limits, word


@pytest.mark.parametrize(
    "path, limit",
    [
        ("/api/models/tiny/explain/layers/0/maximise?steps=100000", "max_maximise_steps"),
        ("/api/models/tiny/explain/layers/0/top-activations?k=100000", "max_top_k"),
        ("/api/models/tiny/layers/0/weight-matrix?input_height=100000", "max_conv_input_side"),
        ("/api/models/tiny/explain/layers/5/maximise", "max_maximise_units"),
        ("/api/models/tiny/explain/layers/0/maximise?count=65", "max_maximise_units"),
    ],
)
def test_past_a_limit_is_a_4xx_naming_it(client, path, limit):
    r = client.get(path)
    assert 400 <= r.status_code < 500 and limit in r.json()["detail"], r.text
