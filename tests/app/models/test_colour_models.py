"""Colour models through the API: photos in, predictions that agree with onnxruntime, the
activations cut to size, and every bad import or photo refused with a clear 4xx and nothing
written (api.md, "Any image")."""

from __future__ import annotations

import base64
import io
import json

import numpy as np
import onnxruntime as ort
import pytest
from PIL import Image

from app.models import packed
from tests.onnx_fixtures import FIXTURES, fixture_bytes

IMAGE = "image/"
CIFAR = FIXTURES.parents[2] / "static" / "samples" / "cifar10"
PHOTOS = FIXTURES.parents[2] / "static" / "samples" / "photos"
CIFAR_INPUT = {"channels": "rgb", "mean": [0.4914, 0.4822, 0.4465], "std": [0.247, 0.2435, 0.2616]}
MEAN, STD = np.array(CIFAR_INPUT["mean"]), np.array(CIFAR_INPUT["std"])


def upload(client, name: str, display: str = "colour", **form):
    data, _ = fixture_bytes(IMAGE + name)
    fields = {"name": display, **{k: v if isinstance(v, str) else json.dumps(v)
                                  for k, v in form.items()}}  # fmt: skip
    files = [("weights", (name, data, "application/octet-stream"))]
    return client.post("/api/models/import", data=fields, files=files)


def data_url(raw: bytes) -> str:
    return "data:image/jpeg;base64," + base64.b64encode(raw).decode()


def onnxruntime_scores(name: str, x: np.ndarray, output: str | None = None) -> np.ndarray:
    """The graph's output ``output`` (default: the last) for ``x: (N, 3, H, W)``."""
    session = ort.InferenceSession(str(FIXTURES / IMAGE / name), providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    feed = {session.get_inputs()[0].name: x.astype(np.float32)}
    return session.run([output or names[-1]], feed)[0]


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


@pytest.fixture
def fresh(make_client, tmp_path):
    return make_client(models_dir=tmp_path / "models")


@pytest.fixture
def cifar(fresh):
    r = upload(fresh, "cifar_cnn.onnx", input=CIFAR_INPUT, classes=list("abcdefghij"))
    assert r.status_code == 201, r.text
    return fresh, r.json()


def test_predict_on_cifar_photos_agrees_with_onnxruntime(cifar):
    client, info = cifar
    assert info["input_shape"] == [3, 32, 32]
    assert info["input"]["channels"] == "rgb" and info["input"]["mean"] == CIFAR_INPUT["mean"]
    files = sorted(CIFAR.glob("*_0000.jpg"))  # one photo of each class
    for path in files:
        raw = path.read_bytes()
        r = client.post(f"/api/models/{info['id']}/predict", json={"image": data_url(raw)})
        assert r.status_code == 200, r.text
        body = r.json()
        # the reference: torchvision's ToTensor + Normalize written out on PIL's decoding
        rgb = np.asarray(Image.open(path).convert("RGB"), dtype=np.float32) / 255  # (32, 32, 3)
        x = ((rgb - MEAN) / STD).transpose(2, 0, 1)[None]  # (1, 3, 32, 32)
        ref = softmax(onnxruntime_scores("cifar_cnn.onnx", x)[0])
        np.testing.assert_allclose(body["probabilities"], ref, atol=1e-4)
        assert np.asarray(body["input"]).shape == (3, 32, 32)
        np.testing.assert_allclose(body["input"], rgb.transpose(2, 0, 1), atol=1e-3)
        top = body["top"]
        assert len(top) == 5 and top[0]["class"] == int(ref.argmax()) == body["prediction"]
        assert top[0]["label"] == "abcdefghij"[top[0]["class"]]
        assert [t["probability"] for t in top] == sorted(t["probability"] for t in top)[::-1]


def test_a_large_photo_and_colour_pixels_are_accepted(cifar):
    client, info = cifar
    raw = (PHOTOS / "cat.jpg").read_bytes()
    r = client.post(f"/api/models/{info['id']}/predict", json={"image": data_url(raw)})
    assert r.status_code == 200, r.text
    assert np.asarray(r.json()["input"]).shape == (3, 32, 32)
    pixels = np.random.default_rng(0).random((32, 32, 3)).round(3)
    r = client.post(f"/api/models/{info['id']}/predict", json={"pixels": pixels.tolist()})
    assert r.status_code == 200, r.text
    x = ((pixels - MEAN) / STD).transpose(2, 0, 1)[None]
    ref = softmax(onnxruntime_scores("cifar_cnn.onnx", x)[0])
    np.testing.assert_allclose(r.json()["probabilities"], ref, atol=1e-4)


def test_activations_in_parts_and_reduced(cifar):
    client, info = cifar
    url = f"/api/models/{info['id']}/activations"
    body = {"image": data_url((CIFAR / "cat_0000.jpg").read_bytes())}
    full = client.post(url, json=body).json()["layers"]
    part = client.post(url + "?layers=0-1,3&max_channels=2", json=body).json()["layers"]
    assert [layer["shape"] for layer in part] == [layer["shape"] for layer in full]
    for a, b in zip(full, part, strict=True):
        assert (a["min"], a["max"]) == (b["min"], b["max"])  # the statistics of every channel
        if b["index"] not in (0, 1, 3):
            assert b["data"] is None
        elif len(a["shape"]) == 3:
            assert b["shipped_channels"] == min(2, a["shape"][0])
            np.testing.assert_allclose(b["data"], np.asarray(a["data"])[:2], atol=1e-3)
        else:
            assert b["data"] == a["data"]
    message = client.post(url + "?format=float32&layers=0&max_channels=1", json=body).content
    header, arrays = packed.unpack(message)
    assert header["input"].shape == (3, 32, 32)
    assert arrays[0].shape == (1, *full[0]["shape"][1:]) and arrays[1].shape == (0,)
    assert header["layers"][0]["shape"] == full[0]["shape"]
    np.testing.assert_allclose(arrays[0], np.asarray(full[0]["data"])[:1], atol=1e-3)


@pytest.mark.parametrize("layers", ["99", "3-1", "a"])
def test_a_bad_layer_list_is_422(cifar, layers):
    client, info = cifar
    body = {"pixels": [[0.0] * 8] * 8}
    r = client.post(f"/api/models/{info['id']}/activations?layers={layers}", json=body)
    assert r.status_code == 422 and "layers" in r.text


def test_the_output_field_chooses_among_graph_outputs(fresh):
    r = upload(fresh, "two_outputs.onnx", output="scores")
    assert r.status_code == 201, r.text
    x = np.random.default_rng(1).random((32, 32, 3))
    r = fresh.post(f"/api/models/{r.json()['id']}/predict", json={"pixels": x.tolist()})
    ref = softmax(onnxruntime_scores("two_outputs.onnx", x.transpose(2, 0, 1)[None], "scores"))
    np.testing.assert_allclose(r.json()["probabilities"], ref[0], atol=1e-4)


@pytest.mark.parametrize(
    ("name", "form", "words"),
    [
        ("cifar_cnn.onnx", {"input": {"channels": "gray"}}, ["input.channels", "3 channel"]),
        ("cifar_cnn.onnx", {"input": {"mean": [0.5, 0.5], "std": [0.2]}}, ["input.mean", "1 or"]),
        ("cifar_cnn.onnx", {"input": {"resize": {"mode": "zoom"}}}, ["input.resize"]),
        ("two_outputs.onnx", {"output": "nope"}, ["output", "nope", "scores"]),
        ("../lenet.onnx", {"input": {"channels": "rgb"}}, ["input.channels", "'rgb'"]),
    ],
)
def test_a_bad_import_is_422_and_writes_nothing(fresh, name, form, words):
    before = fresh.get("/api/models").json()["models"]
    r = upload(fresh, name, **form)
    assert r.status_code == 422, r.text
    for w in words:
        assert w in r.json()["detail"], r.json()["detail"]
    assert fresh.get("/api/models").json()["models"] == before


def jpeg(side: int) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (side, side), (200, 30, 30)).save(buf, format="JPEG")
    return buf.getvalue()


@pytest.mark.parametrize(
    ("raw", "status", "words"),
    [
        (jpeg(300), 413, ["image", "max_image_side = 256"]),
        (jpeg(64)[:300], 422, ["image", "JPEG", "decoded"]),
        (b"GIF89a not a photo", 422, ["image", "PNG, JPEG or WebP"]),
    ],
)
def test_a_bad_photo_is_a_clear_4xx(make_client, tmp_path, raw, status, words):
    client = make_client(models_dir=tmp_path / "models", max_image_side=256)
    info = upload(client, "cifar_cnn.onnx", input=CIFAR_INPUT).json()
    r = client.post(f"/api/models/{info['id']}/predict", json={"image": data_url(raw)})
    assert r.status_code == status, r.text
    for w in words:
        assert w in r.json()["detail"]
