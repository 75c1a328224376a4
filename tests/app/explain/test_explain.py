"""``/api/models/{id}/explain``: the four attribution maps (JSON and PNG), the bounds, the
layers. The filter pages' endpoints (``app/explain/filters.py``) are tested in
``test_explain_filters.py``."""

from __future__ import annotations

import numpy as np
import pytest

from engine import explain
from engine.preprocess import preprocess
from tests.utils import TINY_ID, decode_png, refused, reported_limits, seven_data_url, seven_pixels

API = f"/api/models/{TINY_ID}/explain"
METHODS = ["saliency", "gradcam", "occlusion", "integrated-gradients"]


def network_x(pixels) -> np.ndarray:
    """What the app feeds the model for ``pixels`` (preprocessed): (1, 1, 28, 28)."""
    return preprocess(np.asarray(pixels, dtype=np.float32))[None, None]


# -- the four maps -------------------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_each_method_explains_the_predicted_class_by_default(client, model, method):
    pixels = seven_pixels()
    r = client.post(f"{API}/{method}", json={"pixels": pixels})
    assert r.status_code == 200, r.text
    body = r.json()
    probs = model.predict_proba(network_x(pixels))[0]
    assert body["method"] == method
    assert body["target"] == body["prediction"] == int(probs.argmax())
    assert body["label"] == model.classes[body["target"]]
    assert body["shape"] == [28, 28] and np.asarray(body["map"]).shape == (28, 28)
    assert body["min"] == pytest.approx(np.min(body["map"]), abs=1e-4)
    assert body["max"] == pytest.approx(np.max(body["map"]), abs=1e-4)
    np.testing.assert_allclose(body["probabilities"], probs, atol=1e-5)


def test_saliency_matches_the_engine_for_any_class(client, model):
    pixels = seven_pixels()
    r = client.post(f"{API}/saliency", json={"pixels": pixels, "target": 3})
    body = r.json()
    want = explain.saliency(model, network_x(pixels), 3)
    assert body["target"] == 3 and body["score_kind"] == "logit"
    assert body["score"] == pytest.approx(float(want.score[0]), rel=1e-5)
    np.testing.assert_allclose(
        body["map"], want.saliency[0], rtol=1e-3, atol=1e-4 * want.saliency.max()
    )
    assert np.asarray(body["gradient"]).shape == (1, 28, 28)


def test_gradcam_layer_and_upsampling(client, model):
    r = client.post(
        f"{API}/gradcam", json={"pixels": seven_pixels(), "layer": 2, "upsample": "nearest"}
    )
    body = r.json()
    assert r.status_code == 200, r.text
    assert body["layer"] == 2 and body["layer_name"] == model.layers[2].name
    assert body["layer_shape"] == [3, 14, 14] and np.asarray(body["raw"]).shape == (14, 14)
    assert len(body["weights"]) == 3 and body["upsample"] == "nearest"
    assert body["min"] >= 0
    default = client.post(f"{API}/gradcam", json={"pixels": seven_pixels()}).json()
    assert default["layer"] == 4  # the ReLU after the last conv


def test_occlusion_grid_and_integrated_gradients_completeness(client):
    body = client.post(
        f"{API}/occlusion", json={"pixels": seven_pixels(), "patch": 7, "stride": 7}
    ).json()
    assert body["rows"] == body["cols"] == [0, 7, 14, 21]
    assert np.asarray(body["drops"]).shape == (4, 4) and body["score_kind"] == "probability"
    ig = client.post(
        f"{API}/integrated-gradients", json={"pixels": seven_pixels(), "steps": 256}
    ).json()
    gap = ig["score"] - ig["baseline_score"]
    assert abs(ig["total"] - gap) < 0.02 * np.abs(ig["map"]).sum()  # completeness
    assert ig["delta"] == pytest.approx(ig["total"] - gap, abs=1e-4)


@pytest.mark.parametrize("method", METHODS)
def test_png_overlays_the_map_on_the_input(client, method):
    image = seven_data_url()
    r = client.post(f"{API}/{method}.png", json={"image": image, "target": 7})
    img = decode_png(r)
    assert img.width >= 280 and img.height > 280  # 28×28 at 10 px, plus title and colour bar
    assert float(r.headers["X-Value-Min"]) <= float(r.headers["X-Value-Max"])


@pytest.mark.parametrize(
    ("path", "extra", "status", "words"),
    [
        ("saliency", {"target": 10}, 422, ["target", "0 to 9", "10"]),
        ("saliency", {"target": -1}, 422, ["target"]),
        ("gradcam", {"layer": 5}, 422, ["layer", "[0, 1, 2, 3, 4]"]),
        ("gradcam", {"upsample": "cubic"}, 422, ["upsample"]),
        ("occlusion", {"patch": 29}, 422, ["patch", "28×28"]),
        ("occlusion", {"stride": 0}, 422, ["stride"]),
        ("occlusion", {"value": 2}, 422, ["value"]),
        ("occlusion", {"patch": 1, "stride": 1}, 422, ["max_occlusion_patches", "784"]),
        ("integrated-gradients", {"steps": 100_000}, 422, ["steps", "max_ig_steps"]),
        ("integrated-gradients", {"steps": 0}, 422, ["steps"]),
    ],
)
def test_bad_parameters_are_4xx_naming_the_field_and_limit(make_client, path, extra, status, words):
    client = make_client(max_occlusion_patches=500)
    refused(client.post(f"{API}/{path}", json={"pixels": seven_pixels(), **extra}), status, *words)


def test_bad_input_and_unknown_model(client):
    refused(client.post(f"{API}/saliency", json={}), 422, "image", "pixels")
    refused(
        client.post("/api/models/nope/explain/saliency", json={"pixels": seven_pixels()}),
        404,
        "nope",
    )


def test_limits_report_the_explanation_bounds(client, settings):
    names = ("max_ig_steps", "max_occlusion_patches", "max_top_k", "max_maximise_steps",
             "max_color_side")  # fmt: skip
    assert reported_limits(client, names) == {name: getattr(settings, name) for name in names}


def test_info_lists_the_layers(client):
    body = client.get(API).json()
    assert body["methods"] == METHODS
    assert [layer["index"] for layer in body["gradcam_layers"]] == [0, 1, 2, 3, 4]
    assert body["default_gradcam_layer"] == 4
    assert [(c["index"], c["filters"], c["receptive_field"]) for c in body["conv_layers"]] == [
        (0, 3, [3, 3]),
        (3, 4, [8, 8]),
    ]
