"""Int8-quantized ONNX models import as their float equivalent (``engine/onnx_import/quantized``).

The fixtures (``scripts/make_quantized_fixtures.py``) are a trained grey digit CNN and a trained
colour CIFAR-10 CNN (BatchNorm, average pool, concat, residual add, global average pool), each
quantized by onnxruntime three ways: QDQ, QOperator and dynamic. On real images — MNIST test
digits and the CIFAR-10 test photos in ``static/samples/cifar10`` — the engine's top-1
class is onnxruntime's on at least 99 % of them; the weights are exactly (q − zero_point) · scale.
"""

from __future__ import annotations

import io
import json
from functools import cache

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import numpy_helper
from PIL import Image

from engine.card import model_card
from engine.convention import to_network
from engine.onnx_import import import_onnx
from engine.ops.activation import softmax
from tests.onnx_fixtures import FIXTURES, ROOT, mnist_digits

QUANTIZED = FIXTURES / "quantized"
MANIFEST = json.loads((QUANTIZED / "manifest.json").read_text())
SAMPLE = ROOT / "static" / "samples" / "cifar10"
CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
FORMATS = {"qdq": "QDQ", "qop": "QOperator", "dynamic": "dynamic"}
N_DIGITS = 500


@cache
def photos() -> tuple[np.ndarray, np.ndarray]:
    """The CIFAR-10 sample as pixels ``(N, 3, 32, 32)`` in [0, 1], and labels."""
    files = sorted(SAMPLE.glob("*.jpg"))
    rgb = [np.asarray(Image.open(io.BytesIO(f.read_bytes())).convert("RGB")) for f in files]
    pixels = np.stack(rgb).transpose(0, 3, 1, 2).astype(np.float32) / 255.0  # (N, 3, 32, 32)
    labels = np.array([CLASSES.index(f.stem.rsplit("_", 1)[0]) for f in files])
    return pixels, labels


def real_images(name: str) -> tuple[np.ndarray, np.ndarray]:
    """Real images as the fixture's network input, and their labels."""
    entry = MANIFEST[name]
    pixels, labels = mnist_digits(N_DIGITS) if entry["dataset"] == "mnist" else photos()
    return to_network(pixels, entry["input"]), labels


@cache
def imported(name: str):
    return import_onnx((QUANTIZED / name).read_bytes(), name=name, source=name)


def onnxruntime_logits(name: str, x: np.ndarray) -> np.ndarray:
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    sess = ort.InferenceSession(str(QUANTIZED / name), opts, providers=["CPUExecutionProvider"])
    return sess.run(None, {sess.get_inputs()[0].name: x.astype(np.float32)})[0]


def initializers(name: str) -> dict[str, np.ndarray]:
    model = onnx.load(str(QUANTIZED / name))
    return {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}


def test_the_sample_photos_are_real_cifar10_test_photos():
    pixels, labels = photos()
    assert pixels.shape == (150, 3, 32, 32)
    assert np.bincount(labels, minlength=10).tolist() == [15] * 10
    assert 0.3 < pixels.mean() < 0.7 and pixels.std() > 0.15  # photos, not blank or noise


def agreement(name: str) -> tuple[float, float, float, float, int]:
    """Top-1 agreement with onnxruntime — strict (the same argmax), and counting a class tied
    for onnxruntime's top as agreeing — the largest probability difference, onnxruntime's
    accuracy, and the number of real images.

    The static models quantize their logits to 8 bits too, so onnxruntime's two best classes
    are sometimes exactly equal, and its argmax is then just the first of them."""
    x, labels = real_images(name)
    want = softmax(onnxruntime_logits(name, x))
    got = softmax(imported(name).forward(x))
    top = got.argmax(1)
    strict = float(np.mean(top == want.argmax(1)))
    agree = float(np.mean(want[np.arange(len(x)), top] == want.max(1)))
    gap = float(np.abs(got - want).max())
    return agree, strict, gap, float(np.mean(want.argmax(1) == labels)), len(x)


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_top1_agrees_with_onnxruntime_on_real_images(name):
    agree, strict, gap, accuracy, n = agreement(name)
    size = (QUANTIZED / name).stat().st_size
    print(f"\n{name}: {size:,} B; top-1 agreement {agree:.2%} of {n} real images "  # noqa: T201
          f"(argmax {strict:.2%}), max |dp| {gap:.4f}, "
          f"onnxruntime accuracy {accuracy:.2%}")  # fmt: skip
    assert agree >= 0.99, f"top-1 agrees on {agree:.2%} of {n} real images"
    assert strict >= 0.97, f"the same argmax on {strict:.2%} of {n} real images"
    assert gap < 0.25, f"probabilities differ by up to {gap:.3f}"
    # the agreement means something: the quantized model itself classifies the images
    assert accuracy >= (0.9 if MANIFEST[name]["dataset"] == "mnist" else 0.45)


@pytest.mark.parametrize("net", ["mnist", "cifar"])
def test_qdq_and_qoperator_become_the_same_float_model(net):
    """onnxruntime quantizes the same weights the same way in both formats; dequantized, the
    two files are one float model: the same layers, the same weights, the same outputs (up to
    the int32 biases, quantized with the scale of an input the formats may round differently)."""
    qdq, qop = imported(f"{net}_qdq.onnx"), imported(f"{net}_qop.onnx")
    assert sorted(i["type"] for i in qdq.layer_info()) == sorted(
        i["type"] for i in qop.layer_info()
    )
    a, b = qdq.state(), qop.state()
    assert sorted(a) == sorted(b)
    for key in a:
        if key.endswith(".weight"):
            np.testing.assert_array_equal(a[key], b[key])
        else:
            np.testing.assert_allclose(a[key], b[key], atol=1e-3)
    x, _ = real_images(f"{net}_qdq.onnx")
    np.testing.assert_allclose(qdq.forward(x[:20]), qop.forward(x[:20]), atol=1e-2)


def test_weights_are_q_minus_zero_point_times_scale_per_tensor():
    init = initializers("mnist_qdq.onnx")
    state = imported("mnist_qdq.onnx").state()
    q, s, z = (init[f"conv1.weight_{k}"] for k in ("quantized", "scale", "zero_point"))
    assert q.dtype == np.int8 and s.shape == ()
    want = (q.astype(np.float64) - z) * s
    np.testing.assert_allclose(state["conv1.weight"], want, rtol=1e-6, atol=1e-9)


def test_weights_are_dequantized_per_channel_along_axis_0():
    init = initializers("cifar_qdq.onnx")
    state = imported("cifar_qdq.onnx").state()
    name = next(k for k in init if k.endswith("_quantized") and init[k].ndim == 4)
    base = name.removesuffix("_quantized")
    q, s, z = init[name], init[f"{base}_scale"], init[f"{base}_zero_point"]
    assert s.shape == (q.shape[0],)  # one scale per output channel
    want = (q.astype(np.float64) - z[:, None, None, None]) * s[:, None, None, None]
    matches = [k for k, v in state.items() if v.shape == want.shape and np.allclose(v, want)]
    assert matches, f"no layer holds the dequantized {base}"


def test_qlinearconv_int32_bias_has_scale_x_scale_times_w_scale():
    init = initializers("mnist_qop.onnx")
    state = imported("mnist_qop.onnx").state()
    want = init["conv1.bias_quantized"] * init["input_scale"] * init["conv1.weight_scale"]
    np.testing.assert_allclose(state["conv1.bias"], want, rtol=1e-6)


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_no_integer_operator_is_left_and_the_layers_are_the_float_nets(name):
    types = [i["type"] for i in imported(name).layer_info()]
    if name.startswith("mnist"):
        assert types == ["conv2d", "relu", "maxpool2d"] * 2 + ["flatten", "dense"]
    else:
        assert types.count("conv2d") == 6 and types[-1] == "dense"
        assert {"avgpool2d", "concat", "add", "globalavgpool"} <= set(types)
        assert "mul" not in types  # the dynamic scales are folded into the weights


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_the_card_says_the_model_was_quantized_and_dequantized(name):
    model = imported(name)
    quantized = model.meta["quantized"]
    assert quantized["format"] == FORMATS[name.rsplit("_", 1)[1].removesuffix(".onnx")]
    assert quantized["dequantized"] is True
    assert quantized["weights"] in ("int8", "uint8")
    assert "dequantized on import" in model_card(model)
    assert json.loads(json.dumps(model.meta)) == model.meta  # saved with the weights as JSON


def test_the_command_line_import_says_so_and_saves_it(tmp_path, capsys):
    from engine.cli import main
    from engine.model import Model

    argv = ["import", str(QUANTIZED / "cifar_qop.onnx"), "--name", "int8", "--models-dir"]
    assert main([*argv, str(tmp_path)]) == 0
    assert "dequantized on import" in capsys.readouterr().out
    assert Model.load(tmp_path / "int8.npz").meta["quantized"]["format"] == "QOperator"


def test_a_float_model_says_nothing_about_quantization():
    model = import_onnx((FIXTURES / "lenet.onnx").read_bytes())
    assert "quantized" not in model.meta
    assert "quantization" not in model_card(model)
