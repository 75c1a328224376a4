"""What the ONNX importer refuses, and that it refuses hostile files before doing work.

Each refusal is a ``ValueError`` whose message names the node, its op type and the attribute
(or the limit). The bombs — a tensor declaring billions of elements, an external-data entry
claiming gigabytes — are refused in well under a second and without allocating.
"""

from __future__ import annotations

import contextlib
import time
import tracemalloc

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

from engine.onnx_import import Limits, import_onnx
from tests.engine.onnx_check import CONV, TAIL, F, model_bytes, w, with_external_weights
from tests.onnx_fixtures import fixture_bytes


def import_refused(data, match, external=None, **kwargs):
    """``import_onnx`` raises a ``ValueError`` whose message matches ``match``."""
    with pytest.raises(ValueError, match=match):
        import_onnx(data, external, **kwargs)


def conv_net(conv_node, w_shape=(2, 1, 3, 3), out_hw=6):
    inits = [w("W", w_shape), w("G", (10, w_shape[0] * out_hw * out_hw))]
    return model_bytes([conv_node, *TAIL], inits)


# -- unsupported operators and attributes -------------------------------------------------


def test_unsupported_operator_named():
    nodes = [helper.make_node("Hardmax", ["x"], ["y"], name="/head/Hardmax")]
    import_refused(model_bytes(nodes), r'node "/head/Hardmax" \(Hardmax\): operator Hardmax is not')


def test_unsupported_attribute_named():
    node = helper.make_node("Conv", ["x", "W"], ["c"], name="/conv3/Conv", group=3)
    import_refused(conv_net(node), r'node "/conv3/Conv" \(Conv\): group = 3 does not fit')
    node = helper.make_node(
        "MaxPool", ["x"], ["c"], name="/pool/MaxPool", kernel_shape=[2, 2], dilations=[2, 2]
    )
    import_refused(
        conv_net(node, (1, 1, 3, 3), 6), r'"/pool/MaxPool" \(MaxPool\): dilations = \[2, 2\]'
    )


def test_unknown_attribute_refused():
    node = helper.make_node("Relu", ["x"], ["y"], name="/act/Relu", flavour=2)
    import_refused(model_bytes([node]), r'node "/act/Relu" \(Relu\): flavour = 2 is not supported')


def test_clamps_by_activations_refused():
    nodes = [helper.make_node("Clip", ["x", "lo", "x"], ["y"], name="/relu6/Clip")]
    inits = [numpy_helper.from_array(np.float32(0), "lo")]
    import_refused(model_bytes(nodes, inits), r'"/relu6/Clip" \(Clip\): max must be a constant')
    nodes = [helper.make_node("Max", ["x", "x"], ["y"], name="/max/Max")]
    import_refused(model_bytes(nodes), r'"/max/Max" \(Max\): only x and a constant are supported')
    nodes = [helper.make_node("Min", ["x", "c"], ["y"], name="/min/Min")]
    c = numpy_helper.from_array(np.ones((1, 1, 8, 1), np.float32), "c")
    import_refused(model_bytes(nodes, [c]), r'"/min/Min" \(Min\): the constant operand of shape')


def test_pad_wrap_and_softmax_over_maps_refused():
    pads = numpy_helper.from_array(np.array([0, 0, 1, 1, 0, 0, 1, 1], np.int64), "p")
    node = helper.make_node("Pad", ["x", "p"], ["y"], name="/pad/Pad", mode="wrap")
    import_refused(
        model_bytes([node], [pads], opset=19), r"\(Pad\): mode = 'wrap' is not supported"
    )
    node = helper.make_node("Softmax", ["x"], ["y"], name="/sm/Softmax", axis=1)
    # a softmax along an axis inside a network is a layer; maps as the output are not scores
    import_refused(model_bytes([node]), r"per-example shape \[1, 8, 8\]; expected K scores")


def test_gemm_trans_a_and_non_constant_weights_refused():
    nodes = [
        helper.make_node("Flatten", ["x"], ["f"], name="/Flatten"),
        helper.make_node("Gemm", ["f", "G"], ["y"], name="/fc/Gemm", transA=1),
    ]
    import_refused(model_bytes(nodes, [w("G", (1, 10))]), r'"/fc/Gemm" \(Gemm\): transA = 1')
    nodes = [helper.make_node("Conv", ["x", "x"], ["y"], name="/c/Conv")]
    import_refused(model_bytes(nodes), r'"/c/Conv" \(Conv\): the weights must be a constant')


def test_training_mode_batchnorm_refused():
    names = ["s", "b", "m", "v"]
    inits = [numpy_helper.from_array(np.ones(1, np.float32), n) for n in names]
    node = helper.make_node(
        "BatchNormalization", ["x", *names], ["y", "rm", "rv"], name="/bn/BN", training_mode=1
    )
    import_refused(model_bytes([node], inits, opset=15), r"training_mode = 1 is not supported")


def test_control_flow_and_foreign_domains_refused():
    node = helper.make_node("Relu", ["x"], ["y"], name="/r", domain="com.microsoft")
    data = model_bytes([node])
    import_refused(data, r"operator domain 'com.microsoft' is not supported")


def test_graph_shape_errors():
    two_inputs = helper.make_graph(
        [helper.make_node("Add", ["x", "z"], ["y"])],
        "g",
        [helper.make_tensor_value_info(n, F, [1, 1, 8, 8]) for n in "xz"],
        [helper.make_tensor_value_info("y", F, None)],
    )
    m = helper.make_model(two_inputs, opset_imports=[helper.make_opsetid("", 13)])
    import_refused(m.SerializeToString(), r"the graph must have one input .* it has 2")
    nodes = [helper.make_node("Relu", ["x"], ["y"])]
    import_refused(model_bytes(nodes, shape=(1, 2, 3, 4, 5)), r"has shape \[1, 2, 3, 4, 5\]")
    import_refused(model_bytes(nodes, shape=("N", 777)), r"777 features are not a square image")
    import_refused(model_bytes(nodes, opset=99), r"operator set version 99 is not supported")


# -- not ONNX at all ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "data", [b"hello, world", b"\x00" * 64, bytes(range(256)) * 4, b"", b"\x08\x07"]
)
def test_not_onnx(data):
    import_refused(data, "neither an ONNX model nor a .npz archive")


def test_truncated_onnx_is_refused_cleanly():
    data, _ = fixture_bytes("lenet.onnx")
    for cut in (10, 1000, len(data) // 2, len(data) - 3):
        with pytest.raises(ValueError):
            import_onnx(data[:cut])


# -- hostile files ------------------------------------------------------------------------


def _bomb_initializer(external: bool) -> bytes:
    t = TensorProto(name="W", data_type=F, dims=[100_000, 100_000, 64])  # 2.6 TB declared
    if external:
        t.data_location = TensorProto.EXTERNAL
        for k, v in (("location", "w.bin"), ("offset", "0"), ("length", str(2**50))):
            t.external_data.add(key=k, value=v)
    else:
        t.raw_data = b"\x00" * 16
    return model_bytes([*CONV, *TAIL], [t, w("G", (10, 72))])


@pytest.mark.parametrize("external", [False, True], ids=["inline", "external"])
def test_declared_size_bomb_refused_fast_and_small(external):
    data = _bomb_initializer(external)
    with contextlib.suppress(ValueError):  # the first call pays for lazy imports: not the file's
        import_onnx(model_bytes([helper.make_node("Relu", ["x"], ["y"])], [w("W", (2, 2))]))
    tracemalloc.start()
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match=r"declares shape \[100000, 100000, 64\], more than"):
        import_onnx(data, {"w.bin": b"\x00" * 64} if external else None)
    elapsed = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert elapsed < 1.0
    assert peak < 50 * 2**20


def test_data_shorter_than_declared_refused():
    t = numpy_helper.from_array(np.zeros((2, 1, 3, 3), np.float32), "W")
    t.raw_data = t.raw_data[:-4]
    import_refused(
        model_bytes([*CONV, *TAIL], [t, w("G", (10, 72))]), r"needs 72 bytes, its data has 68"
    )


@pytest.mark.parametrize(
    "location", ["../../etc/passwd", "/etc/passwd", "sub/w.bin", "..", "C:\\w.bin", "~/.ssh/id"]
)
def test_external_location_traversal_refused(location, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # nothing here may be read either
    (tmp_path / "w.bin").write_bytes(b"\x00" * 72)
    import_refused(
        with_external_weights(location),
        "only the bare file name of an uploaded file is accepted",
        {"w.bin": b"\x00" * 72},
    )


def test_external_file_read_only_from_uploads(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "w.bin").write_bytes(np.ones(18, np.float32).tobytes())  # on disk: never read
    import_refused(with_external_weights("w.bin"), r"upload it as external_data \(uploaded: none\)")
    import_refused(
        with_external_weights("w.bin", length=4000),
        r"needs 72 bytes at offset 0",
        {"w.bin": b"\0" * 72},
    )
    model = import_onnx(
        with_external_weights("w.bin"), {"w.bin": np.full(18, 0.5, np.float32).tobytes()}
    )
    assert float(model.layers[0].params["weight"].min()) == 0.5


def test_dynamo_fixture_needs_its_data_file():
    data, external = fixture_bytes("dynamo/model.onnx")
    assert list(external) == ["model.onnx.data"]
    import_refused(data, r"stored in the external file 'model.onnx.data'; upload it")
    import_refused(data, r"upload it", {"other.data": external["model.onnx.data"]})


def test_cycle_refused():
    nodes = [
        helper.make_node("Relu", ["x2"], ["x1"], name="a"),
        helper.make_node("Relu", ["x1"], ["x2"], name="b"),
        helper.make_node("Add", ["x", "x2"], ["y"], name="c"),
    ]
    import_refused(model_bytes(nodes), r"is part of a cycle")


def test_node_count_and_layer_limits():
    nodes = [helper.make_node("Relu", [f"t{i}" if i else "x"], [f"t{i + 1}"]) for i in range(50)]
    nodes.append(helper.make_node("Identity", ["t50"], ["y"]))
    import_refused(
        model_bytes(nodes), r"more than the limit of 20 nodes", limits=Limits(max_nodes=20)
    )


def test_recursive_and_exploding_functions_refused():
    f = helper.make_function(
        "local", "F", ["a"], ["b"], [helper.make_node("F", ["a"], ["b"], domain="local")],
        [helper.make_opsetid("", 13), helper.make_opsetid("local", 1)],
    )  # fmt: skip
    nodes = [helper.make_node("F", ["x"], ["y"], domain="local")]
    data = model_bytes(nodes, functions=[f])
    import_refused(data, r"local function 'F' calls itself")
    # G calls H ten times, H calls K ten times...: 10**4 nodes from a few bytes
    funcs, callee = [], None
    opsets = [helper.make_opsetid("", 13), helper.make_opsetid("local", 1)]
    for name in "KJHG":
        body = [
            helper.make_node(callee or "Relu", ["a" if j == 0 else f"t{j}"], [f"t{j + 1}"],
                             domain="local" if callee else "")
            for j in range(10)
        ]  # fmt: skip
        body.append(helper.make_node("Identity", ["t10"], ["b"]))
        funcs.append(helper.make_function("local", name, ["a"], ["b"], body, opsets))
        callee = name
    data = model_bytes([helper.make_node("G", ["x"], ["y"], domain="local")], functions=funcs)
    import_refused(data, r"expands to more than the limit of 2,000 nodes")


def test_folding_bomb_refused():
    """ConstantOfShape asked for 10^12 elements by an 8-byte shape."""
    shape = numpy_helper.from_array(np.array([10**6, 10**6, 1, 1], np.int64), "s")
    nodes = [
        helper.make_node("ConstantOfShape", ["s"], ["big"], name="/bomb/ConstantOfShape"),
        helper.make_node("Add", ["x", "big"], ["y"], name="/add"),
    ]
    t0 = time.perf_counter()
    import_refused(model_bytes(nodes, [shape]), r"ConstantOfShape.*would exceed the limit")
    assert time.perf_counter() - t0 < 1.0


def test_file_over_size_limit():
    data, _ = fixture_bytes("lenet.onnx")
    import_refused(data, r"more than the limit 1,000", limits=Limits(max_bytes=1000))


def test_mutated_files_are_refused_or_imported_never_crash():
    """Random byte flips and truncations of every fixture: a ValueError or a model, nothing else."""
    import random

    from tests.onnx_fixtures import NAMES

    rng = random.Random(1)
    for name in NAMES:
        data, external = fixture_bytes(name)
        for _ in range(12):
            b = bytearray(data)
            for _ in range(rng.randint(1, 8)):
                b[rng.randrange(len(b))] = rng.randrange(256)
            if rng.random() < 0.25:
                b = b[: rng.randrange(len(b))]
            with contextlib.suppress(ValueError):  # refused: fine; anything else fails
                import_onnx(bytes(b), external)


def test_instance_normalization_needs_constant_per_channel_parameters():
    node = helper.make_node("InstanceNormalization", ["x", "s", "b"], ["c"], name="/inorm/In")
    inits = [w("s", (3,)), w("b", (3,))]  # 3 entries for 1 channel
    tail = [w("G", (10, 64))]
    import_refused(
        model_bytes([node, *TAIL], inits + tail),
        r'"/inorm/In" \(InstanceNormalization\): scale and B',
    )
    node = helper.make_node("Gelu", ["x"], ["c"], name="/act/Gelu", approximate="erf")
    import_refused(model_bytes([node, *TAIL], tail, opset=20), r"approximate = 'erf' is not")


def test_layer_normalization_over_a_whole_map_is_refused_by_name():
    """nn.LayerNorm([C, H, W]) normalises a whole example: not the channel norm the engine has."""
    node = helper.make_node("LayerNormalization", ["x", "s", "b"], ["c"], axis=1, name="/ln/LN")
    inits = [w("s", (1, 8, 8)), w("b", (1, 8, 8)), w("G", (10, 64))]
    import_refused(model_bytes([node, *TAIL], inits), r'"/ln/LN" \(LayerNormalization\): axis = 1')
