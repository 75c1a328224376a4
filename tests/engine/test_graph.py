"""Models that are graphs: inputs, shapes, forward/backward through branches, save/load."""

import numpy as np
import pytest

from engine.model import Model
from tests.engine.explain_nets import RESIDUAL, float64, graph_model
from tests.engine.gradcheck import assert_close, check_model

rng = np.random.default_rng(7)


def test_sequential_is_the_graph_model_and_chains_read_as_before():
    assert Model is Model
    chain = Model.from_spec(
        [{"type": "flatten"}, {"type": "dense", "config": {"out_features": 3}}],
        input_shape=(1, 4, 4),
    )
    assert chain.inputs == [[-1], [0]] and chain.is_chain
    assert [s.get("inputs") for s in chain.specs()] == [None, None]  # chains write no inputs
    assert chain.layer_info()[1]["inputs"] == [0]


def test_graph_shapes_inputs_and_layer_info():
    model = graph_model()
    names = [ly.name for ly in model.layers]
    skip, join = names.index("skip"), names.index("join")
    assert model.inputs[skip] == [names.index("bn2"), names.index("stem_relu")]
    assert model.inputs[names.index("side")] == [names.index("stem_relu")]
    info = model.layer_info()[join]
    assert info["inputs"] == [names.index("block_out"), names.index("side")]
    assert info["input_shapes"] == [[3, 8, 8], [2, 8, 8]]
    assert info["input_shape"] == [3, 8, 8] and info["output_shape"] == [5, 8, 8]
    assert not model.is_chain
    assert "Inputs" in model.summary() and "bn2, stem_relu" in model.summary()
    # spec() writes inputs by name where they are not the layer before; it builds the same graph
    specs = model.specs()
    assert specs[skip]["inputs"] == ["bn2", "stem_relu"] and "inputs" not in specs[skip + 1]
    again = Model.from_spec(specs, input_shape=(1, 8, 8))
    assert again.inputs == model.inputs and again.shapes == model.shapes


def test_inputs_by_index_and_the_network_input():
    specs = [
        {"type": "conv2d", "config": {"out_channels": 1, "kernel_size": 1}},
        {"type": "add", "inputs": [0, -1]},  # a residual around one conv, by index
        {"type": "mul", "inputs": ["add1", "input"]},
    ]
    model = Model.from_spec(specs, input_shape=(1, 3, 3), seed=1)
    x = rng.standard_normal((2, 1, 3, 3)).astype(np.float32)
    conv = model.layers[0].forward(x)
    np.testing.assert_allclose(model.forward(x), (conv + x) * x, rtol=1e-6)


@pytest.mark.parametrize(
    "specs, words",
    [
        ([{"type": "relu", "inputs": ["nope"]}], ["layer 0", "unknown input 'nope'"]),
        (
            [{"type": "relu", "name": "a", "inputs": ["b"]}, {"type": "relu", "name": "b"}],
            ["layer 0", "not an earlier one", "no cycles"],
        ),
        ([{"type": "relu", "name": "a", "inputs": ["a"]}], ["layer 0", "not an earlier"]),
        ([{"type": "relu"}, {"type": "relu", "inputs": [5]}], ["layer 1", "layer 5"]),
        ([{"type": "relu"}, {"type": "relu", "inputs": [-2]}], ["layer 1", "out of range"]),
        ([{"type": "relu"}, {"type": "add"}], ["layer 1", "takes 2 inputs, got 1"]),
        ([{"type": "relu"}, {"type": "concat", "inputs": [0]}], ["takes two or more inputs"]),
        ([{"type": "relu", "inputs": []}], ["non-empty list"]),
        ([{"type": "relu", "inputs": [1.5]}], ["layer name or index"]),
        ([{"type": "relu", "name": "input"}], ["may be named 'input'"]),
        ([{"type": "relu", "name": "a"}, {"type": "relu", "name": "a"}], ["unique", "'a'"]),
        ([{"type": "flatten"}, {"type": "add", "inputs": [0, "input"]}], ["do not broadcast"]),
    ],
)
def test_bad_graphs_are_refused_naming_the_layer(specs, words):
    with pytest.raises(ValueError) as e:
        Model.from_spec(specs, input_shape=(1, 4, 4))
    for w in words:
        assert w in str(e.value)


def test_forward_return_all_and_stop():
    model = graph_model()
    x = rng.random((3, 1, 8, 8))
    outs = model.forward(x, return_all=True)
    assert len(outs) == len(model.layers)
    for i, out in enumerate(outs):
        assert out.shape == (3, *model.shapes[i + 1])
    names = [ly.name for ly in model.layers]
    skip = names.index("skip")
    np.testing.assert_allclose(
        outs[skip], outs[names.index("bn2")] + outs[names.index("stem_relu")]
    )
    np.testing.assert_allclose(model.forward(x), outs[-1])
    np.testing.assert_allclose(model.forward(x, stop=skip + 1), outs[skip])
    join = model.layer_inputs(x, names.index("join"))
    np.testing.assert_allclose(join[1], outs[names.index("side")])


@pytest.mark.parametrize("train", [False, True])
def test_graph_model_gradients_match_finite_differences(train):
    """dL/dx and every parameter's gradient, through the residual add (the stem's output fans
    out to three layers), the concat and batch norm, in evaluation and in training mode."""
    model = graph_model(seed=2, side=6)
    check_model(model, rng.random((2, 1, 6, 6)), train=train)


def test_gradients_add_up_where_an_output_fans_out():
    """y = x*x + relu(x): the input feeds three inputs of two layers."""
    specs = [
        {"type": "mul", "name": "sq", "inputs": ["input", "input"]},
        {"type": "relu", "name": "r", "inputs": ["input"]},
        {"type": "add", "inputs": ["sq", "r"]},
    ]
    model = Model.from_spec(specs, input_shape=(5,))
    x = rng.standard_normal((4, 5))
    model.forward(x, backprop=True)
    dx = model.backward(np.ones((4, 5)), input_grad=True)
    assert_close("dx", dx, 2 * x + (x > 0), 1e-12, 1e-12)


def test_backward_from_a_middle_layer_gives_its_gradient():
    """Grad-CAM's backward(start=k + 1): dL/d(output of k), summing every path out of k."""
    model = graph_model(side=6)
    names = [ly.name for ly in model.layers]
    k = names.index("stem_relu")  # read by c1, skip and side
    x = rng.random((2, 1, 6, 6))
    outs = model.forward(x, backprop=True, return_all=True)
    dout = rng.standard_normal(outs[-1].shape)
    dA = model.backward(dout, start=k + 1, input_grad=True)
    assert dA.shape == outs[k].shape
    # the same gradient from the model made of layers k+1.. with node k as its input
    rest = model.specs()[k + 1 :]
    for s in rest:
        if "inputs" in s:
            s["inputs"] = ["input" if r == "stem_relu" else r for r in s["inputs"]]
    tail = float64(Model.from_spec(rest, input_shape=model.shapes[k + 1]))
    tail.set_state({n: a for n, a in model.state().items() if n in tail.state()})
    tail.forward(outs[k], backprop=True)
    assert_close("dA", dA, tail.backward(dout, input_grad=True), 1e-10, 1e-12)


def test_a_dead_branch_gets_zero_gradients():
    specs = [
        {"type": "dense", "name": "unused", "config": {"out_features": 2}},
        {"type": "dense", "name": "out", "config": {"out_features": 3}, "inputs": ["input"]},
    ]
    model = Model.from_spec(specs, input_shape=(4,))
    model.train_step(rng.standard_normal((5, 4)).astype(np.float32), np.array([0, 1, 2, 0, 1]))
    assert not model.grads()["unused.weight"].any() and model.grads()["out.weight"].any()


def test_save_load_round_trip_of_a_graph_with_buffers(tmp_path):
    model = graph_model()
    path = tmp_path / "g.npz"
    model.save(path)
    loaded = Model.load(path)
    assert loaded.inputs == model.inputs
    assert set(loaded.state()) == set(model.state()) and "bn1.running_var" in loaded.state()
    assert "bn1.running_var" not in loaded.params()  # a buffer, not trained
    x = rng.random((2, 1, 8, 8))
    np.testing.assert_allclose(loaded.forward(x), model.forward(x), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize(
    "change, words",
    [
        (lambda a: a.pop("bn1.running_mean"), ["missing", "bn1.running_mean"]),
        (lambda a: a.update({"bn2.running_var": np.ones(7)}), ["bn2.running_var", "(7,)"]),
        (lambda a: a.update({"bn2.running_var": np.full(3, np.nan)}), ["bn2.running_var", "NaN"]),
    ],
)
def test_bad_buffers_are_refused_naming_them(tmp_path, change, words):
    model = graph_model()
    arrays = model.state()
    change(arrays)
    with pytest.raises(ValueError) as e:
        model.set_state(arrays, "g.npz")
    for w in words:
        assert w in str(e.value)


def test_a_graph_file_with_a_cycle_is_refused(tmp_path):
    import json

    from engine.model import ARCH_KEY

    model = graph_model()
    arch = model.architecture()
    arch["layers"][0]["inputs"] = ["fc"]
    arrays = {**model.state(), ARCH_KEY: np.frombuffer(json.dumps(arch).encode(), np.uint8)}
    path = tmp_path / "cycle.npz"
    np.savez(path, **arrays)
    with pytest.raises(ValueError, match=r"cycle.npz: bad architecture: layer 0 .*not an earlier"):
        Model.load(path)


def test_spec_reference_is_the_shared_one():
    assert any("inputs" in s for s in RESIDUAL)
