"""The cost rule on a ResNet-18-sized model (1.9 G multiply-add equivalents a pass, about six
passes within ``max_request_megamacs``): every heavy endpoint at its defaults either runs within
the bound or answers a 422 naming the field and the largest (or smallest) legal value — before
any work starts, so these tests take milliseconds after the model is built."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from fastapi import HTTPException
from fastapi.testclient import TestClient
from PIL import Image

from app.core.bounds import check_gradient
from app.main import create_app
from engine.cost import pass_cost
from tests.resnet18 import resnet18

BIG = "resnet18"
DRAWING = {"pixels": [[0.0] * 28] * 28}


@pytest.fixture(scope="module")
def big(settings):
    with TestClient(create_app(settings)) as client:
        client.app.state.registry.add(BIG, resnet18())
        yield client, settings


def refused(r, field: str) -> str:
    assert r.status_code == 422, r.text[:300]
    detail = r.json()["detail"]
    assert detail.startswith(f"{field}:"), detail
    return detail


def test_the_model_is_resnet18_sized():
    one = pass_cost(resnet18())
    assert 1.5e9 < one < 2.5e9
    assert len(resnet18().layers) == 70


def test_saliency_and_gradcam_fit_at_the_defaults(settings):
    check_gradient(settings, resnet18())  # prediction + forward + backward: about 7.8 G
    with pytest.raises(HTTPException) as refused_:
        check_gradient(settings.model_copy(update={"max_request_megamacs": 7_000}), resnet18())
    assert refused_.value.detail.startswith("model_id:")


def test_occlusion_at_the_defaults_names_the_smallest_stride_that_fits(big):
    client, settings = big
    url = f"/api/models/{BIG}/explain/occlusion"
    detail = refused(client.post(url, json=DRAWING), "patch/stride")
    stride = int(re.search(r"use stride >= (\d+) with patch 6", detail).group(1))
    detail = refused(client.post(url, json={**DRAWING, "stride": stride - 1}), "patch/stride")
    assert f"max_request_megamacs = {settings.max_request_megamacs:,}" in detail
    assert f"use stride >= {stride} with patch 6" in detail


def test_integrated_gradients_at_the_defaults_names_the_largest_steps(big):
    client, _ = big
    url = f"/api/models/{BIG}/explain/integrated-gradients"
    detail = refused(client.post(url, json=DRAWING), "steps")
    steps = int(re.search(r"use at most (\d+) steps", detail).group(1))
    assert steps >= 1
    refused(client.post(url, json={**DRAWING, "steps": steps + 1}), "steps")


def test_maximise_at_the_defaults_names_a_page_that_fits(big):
    client, settings = big
    last_conv = max(i for i, ly in enumerate(resnet18().layers) if ly.type == "conv2d")
    url = f"/api/models/{BIG}/explain/layers/{last_conv}/maximise"
    detail = refused(client.get(url), "filter")  # every unit at once: more than a page
    steps = int(re.search(r"one unit at a time, with at most (\d+) steps", detail).group(1))
    assert steps >= 1
    detail = refused(client.get(url, params={"filter": 0, "steps": steps + 1}), "filter/steps")
    assert f"at most {steps} steps" in detail


def test_maximise_of_the_first_layer_names_the_largest_steps(big):
    client, _ = big
    url = f"/api/models/{BIG}/explain/layers/0/maximise"
    detail = refused(client.get(url), "filter/steps")  # 64 units × 48 steps
    steps = int(re.search(r"one unit at a time, with at most (\d+) steps", detail).group(1))
    assert 1 <= steps < 48
    refused(client.get(url, params={"filter": 3, "steps": steps + 1}), "filter/steps")


def test_backprop_on_the_big_model_is_refused_naming_the_model(big):
    client, settings = big
    r = client.post(f"/api/models/{BIG}/backprop", json={**DRAWING, "target": 3})
    detail = refused(r, "model_id")
    assert "max_backprop_values" in detail or "max_request_megamacs" in detail


def test_a_big_layers_pictures_stay_within_the_side_limit(big):
    client, settings = big
    last_conv = max(i for i, ly in enumerate(resnet18().layers) if ly.type == "conv2d")
    r = client.get(f"/api/models/{BIG}/layers/{last_conv}/filters.png")  # 512 × 512 × 3 × 3
    assert r.status_code == 200
    first, total = r.headers["X-Page"].split("/")
    assert total == "512" and first.startswith("0-")
    side = max(Image.open(io.BytesIO(r.content)).size)
    assert side <= settings.max_png_side
    photo = {"pixels": np.full((224, 224, 3), 0.5).tolist()}
    r = client.post(f"/api/models/{BIG}/layers/0/feature-maps.png", json=photo)  # 64 × 112²
    assert r.status_code == 200, r.text[:300]
    assert max(Image.open(io.BytesIO(r.content)).size) <= settings.max_png_side
    assert r.headers["X-Page"].endswith("/64")
