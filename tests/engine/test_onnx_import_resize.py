"""ONNX Resize and Upsample (engine/onnx_import/ops_resize.py) → one resize2d layer, in every
form the exporters write, each checked value by value against onnxruntime; the forms it cannot
read are refused, naming the attribute; an exported model's Resize reads back the same."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
from onnx import helper

from engine.onnx_export import to_onnx
from engine.onnx_import import Refused, import_onnx
from tests.engine.onnx_check import const, graph_bytes

RNG = np.random.default_rng(9)
SHAPE = ("N", 3, 5, 6)


def _graph(resize, inits, opset, before=()):
    """x → ``before`` nodes, Resize (or Upsample) → Flatten: every value is an output."""
    nodes = [*before, resize, helper.make_node("Flatten", ["r"], ["y"])]
    return graph_bytes(nodes, inits, opset, SHAPE)


def _agree(data: bytes, n: int = 2):
    x = RNG.standard_normal((n, *SHAPE[1:])).astype(np.float32)
    want = ort.InferenceSession(data, providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    model = import_onnx(data)
    assert [ly.type for ly in model.layers][0] == "resize2d"
    got = model.forward(x)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    return model


def _scales(h, w):
    return const("scales", np.array([1, 1, h, w], np.float32))


def _sized(h, w, opset):
    """Resize's inputs for an output of h × w and the nodes making its ``sizes`` as exporters
    do — N and C from the input's Shape, so the batch stays free — with the roi and scales
    left out (empty tensors before opset 13, where they are required)."""
    inits = [
        const("hw", [h, w], np.int64),
        const("zero", [0], np.int64),
        const("two", [2], np.int64),
    ]
    nodes = [
        helper.make_node("Shape", ["x"], ["shape"]),
        helper.make_node("Slice", ["shape", "zero", "two"], ["nc"]),
        helper.make_node("Concat", ["nc", "hw"], ["sizes"], axis=0),
    ]
    if opset >= 13:
        return ["x", "", "", "sizes"], nodes, inits
    inits += [const("roi", np.zeros(0)), const("none", np.zeros(0))]
    return ["x", "roi", "none", "sizes"], nodes, inits


# (opset, attributes, "scales" (h, w) or "sizes" (h, w))
FORMS = [
    (13, {"mode": "nearest", "coordinate_transformation_mode": "asymmetric",
          "nearest_mode": "floor"}, ("scales", (2.0, 2.0))),  # nn.Upsample(scale_factor=2)
    (13, {"mode": "nearest", "coordinate_transformation_mode": "asymmetric",
          "nearest_mode": "floor"}, ("scales", (3.0, 1.5))),
    (13, {"mode": "nearest"}, ("sizes", (9, 4))),  # half_pixel, round_prefer_floor
    (11, {"mode": "nearest", "nearest_mode": "ceil",
          "coordinate_transformation_mode": "align_corners"}, ("sizes", (7, 11))),
    (13, {"mode": "linear"}, ("scales", (2.0, 2.0))),  # bilinear, align_corners=False
    (13, {"mode": "linear", "coordinate_transformation_mode": "pytorch_half_pixel"},
     ("sizes", (1, 9))),
    (13, {"mode": "linear", "coordinate_transformation_mode": "align_corners"},
     ("sizes", (8, 13))),
    (13, {"mode": "linear"}, ("sizes", (3, 4))),  # down
    (19, {"mode": "linear", "coordinate_transformation_mode": "asymmetric"},
     ("scales", (1.6, 2.5))),
]  # fmt: skip


@pytest.mark.parametrize("opset, attrs, given", FORMS)
def test_resize_forms_agree_with_onnxruntime(opset, attrs, given):
    kind, (h, w) = given
    if kind == "scales":
        inputs, before, inits = ["x", "", "scales"], [], [_scales(h, w)]
    else:
        inputs, before, inits = _sized(h, w, opset)
    node = helper.make_node("Resize", inputs, ["r"], **attrs)
    model = _agree(_graph(node, inits, opset, before))
    config = model.layers[0].config()
    assert ("scale" in config) == (kind == "scales")


@pytest.mark.parametrize("scale", [2.0, 3.0])
def test_resize_10_and_upsample_9_and_7(scale):
    for op, opset in (("Resize", 10), ("Upsample", 9)):
        node = helper.make_node(op, ["x", "scales"], ["r"], mode="nearest")
        _agree(_graph(node, [_scales(scale, scale)], opset))
    node = helper.make_node("Upsample", ["x"], ["r"], mode="nearest", scales=[1.0, 1.0, scale, 2.0])
    _agree(_graph(node, [], 7))
    node = helper.make_node("Resize", ["x", "scales"], ["r"], mode="linear")
    _agree(_graph(node, [_scales(scale, scale)], 10))


def test_resize_18_with_axes():
    inits = [const("hw", np.array([2.0, 3.0], np.float32))]
    node = helper.make_node("Resize", ["x", "", "hw"], ["r"], mode="linear", axes=[2, 3])
    _agree(_graph(node, inits, 18))


@pytest.mark.parametrize(
    "attrs, scales, message",
    [
        ({"mode": "cubic"}, (1, 1, 2, 2), "mode = 'cubic'"),
        ({"mode": "linear", "antialias": 1}, (1, 1, 0.5, 0.5), "antialias"),
        ({"coordinate_transformation_mode": "tf_half_pixel_for_nn"}, (1, 1, 2, 2), "tf_half"),
        ({"mode": "nearest"}, (1, 2, 2, 2), "only H and W"),
    ],
)
def test_forms_it_cannot_read_are_refused_by_name(attrs, scales, message):
    inits = [const("scales", np.array(scales, np.float32))]
    node = helper.make_node("Resize", ["x", "", "scales"], ["r"], **attrs)
    with pytest.raises(Refused, match=message):
        import_onnx(_graph(node, inits, 18))


@pytest.mark.parametrize("mode, coordinate", [("nearest", None), ("bilinear", "align_corners")])
@pytest.mark.parametrize("scale", [None, [2.0, 1.5]])
def test_an_exported_resize_runs_in_onnxruntime_and_reads_back(mode, coordinate, scale):
    inputs, before, inits = _sized(10, 9, 13)
    node = helper.make_node("Resize", inputs, ["r"], mode="nearest")
    model = import_onnx(_graph(node, inits, 13, before))
    layer = model.layers[0]
    layer.__init__([10, 9], mode, coordinate, scale=scale, name=layer.name)
    exported = to_onnx(model).SerializeToString()
    x = RNG.standard_normal((3, *SHAPE[1:])).astype(np.float32)
    session = ort.InferenceSession(exported, providers=["CPUExecutionProvider"])
    got = session.run(None, {session.get_inputs()[0].name: x})[0]
    np.testing.assert_allclose(got, model.forward(x), rtol=1e-5, atol=1e-6)
    back = import_onnx(exported)
    assert back.layers[0].config() == layer.config()
