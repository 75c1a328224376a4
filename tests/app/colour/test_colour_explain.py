"""Saliency, Grad-CAM, occlusion and integrated gradients on a colour photo through a CIFAR-size
RGB CNN imported from ONNX; every number that comes from the model checked with onnxruntime."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from app.core.render import ColourScale
from app.explain.render import overlay_rgb
from tests.colour_model import MEAN, STD, ort_logits, ort_probs

BASE = "/api/models/cifar/explain"


def ok(r) -> dict:
    assert r.status_code == 200, r.text[:300]
    return r.json()


def test_saliency_is_the_largest_gradient_magnitude_over_the_three_channels(colour, cat):
    client, _ = colour
    body, x = cat
    d = ok(client.post(f"{BASE}/saliency", json={**body, "target": 3}))
    grad = np.asarray(d["gradient"])
    assert grad.shape == (3, 32, 32) and d["shape"] == [32, 32]
    assert np.allclose(d["map"], np.abs(grad).max(axis=0), atol=1e-6)
    assert np.isclose(d["score"], ort_logits(x)[0, 3], atol=1e-5)
    assert np.asarray(d["input"]).shape == (3, 32, 32)  # the photo, RGB
    # the gradient: a directional derivative against onnxruntime's centred difference
    v = np.random.default_rng(0).standard_normal(x.shape).astype(np.float32)
    h = 1e-4  # small enough to cross no ReLU or max-pool kink
    numeric = (ort_logits(x + h * v)[0, 3] - ort_logits(x - h * v)[0, 3]) / (2 * h)
    assert np.isclose(float((grad * v[0]).sum()), numeric, rtol=5e-2)


def test_gradcam_is_drawn_over_the_photo_in_colour(colour, cat):
    client, _ = colour
    body, _ = cat
    d = ok(client.post(f"{BASE}/gradcam", json=body))
    assert d["shape"] == [32, 32] and len(d["layer_shape"]) == 3
    r = client.post(f"{BASE}/gradcam.png", json=body)
    assert r.status_code == 200 and r.content[:4] == b"\x89PNG"
    rgb = np.asarray(Image.open(io.BytesIO(r.content)).convert("RGB")).astype(int)
    assert (np.ptp(rgb, axis=2) > 40).mean() > 0.05  # coloured, not a grey picture


def test_the_overlay_keeps_the_photo_where_the_map_is_zero():
    photo = np.random.default_rng(1).random((3, 4, 5))
    scale = ColourScale.for_values(np.array([0.0, 1.0]), signed=False)
    got = overlay_rgb(photo, np.zeros((4, 5)), scale)
    assert np.array_equal(got, (255 * photo.transpose(1, 2, 0)).round().astype(np.uint8))


def test_occlusion_with_a_grey_patch_drops_what_onnxruntime_drops(colour, cat):
    client, _ = colour
    body, x = cat
    d = ok(client.post(f"{BASE}/occlusion", json={**body, "target": 0}))
    assert d["value"] == 0.5 and d["patch"] == 6 and d["stride"] == 2  # a photo: mid-grey
    r, c = d["rows"][3], d["cols"][5]
    occluded = x.copy()
    grey = ((0.5 - MEAN) / STD).reshape(3, 1, 1)
    occluded[0, :, r : r + 6, c : c + 6] = grey
    want = ort_probs(x)[0, 0] - ort_probs(occluded)[0, 0]
    assert np.isclose(d["drops"][3][5], want, atol=1e-5)


def test_integrated_gradients_from_black_add_up_to_the_logit_difference(colour, cat):
    client, _ = colour
    body, x = cat
    d = ok(client.post(f"{BASE}/integrated-gradients", json={**body, "target": 8}))
    black = np.broadcast_to(((0 - MEAN) / STD).astype(np.float32), x.shape)
    assert np.isclose(d["score"], ort_logits(x)[0, 8], atol=1e-5)
    assert np.isclose(d["baseline_score"], ort_logits(np.ascontiguousarray(black))[0, 8], atol=1e-5)
    assert abs(d["delta"]) < 0.05 * max(abs(d["score"] - d["baseline_score"]), 1e-3) + 1e-3
    r = client.post(f"{BASE}/integrated-gradients.png", json={**body, "target": 8})
    assert r.status_code == 200 and "X-Value-Min" in r.headers  # the legend's range


def test_maximise_gives_colour_pictures_that_raise_the_unit(colour):
    client, _ = colour
    d = ok(client.get(f"{BASE}/layers/0/maximise", params={"filter": 2, "steps": 16}))
    (f,) = d["filters"]
    assert np.asarray(f["image"]).shape == (3, 32, 32)
    assert f["activation"] > f["initial"]
    r = client.get(f"{BASE}/layers/0/maximise.png", params={"first": 0, "count": 2, "steps": 8})
    assert r.status_code == 200 and r.content[:4] == b"\x89PNG"
