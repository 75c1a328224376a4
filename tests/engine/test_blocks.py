"""Blocks found from the graph alone (engine/blocks.py): residual, concat, none in a chain; and
the deep fixtures' receptive fields."""

from pathlib import Path

from engine.blocks import common_prefix, find_blocks
from engine.explain.geometry import receptive_field
from engine.onnx_import import import_onnx

BIG = Path(__file__).resolve().parents[1] / "fixtures" / "onnx" / "big"


def layers(*specs):
    """``(name, type, inputs)`` triples → ``layer_info``-like dicts."""
    return [
        {"index": i, "name": n, "type": t, "inputs": list(ins)}
        for i, (n, t, ins) in enumerate(specs)
    ]


def test_a_chain_has_no_blocks():
    chain = layers(("c", "conv2d", [-1]), ("r", "relu", [0]), ("f", "flatten", [1]))
    assert find_blocks(chain) == []


def test_a_residual_block_takes_its_relu_and_reads_one_layer():
    net = layers(
        ("stem", "conv2d", [-1]),
        ("b.conv1", "conv2d", [0]),
        ("b.relu", "relu", [1]),
        ("b.conv2", "conv2d", [2]),
        ("b", "add", [3, 0]),
        ("b.relu_1", "relu", [4]),
        ("head", "flatten", [5]),
    )
    assert find_blocks(net) == [
        {"first": 1, "last": 5, "input": 0, "name": "b", "kind": "residual", "merge": 4}
    ]


def test_branches_from_the_network_input_and_a_dense_concat():
    # two branches off the input joined by concat, then a dense-block-like run where every
    # layer's output is concatenated again at the end; the relu after it reads the merge, but
    # the merge also feeds a later layer over a jump, so the relu starts the next block
    net = layers(
        ("a", "conv2d", [-1]),
        ("b", "conv2d", [-1]),
        ("cat", "concat", [0, 1]),
        ("d1", "conv2d", [2]),
        ("d2", "conv2d", [3]),
        ("cat2", "concat", [2, 3, 4]),
        ("r", "relu", [5]),
        ("x", "conv2d", [6]),
        ("join", "mul", [5, 7]),
    )
    got = [(b["first"], b["last"], b["input"], b["kind"], b["name"]) for b in find_blocks(net)]
    assert got == [
        (0, 2, -1, "concat", "cat"),
        (3, 5, 2, "concat", "cat2"),
        (6, 8, 5, "gated", "join"),
    ]


def test_common_prefix_by_path_segments():
    assert common_prefix(["features.1.conv.0.0", "features.1.conv.1", "features.1"]) == "features.1"
    assert common_prefix(["/layer1/0/conv1/Conv", "/layer1/0/Add"]) == "layer1.0"
    assert common_prefix(["10.conv1", "1"]) == ""  # "10" is not "1"


def blocks_of(name):
    model = import_onnx((BIG / name).read_bytes())
    return model.layer_info(), find_blocks(model.layer_info())


def test_resnet18_shaped_fixture_has_its_eight_basic_blocks():
    info, blocks = blocks_of("resnet18_narrow.onnx")
    assert len(info) == 48 and len(blocks) == 8
    assert all(b["kind"] == "residual" and info[b["last"]]["type"] == "relu" for b in blocks)
    # every block reads only the layer before it, and only its last layer is read after it
    for b in blocks:
        inside = range(b["first"], b["last"] + 1)
        assert {a for k in inside for a in info[k]["inputs"] if a not in inside} == {b["input"]}
        later = {a for k in range(b["last"] + 1, len(info)) for a in info[k]["inputs"]}
        assert later & set(inside) <= {b["last"]}
    assert [len(range(b["first"], b["last"] + 1)) for b in blocks] == [5, 5, 6, 5, 6, 5, 6, 5]


def test_mobilenetv2_shaped_fixture_folds_its_residual_inverted_blocks():
    info, blocks = blocks_of("mobilenetv2_narrow.onnx")
    assert len(info) == 100 and len(blocks) == 11
    assert blocks[0]["name"] == "features.1" and all(b["kind"] == "residual" for b in blocks)


def test_receptive_fields_pass_through_relu6_in_a_mobilenet():
    # MobileNetV2's ReLU6 imports as hardtanh: pointwise, so every conv has a box (the explain
    # section's info asked for them all and answered 500 on this network)
    model = import_onnx((BIG / "mobilenetv2_narrow.onnx").read_bytes())
    convs = [i for i, ly in enumerate(model.layers) if ly.type == "conv2d"]
    boxes = [receptive_field(model, i) for i in convs]
    assert boxes[-1][0] > boxes[0][0]  # deeper convs see more of the 32×32 input
