"""Colour-image classifiers as people export them (tests/fixtures/onnx/image, built by
scripts/make_image_fixtures.py): each imports and gives onnxruntime's outputs on real pictures
to 1e-5, the same top-1, and survives export back to ONNX."""

from __future__ import annotations

import numpy as np
import pytest

from engine.onnx_export import to_onnx
from engine.onnx_import import import_onnx
from tests.engine.explain_nets import float64
from tests.engine.gradcheck import at_kink, numerical_gradient_at
from tests.engine.onnx_check import run_onnx
from tests.engine.onnx_images import (
    MANIFEST,
    NAMES,
    fixture,
    photos,
    relative_error,
    run_onnxruntime,
)

TOL = 1e-5


@pytest.fixture(scope="module", params=NAMES)
def imported(request):
    name = request.param
    return name, import_onnx(fixture(name), name=name, source=name)


def test_every_fixture_agrees_with_onnxruntime_on_photos(imported):
    name, model = imported
    x = photos()
    outs = run_onnxruntime(fixture(name), x, MANIFEST[name]["input_shape"])
    want = outs[model.meta["onnx"]["output"]]
    got = model.forward(x)
    assert relative_error(got, want) <= TOL, name
    want = want.reshape(got.shape)
    assert (got.argmax(1) == want.argmax(1)).all()
    spread = np.ptp(want, axis=0).max() / np.abs(want).max()
    assert spread > 1e-3  # the pictures give different outputs: a real comparison


def test_every_fixture_exports_back_with_the_same_outputs(imported):
    name, model = imported
    x = photos()[:6]
    assert relative_error(run_onnx(to_onnx(model), x), model.forward(x)) <= TOL, name


@pytest.mark.parametrize(
    "name, expected",
    [
        ("mobilenet_block.onnx", {"hardswish", "hardtanh", "hardsigmoid", "silu", "mul"}),
        ("mobilenet_block_opset11.onnx", {"hardswish", "hardtanh", "hardsigmoid", "silu"}),
        ("min_max_clamp.onnx", {"hardtanh", "hardsigmoid"}),
        ("shufflenet.onnx", {"narrow", "transpose", "concat"}),
        ("selu_prelu.onnx", {"selu", "prelu", "elu"}),
        ("lrn.onnx", {"localresponsenorm", "dropout"}),
        ("pad_modes.onnx", {"pad", "avgpool2d"}),
        ("bn1d_features.onnx", {"batchnorm1d"}),
    ],
)
def test_the_operators_map_to_single_layers(name, expected):
    types = [layer.type for layer in import_onnx(fixture(name)).layers]
    assert expected <= set(types), types
    assert "sigmoid" not in types or name.startswith("mobilenet")  # x·σ(x) is one silu


def test_relu6_and_one_sided_clamps_keep_their_bounds():
    model = import_onnx(fixture("min_max_clamp.onnx"))
    bounds = [(ly.min_val, ly.max_val) for ly in model.layers if ly.type == "hardtanh"]
    assert bounds == [(0.0, 6.0), (-0.5, 1.5), (None, 6.0)]
    assert [ly.alpha for ly in model.layers if ly.type == "hardsigmoid"] == [pytest.approx(0.2)]


def test_squeezenet_softmax_over_k_by_1_by_1_is_the_head():
    model = import_onnx(fixture("inception_squeeze.onnx"))
    assert [ly.type for ly in model.layers][-2:] == ["globalavgpool", "softmax"]
    assert model.layer_info()[-1]["output_shape"] == [10]


def test_pad_modes_become_the_engines():
    model = import_onnx(fixture("pad_modes.onnx"))
    modes = [ly.config().get("mode", "constant") for ly in model.layers if ly.type == "pad"]
    assert modes == ["reflect", "reflect", "replicate", "constant"]


def test_weights_listed_as_inputs_are_constants():
    model = import_onnx(fixture("weights_as_inputs.onnx"))
    assert model.meta["onnx"]["input_layout"] == "nhwc" and model.input_shape == (3, 32, 32)
    assert {"conv2d", "batchnorm2d", "dense", "softmax"} <= {ly.type for ly in model.layers}


def test_an_unbatched_export_takes_a_batch():
    model = import_onnx(fixture("unbatched.onnx"))
    assert model.meta["onnx"]["input_layout"] == "chw" and model.layer_info()[-1][
        "output_shape"
    ] == [10]


@pytest.mark.parametrize("name", ["two_outputs.onnx", "scores_twice.onnx"])
def test_several_outputs_take_the_scores_or_the_one_named(name):
    data = fixture(name)
    scores = import_onnx(data)
    assert scores.meta["onnx"]["output"] == "scores" and scores.layer_info()[-1][
        "output_shape"
    ] == [10]
    assert scores.meta["onnx"]["outputs"] == ["features", "scores"]
    features = import_onnx(data, output="features")
    assert features.layer_info()[-1]["output_shape"] == [128]
    x = photos()[:4]
    want = run_onnxruntime(data, x, MANIFEST[name]["input_shape"])["features"]
    assert relative_error(features.forward(x), want) <= TOL
    with pytest.raises(ValueError, match=r"output: 'logits' is not an output of the graph"):
        import_onnx(data, output="logits")


def test_the_class_count_picks_among_vector_outputs():
    """With labels given, the output whose last axis has as many entries is the scores."""
    model = import_onnx(fixture("two_outputs.onnx"), classes=[f"c{i}" for i in range(128)])
    assert model.meta["onnx"]["output"] == "features"


def test_cli_import_takes_an_output(tmp_path, capsys):
    from engine.cli import main
    from engine.model import Model
    from tests.engine.onnx_images import IMAGES

    argv = ["import", str(IMAGES / "two_outputs.onnx"), "--output", "features"]
    assert main([*argv, "--models-dir", str(tmp_path), "--name", "feat"]) == 0
    assert Model.load(tmp_path / "feat.npz").layer_info()[-1]["output_shape"] == [128]
    assert main([*argv[:2], "--output", "nope", "--models-dir", str(tmp_path)]) == 2
    assert "output: 'nope' is not an output" in capsys.readouterr().err


@pytest.mark.parametrize(
    "name",
    ["mobilenet_block.onnx", "shufflenet.onnx", "selu_prelu.onnx", "lrn.onnx", "pad_modes.onnx"],
)
def test_imported_graphs_backpropagate(name):
    """Saliency and backprop need the gradient of the imported model: ``dL/dx`` and a first
    weight's gradient against centred differences at sampled entries, in float64."""
    model = float64(import_onnx(fixture(name)))
    x = photos()[:1].astype(np.float64)
    out = model.forward(x, backprop=True)
    dout = np.random.default_rng(0).standard_normal(out.shape)
    dx = model.backward(dout, input_grad=True)
    weight_name = next(k for k in model.params() if k.endswith("weight"))
    dw = model.grads()[weight_name].copy()

    def objective():
        return float((model.forward(x) * dout).sum())

    picks = smooth_points(objective, x, 6, seed=1)
    want = numerical_gradient_at(objective, x, picks)
    np.testing.assert_allclose(dx.reshape(-1)[picks], want, rtol=1e-5, atol=1e-8)
    w = model.params()[weight_name]
    picks = smooth_points(objective, w, 4, seed=2)
    want = numerical_gradient_at(objective, w, picks)
    np.testing.assert_allclose(dw.reshape(-1)[picks], want, rtol=1e-5, atol=1e-8)


def smooth_points(f, a: np.ndarray, n: int, seed: int) -> list[int]:
    """``n`` random entries of ``a`` where ``f`` is differentiable: not at a ReLU's zero or a
    max-pooling tie (windows of zeros after a ReLU), where no backward matches a centred
    difference."""
    order = np.random.default_rng(seed).permutation(a.size)
    return [int(i) for i in order[: 2 * n] if not at_kink(f, a, int(i))][:n]
