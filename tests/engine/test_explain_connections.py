"""What a unit reads: every number in ``connections`` adds up to the layer's own output."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from engine.explain.connections import boxes, connections
from engine.explain.geometry import input_box
from engine.model import Model
from tests.engine.explain_nets import graph_model, small_model


@pytest.fixture(scope="module")
def run():
    model = small_model(side=10)
    x = np.random.default_rng(3).uniform(0, 1, (1, 1, 10, 10))
    outputs = [o[0] for o in model.forward(x, return_all=True)]
    return model, outputs, x[0]


def test_a_conv_unit_is_its_bias_plus_each_channels_window_times_its_kernel_slice(run):
    model, outputs, x = run
    for f, i, j in [(0, 0, 0), (2, 4, 9), (1, 9, 3)]:  # corners read the padding
        c = connections(model, outputs, x, 0, [f, i, j])
        (read,) = c["reads"]
        assert read["layer"] == -1 and len(read["channels"]) == 1
        assert read["sum"] == pytest.approx(outputs[0][f, i, j], abs=1e-12)
        assert c["value"] == pytest.approx(read["sum"], abs=1e-12)
    c = connections(model, outputs, x, 3, [3, 2, 1])  # conv2 reads pool1's 3 channels
    (read,) = c["reads"]
    assert [ch["channel"] for ch in read["channels"]] == [0, 1, 2]
    w = model.layers[3].params["weight"][3]
    pool1 = outputs[2]
    for ch in read["channels"]:
        assert ch["box"] == [2, 1, 5, 4]
        assert np.array_equal(ch["kernel"], w[ch["channel"]])
        window = pool1[ch["channel"], 2:5, 1:4]
        assert ch["share"] == pytest.approx(float((window * w[ch["channel"]]).sum()), abs=1e-12)
    assert read["sum"] == pytest.approx(outputs[3][3, 2, 1], abs=1e-12)


def test_a_pooling_unit_names_its_window_and_the_winner(run):
    model, outputs, x = run
    c = connections(model, outputs, x, 2, [1, 2, 3])
    (read,) = c["reads"]
    assert read["channels"][0]["box"] == [4, 6, 6, 8]
    r, s = read["winner"]
    assert outputs[1][1, r, s] == c["value"] == outputs[2][1, 2, 3]
    assert 4 <= r < 6 and 6 <= s < 8


def test_a_dense_unit_lists_its_strongest_weights_with_signs(run):
    model, outputs, x = run
    c = connections(model, outputs, x, 6, [2], top=5)
    (read,) = c["reads"]
    w = model.layers[6].params["weight"][2]
    assert [s["index"] for s in read["strongest"]] == list(np.argsort(-np.abs(w))[:5])
    assert all(s["weight"] == w[s["index"]] for s in read["strongest"])
    assert any(s["weight"] < 0 for s in read["strongest"]) and read["inputs"] == w.size
    assert read["sum"] == pytest.approx(outputs[6][2], abs=1e-12)


def test_relu_flatten_and_softmax_units_name_their_source(run):
    model, outputs, x = run
    relu = connections(model, outputs, x, 1, [0, 3, 4])["reads"][0]
    assert relu["source"] == [0, 3, 4] and relu["x"] == outputs[0][0, 3, 4]
    flat = connections(model, outputs, x, 5, [17])["reads"][0]
    assert outputs[4][tuple(flat["source"])] == outputs[5][17]
    soft = connections(model, outputs, x, 7, [1])
    read = soft["reads"][0]
    assert np.exp(read["logit"] - read["logsumexp"]) == pytest.approx(soft["value"])


def test_bad_units_are_refused_naming_the_value(run):
    model, outputs, x = run
    with pytest.raises(ValueError, match=r"unit\[1\] = 10 is outside"):
        connections(model, outputs, x, 0, [0, 10, 0])
    with pytest.raises(ValueError, match="unit must be 3 integers"):
        connections(model, outputs, x, 0, [0, 1])
    with pytest.raises(ValueError, match="index must be a layer index"):
        connections(model, outputs, x, 8, [0])


def test_boxes_down_to_the_input_agree_with_the_receptive_field_walk():
    model = Model.from_spec(
        [
            {"type": "conv2d", "config": {"out_channels": 2, "kernel_size": 3, "padding": 1}},
            {"type": "relu"},
            {"type": "maxpool2d", "config": {"kernel_size": 2}},
            {"type": "conv2d", "config": {"out_channels": 2, "kernel_size": 3, "dilation": 2}},
        ],
        input_shape=(1, 16, 16),
        seed=0,
    )
    _, H, W = model.input_shape
    for i, j in itertools.product(range(4), range(4)):
        found = boxes(model, 3, i, j)
        assert [b["layer"] for b in found] == [2, 1, 0, -1]
        top, left, bottom, right = (int(v) for v in input_box(model, 3, i, j))
        assert found[-1]["box"] == [max(0, top), max(0, left), min(H, bottom), min(W, right)]


def test_in_a_graph_a_skip_add_reads_both_branches_and_concat_the_input_holding_the_channel():
    model = graph_model(side=8)
    names = [ly.name for ly in model.layers]
    x = np.random.default_rng(4).uniform(0, 1, (1, 1, 8, 8))
    outputs = [o[0] for o in model.forward(x, return_all=True)]
    skip = names.index("skip")
    c = connections(model, outputs, x[0], skip, [1, 2, 3])
    assert [r["layer"] for r in c["reads"]] == [names.index("bn2"), names.index("stem_relu")]
    assert all(r["source"] == [1, 2, 3] for r in c["reads"])
    assert c["value"] == pytest.approx(sum(r["x"] for r in c["reads"]))
    join = names.index("join")
    side = connections(model, outputs, x[0], join, [4, 0, 5])["reads"]  # channel 4 = side's 1
    assert side == [{"layer": names.index("side"), "kind": "same", "source": [1, 0, 5],
                     "x": float(outputs[names.index("side")][1, 0, 5])}]  # fmt: skip
    # the receptive field through the residual block is the hull of both paths
    found = {b["layer"]: b["box"] for b in c["receptive_field"]}
    top, left, bottom, right = (int(v) for v in input_box(model, skip, 2, 3))
    assert found[-1] == [max(0, top), max(0, left), min(8, bottom), min(8, right)]
    assert found[names.index("stem_relu")] == [0, 1, 5, 6]  # c1, c2: 3×3 each around (2, 3)
