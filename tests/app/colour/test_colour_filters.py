"""The filters page's API on colour models: top-activating CIFAR-10 photos for the shipped
CIFAR-10 LeNet (the repository's sample when the data directory has no full copy), bundled
photos for a model without a data set, the per-unit feature visualisation; every limit a 4xx
naming its field."""

from __future__ import annotations

import base64
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from engine import cifar10
from engine.explain.geometry import receptive_field
from engine.explain.top_activations import compute_top_activations
from engine.explain.visualise import unit_regularisers
from engine.model import Model
from tests.utils import decode_png, refused

LENET = Path(__file__).resolve().parents[3] / "models" / "cifar10-lenet.npz"
TOP = "/api/models/{}/explain/layers/{}/top-activations"
VIS = "/api/models/{}/explain/layers/{}/visualise"


@pytest.fixture(scope="module")
def lenet(settings, tmp_path_factory):
    """``(client, model)``: the shipped CIFAR-10 LeNet served as ``lenet`` (its card says
    cifar10); the data directory has no CIFAR-10, so the shipped sample stands in."""
    model = Model.load(LENET)
    cache = tmp_path_factory.mktemp("cache")
    with TestClient(create_app(settings.model_copy(update={"cache_dir": cache}))) as client:
        client.app.state.registry.add("lenet", model)
        yield client, model


def ok(r) -> dict:
    assert r.status_code == 200, r.text[:300]
    return r.json()


def test_top_images_of_a_cifar_model_are_the_cifar_photos_in_colour(lenet):
    client, model = lenet
    d = ok(client.get(TOP.format("lenet", 3), params={"k": 4}))
    assert d["dataset"] == "cifar10 test sample (150 photos)" and d["channels"] == 3
    assert d["receptive_field"] == [14, 14] and len(d["filters"]) == 16
    images, labels = cifar10.load_sample()
    want = compute_top_activations(model, images, k=4)[3]
    for entry in d["filters"]:
        f = entry["filter"]
        assert [e["index"] for e in entry["examples"]] == want.index[f].tolist()
        e = entry["examples"][0]
        assert e["label"] == cifar10.CLASSES[labels[e["index"]]]
        assert e["value"] == pytest.approx(float(want.value[f, 0]), rel=1e-5)
        patch = np.asarray(e["patch"])
        assert patch.shape == (3, 14, 14)
        np.testing.assert_allclose(patch, want.patches[f, 0] / 255, atol=1e-3)
    one = ok(client.get(TOP.format("lenet", 0), params={"filter": 5, "k": 2}))
    assert [f["filter"] for f in one["filters"]] == [5]
    assert np.asarray(one["filters"][0]["examples"][1]["patch"]).shape == (3, 5, 5)
    png = decode_png(client.get(TOP.format("lenet", 0) + ".png", params={"k": 3}))
    assert png.mode == "RGB" and png.width > 3 * 5
    svg = client.get(TOP.format("lenet", 0) + ".svg", params={"k": 3, "filter": 1})
    assert svg.headers["content-type"].startswith("image/svg+xml") and "<svg" in svg.text


def test_an_install_reads_the_sample_from_its_static_folder(
    settings, make_client, tmp_path, monkeypatch
):
    static = tmp_path / "static"
    (static / "samples" / "cifar10").mkdir(parents=True)
    for jpg in sorted(cifar10.SAMPLE_DIR.glob("*_000[0-1].jpg")):
        (static / "samples" / "cifar10" / jpg.name).write_bytes(jpg.read_bytes())
    monkeypatch.setattr(cifar10, "SAMPLE_DIR", tmp_path / "not-beside-the-engine")
    client = make_client(static_dir=static, cache_dir=tmp_path / "cache")
    client.app.state.registry.add("lenet", Model.load(LENET))
    d = ok(client.get(TOP.format("lenet", 0), params={"k": 2, "filter": 0}))
    assert d["dataset"] == "cifar10 test sample (20 photos)"
    labels = {e["label"] for e in d["filters"][0]["examples"]}
    assert labels <= set(cifar10.CLASSES)


def test_a_colour_model_without_a_data_set_ranks_the_bundled_photos(colour):
    client, _ = colour  # an imported CIFAR-size CNN whose card names no data set
    d = ok(client.get(TOP.format("cifar", 0), params={"k": 3, "filter": 1}))
    assert d["dataset"] == "bundled photos" and d["channels"] == 3
    (entry,) = d["filters"]
    names = {p.stem for p in (Path("static") / "samples" / "photos").glob("*.jpg")}
    assert {e["label"] for e in entry["examples"]} <= names
    values = [e["value"] for e in entry["examples"]]
    assert values == sorted(values, reverse=True)
    refused(client.get(TOP.format("cifar", 0), params={"k": 14}), 422, "k", "bundled photos")


def test_top_images_refuse_work_past_the_limits_before_starting(settings, make_client):
    client = make_client(max_table_megamacs=1)
    client.app.state.registry.add("lenet", Model.load(LENET))
    refused(client.get(TOP.format("lenet", 0)), 422, "model_id", "max_table_megamacs = 1")
    small = make_client(max_top_values=1000)
    small.app.state.registry.add("lenet", Model.load(LENET))
    refused(small.get(TOP.format("lenet", 3)), 422, "filter", "max_top_values = 1,000")


def test_the_values_limit_counts_each_patch_as_its_receptive_field(make_client):
    """A first layer's patches are its small receptive field, not the whole photo: allowed at a
    limit the whole photos would pass; the next conv's larger ones are refused, their size said."""
    model = Model.load(LENET)
    convs = [i for i, ly in enumerate(model.layers) if ly.type == "conv2d"]
    per_patch = [3 * min(32, h) * min(32, w) for h, w in (receptive_field(model, i) for i in convs)]
    filters = [model.layers[i].out_channels for i in convs]
    limit = filters[0] * 9 * per_patch[0]  # k = 9: exactly the first layer's patches
    assert limit < filters[0] * 9 * 3 * 32 * 32 and filters[1] * 9 * per_patch[1] > limit
    client = make_client(max_top_values=limit)
    client.app.state.registry.add("lenet", model)
    assert client.get(TOP.format("lenet", convs[0])).status_code == 200
    refused(
        client.get(TOP.format("lenet", convs[1])), 422, "filter", f"up to {per_patch[1]:,} values"
    )


def test_a_unit_is_visualised_in_colour_and_its_activation_rises(lenet):
    client, model = lenet
    d = ok(client.get(VIS.format("lenet", 3), params={"unit": 4, "steps": 40, "seed": 2}))
    assert np.asarray(d["image"]).shape == (3, 32, 32)
    assert len(d["history"]) == 41 and d["history"][-1] == pytest.approx(d["activation"])
    assert d["activation"] > d["initial"] + 1.0
    r = unit_regularisers(model, 3)
    assert d["regularisers"] == {"jitter": r.jitter, "blur_every": 4, "l2": r.l2, "tv": r.tv}
    assert d["penalties"]["tv"] > 0
    again = ok(client.get(VIS.format("lenet", 3), params={"unit": 4, "steps": 40, "seed": 2}))
    assert again["image"] == d["image"]  # memoised or recomputed, the same picture
    bare = {"unit": 4, "steps": 40, "seed": 2, "tv": 0, "blur_every": 0, "jitter": 0}
    rough = ok(client.get(VIS.format("lenet", 3), params=bare))
    assert rough["regularisers"]["tv"] == 0 and rough["penalties"]["tv"] > d["penalties"]["tv"]
    png = decode_png(client.get(VIS.format("lenet", 0) + ".png", params={"unit": 1}))
    assert png.mode == "RGB" and png.width >= 256
    svg = client.get(VIS.format("lenet", 0) + ".svg", params={"unit": 1})
    assert svg.headers["content-type"].startswith("image/svg+xml") and "unit 1" in svg.text


@pytest.mark.parametrize(
    ("layer", "params", "status", "words"),
    [
        (3, {"unit": 16}, 422, ["unit", "0 to 15"]),
        (3, {"unit": 0, "steps": 100_000}, 422, ["steps", "max_maximise_steps"]),
        (3, {"unit": 0, "tv": 0.5}, 422, ["tv"]),
        (3, {"unit": 0, "l2": 1.5}, 422, ["l2"]),
        (3, {"unit": 0, "jitter": 99}, 422, ["jitter"]),
        (3, {}, 422, ["unit"]),
        (12, {"unit": 0}, 404, ["index", "no units"]),
    ],
)
def test_visualise_refuses_bad_queries_by_name(lenet, layer, params, status, words):
    client, _ = lenet
    refused(client.get(VIS.format("lenet", layer), params=params), status, *words)


def test_visualise_refuses_a_request_over_the_cost_limit(make_client):
    client = make_client(max_request_megamacs=100)  # conv2: ~4 M a step (3 passes of ~1.3 M)
    client.app.state.registry.add("lenet", Model.load(LENET))
    r = client.get(VIS.format("lenet", 3), params={"unit": 0, "steps": 200})
    fits = int(
        refused(r, 422, "steps", "max_request_megamacs = 100").split("at most ")[1].split()[0]
    )
    assert 0 < fits < 200
    assert client.get(VIS.format("lenet", 3), params={"unit": 0, "steps": fits}).status_code == 200


def _photo(name: str) -> dict:
    data = (Path("static") / "samples" / "photos" / name).read_bytes()
    return {"image": "data:image/jpeg;base64," + base64.b64encode(data).decode()}


def test_your_own_photos_are_ranked_per_filter(lenet):
    client, model = lenet
    names = ["cat.jpg", "coffee.jpg", "rocket.jpg", "horse.jpg"]
    body = {"photos": [_photo(n) for n in names], "names": names, "k": 2, "filter": 3}
    d = ok(client.post(TOP.format("lenet", 3), json=body))
    assert d["dataset"] == "your photos" and d["channels"] == 3 and not d["cached"]
    (entry,) = d["filters"]
    assert [e["label"] for e in entry["examples"]] == [names[e["index"]] for e in entry["examples"]]
    # the same ranking as the engine on the photos as the model sees them (32 × 32)
    pictures = []
    for n in names:
        r = ok(client.post("/api/models/lenet/predict", json=_photo(n)))
        pictures.append(np.asarray(r["input"]))  # (3, 32, 32) in [0, 1]
    x = np.round(np.stack(pictures) * 255) / 255  # the uint8 the ranking reads
    maxima = model.forward(x.astype(np.float32), stop=4)[:, 3].max(axis=(1, 2))  # (4,)
    assert [e["index"] for e in entry["examples"]] == np.argsort(-maxima)[:2].tolist()
    assert np.asarray(entry["examples"][0]["patch"]).shape == (3, 14, 14)


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"photos": [{"image": "bm90IGFuIGltYWdl"}]}, 422, ["photos[0].image"]),
        ({"photos": [{"pixels": [[0.5] * 8] * 8}], "k": 2}, 422, ["k", "1 photos"]),
        ({"photos": [{"pixels": [[0.5] * 8] * 8}] * 17}, 422, ["photos", "max_top_photos = 16"]),
        ({"photos": [{"pixels": [[0.5] * 8] * 8}], "k": 1, "names": []}, 422, ["names"]),
        ({"photos": [{"pixels": [[0.5] * 8] * 8}], "k": 1, "filter": 6}, 422, ["filter"]),
        ({"photos": []}, 422, ["photos"]),
    ],
)
def test_your_photos_are_refused_by_name(lenet, body, status, words):
    client, _ = lenet
    refused(client.post(TOP.format("lenet", 0), json=body), status, *words)
