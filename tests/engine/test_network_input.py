"""``network_input`` against PIL + torchvision (scripts/make_preprocess_reference.py).

The reference numbers are torchvision's ``Resize``/``CenterCrop``/``ToTensor``/``Normalize``
(and ``Grayscale``, ``PILToTensor``) on the bundled photos and test pictures. On every photo
the engine agrees to :data:`TOL` (measured: exactly, 0.0); crop sizes and offsets are equal
as integers. Float ``pixels`` are resized as PIL ``F`` images and agree with torchvision's
antialiased tensor ``Resize`` to :data:`FLOAT_TOL` (measured: 4.8e-7).
"""

from __future__ import annotations

import io
import json
from functools import cache
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper
from PIL import Image

from engine.onnx_import import import_onnx
from engine.photo import decode_image
from engine.preprocess import network_input, preprocess
from engine.resize import centre_crop_offsets, resample, shorter_side_to
from tests.drawn import draw

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "preprocess"
TOL = 1e-6  # float32 pipeline; the measured difference is 0.0 on every case
FLOAT_TOL = 2e-6  # PIL's F-mode bilinear vs torch's antialiased interpolate (measured 4.8e-7)
IMAGENET = {"mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]}


@cache
def reference() -> dict[str, np.ndarray]:
    with np.load(FIXTURES / "reference.npz", allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def cases() -> list[dict]:
    with np.load(FIXTURES / "reference.npz", allow_pickle=False) as z:
        return json.loads(str(z["cases"]))


def picture(file: str) -> np.ndarray:
    return decode_image((ROOT / file).read_bytes())


@pytest.mark.parametrize("case", cases(), ids=lambda c: c["name"])
def test_matches_torchvision(case):
    """Odd sizes, portrait and landscape, center-crop / stretch / pad, EXIF, RGBA, grey on
    colour, BGR, one grey channel of a photo and raw 0–255 input, each against torchvision."""
    ref = reference()
    shape = tuple(case["input_shape"])
    got = network_input(picture(case["file"]), case["convention"], shape)
    want = ref[case["name"]]
    assert got.x.shape == want.shape == shape and got.x.dtype == np.float32
    scale = 255.0 if case["convention"].get("scale") == 255 else 1.0
    np.testing.assert_allclose(got.x, want, rtol=0, atol=TOL * scale)
    if f"{case['name']}.offsets" in ref:
        h, w = picture(case["file"]).shape[:2]
        rh, rw = shorter_side_to(h, w, case["convention"]["resize"]["size"])
        assert [rh, rw] == ref[f"{case['name']}.resized"].tolist()
        offsets = centre_crop_offsets(rh, rw, shape[1], shape[2])
        assert list(offsets) == ref[f"{case['name']}.offsets"].tolist()


def test_imagenet_resize_256_crop_224_is_exact():
    """torchvision's ImageNet recipe on the cat photo: ``shown`` is ToTensor's input / 255."""
    conv = {**IMAGENET, "resize": {"mode": "center-crop", "size": 256}}
    got = network_input(picture("static/samples/photos/cat.jpg"), conv, (3, 224, 224))
    want = reference()["imagenet224"]  # (224, 224, 3) uint8
    np.testing.assert_array_equal(
        np.rint(got.shown * 255).astype(np.uint8), want.transpose(2, 0, 1)
    )
    mean, std = (np.float32(IMAGENET[k]).reshape(3, 1, 1) for k in ("mean", "std"))
    np.testing.assert_allclose(got.x, (want.transpose(2, 0, 1) / np.float32(255) - mean) / std,
                               rtol=0, atol=TOL)  # fmt: skip


def test_resize_sizes_and_crop_offsets_are_torchvisions():
    """200 random shapes: Resize(S)'s truncated long side, CenterCrop's round-half-even."""
    ref = reference()
    for (h, w, S, H, W), resized, offsets in zip(
        ref["sizes"], ref["resized"], ref["offsets"], strict=True
    ):
        assert shorter_side_to(int(h), int(w), int(S)) == tuple(resized)
        assert centre_crop_offsets(*(int(v) for v in resized), int(H), int(W)) == tuple(offsets)


def test_float_pixels_resize_like_torchvision_tensors():
    ref = reference()
    got = resample(ref["pixels_in"], (24, 31)).transpose(2, 0, 1)  # (3, 24, 31)
    np.testing.assert_allclose(got, ref["float_pixels"], rtol=0, atol=FLOAT_TOL)


def test_colour_photo_on_a_grey_digit_model_is_its_luminance_framed():
    """PIL's ``L`` of the photo, then today's digit framing — unchanged for digit models."""
    got = network_input(picture("tests/fixtures/preprocess/exif_rotated.jpg"), None, (1, 28, 28))
    framed = preprocess(reference()["gray_luminance"], size=(28, 28))
    np.testing.assert_array_equal(got.shown, framed)
    np.testing.assert_array_equal(got.x[0], framed)


def test_exif_orientation_is_applied():
    """Stored 100 wide × 151 tall with orientation 6: shown 151 wide × 100 tall."""
    assert picture("tests/fixtures/preprocess/exif_rotated.jpg").shape == (100, 151, 3)


def test_shown_is_rgb_whatever_the_network_order():
    pic = picture("static/samples/photos/astronaut.jpg")
    rgb = network_input(pic, {"channels": "rgb"}, (3, 20, 20))
    bgr = network_input(pic, {"channels": "bgr"}, (3, 20, 20))
    np.testing.assert_array_equal(rgb.shown, bgr.shown)
    np.testing.assert_array_equal(bgr.x, rgb.x[::-1])


def _nhwc_classifier(seed: int = 0) -> bytes:
    """A Keras-style graph: N×32×32×3 input, Transpose to NCHW, Conv, ReLU, pool, Gemm."""
    rng = np.random.default_rng(seed)
    inits = [
        numpy_helper.from_array(rng.normal(size=(4, 3, 3, 3)).astype(np.float32), "w"),
        numpy_helper.from_array(rng.normal(size=4).astype(np.float32), "b"),
        numpy_helper.from_array(rng.normal(size=(5, 4)).astype(np.float32), "fc_w"),
        numpy_helper.from_array(rng.normal(size=5).astype(np.float32), "fc_b"),
    ]
    nodes = [
        helper.make_node("Transpose", ["input"], ["nchw"], perm=[0, 3, 1, 2]),
        helper.make_node("Conv", ["nchw", "w", "b"], ["conv"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["conv"], ["relu"]),
        helper.make_node("GlobalAveragePool", ["relu"], ["pool"]),
        helper.make_node("Flatten", ["pool"], ["flat"]),
        helper.make_node("Gemm", ["flat", "fc_w", "fc_b"], ["output"], transB=1),
    ]
    x = helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 32, 32, 3])
    y = helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", 5])
    graph = helper.make_graph(nodes, "nhwc", [x], [y], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    onnx.checker.check_model(model)
    return model.SerializeToString()


def test_nhwc_model_gets_what_onnxruntime_gets_from_torchvision():
    """The importer makes an NHWC graph's input NCHW, so ``x[None]`` is right for it: the
    engine on ``network_input`` equals onnxruntime on torchvision's tensor laid out NHWC."""
    data = _nhwc_classifier()
    model = import_onnx(data, {}, name="nhwc", source="nhwc.onnx")
    assert model.meta["onnx"]["input_layout"] == "nhwc" and model.input_shape == (3, 32, 32)
    case = next(c for c in cases() if c["name"] == "rocket_stretch")
    x = network_input(picture(case["file"]), case["convention"], model.input_shape).x
    want_x = reference()["rocket_stretch"][None].transpose(0, 2, 3, 1)  # (1, 32, 32, 3)
    sess = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    want = sess.run(["output"], {"input": want_x})[0]
    np.testing.assert_allclose(model.forward(x[None]), want, rtol=1e-5, atol=1e-5)


def test_pad_centres_with_the_odd_row_at_the_bottom():
    """A 4 × 8 white picture in 5 × 8: fitted to 4 × 8, padded with one row of 0 below."""
    got = network_input(np.full((4, 8, 3), 255, np.uint8), {"resize": {"mode": "pad"}}, (3, 5, 8))
    assert got.shown[:, :4].min() == 1.0 and got.shown[:, 4].max() == 0.0
    tall = network_input(np.full((8, 2), 255, np.uint8), {"resize": {"mode": "pad"}}, (3, 4, 3))
    assert tall.shown[0].tolist() == [[0, 1, 0]] * 4  # fitted to 4 × 1, one column each side


@pytest.mark.parametrize("digit_framing", [True, False])
def test_digit_models_see_what_they_saw_before(digit_framing):
    """A drawn digit as a grey PNG, an RGB PNG and ink in a transparent canvas's alpha: the
    digit model's input is today's ``preprocess`` of the grey or RGBA picture, unchanged."""
    grey = draw(3, slant=0.2)  # (280, 280) uint8, 255 = paper
    canvas = np.zeros((280, 280, 4), dtype=np.uint8)
    canvas[..., 3] = 255 - grey  # black strokes on a transparent canvas
    rgb = np.repeat(grey[:, :, None], 3, axis=2)
    for img, before in ((grey, grey), (rgb, grey), (canvas, canvas)):
        data = io.BytesIO()
        Image.fromarray(img).save(data, "PNG")
        got = network_input(decode_image(data.getvalue()), None, (1, 28, 28),
                            digit_framing=digit_framing)  # fmt: skip
        want = preprocess(before, size=(28, 28), normalise=digit_framing)
        np.testing.assert_array_equal(got.shown, want)
        np.testing.assert_array_equal(got.x, want[None])
