"""The new layers against PyTorch's own numbers (tests/engine/data/torch_layers.npz, written by
scripts/make_torch_layer_fixtures.py): pooling with ceil_mode / count_include_pad, batch norm
in training (running statistics, momentum) and evaluation, grouped and depthwise conv, and
the activations."""

from pathlib import Path

import numpy as np
import pytest

from engine import layers as L
from tests.engine.gradcheck import assert_close

DATA = np.load(Path(__file__).parent / "data" / "torch_layers.npz", allow_pickle=False)

POOLS = {  # as in the script: name → (kernel, stride, padding, ceil_mode, count_include_pad)
    "a": (2, 2, 0, True, True),
    "b": (3, 2, 1, True, True),
    "c": (3, 2, 1, True, False),
    "d": (3, 3, 1, True, True),
    "e": ((3, 2), (2, 2), (1, 1), False, False),
    "f": (2, 2, 1, True, False),
    "g": (3, 3, 0, True, True),
}


@pytest.mark.parametrize("mode", ["max", "avg"])
@pytest.mark.parametrize("name", sorted(POOLS))
def test_pooling_matches_pytorch(name, mode):
    k, s, p, ceil, cip = POOLS[name]
    key = f"pool_{name}_{mode}"
    x, want, dout = DATA[f"{key}_x"], DATA[f"{key}_out"], DATA[f"{key}_dout"]
    if mode == "max":
        layer = L.MaxPool2D(k, s, p, ceil_mode=ceil)
    else:
        layer = L.AvgPool2D(k, s, p, ceil_mode=ceil, count_include_pad=cip)
    assert layer.output_shape(x.shape[1:]) == want.shape[1:]
    out = layer.forward(x, backprop=True)
    assert_close(f"{key} out", out, want, 1e-12, 1e-12)
    assert_close(f"{key} dx", layer.backward(dout), DATA[f"{key}_dx"], 1e-12, 1e-12)


def assert_training_step_matches(layer, pre: str, dx_rtol: float = 1e-10) -> None:
    """One training forward and backward of ``layer`` on PyTorch's ``{pre}_x`` and
    ``{pre}_dout``: out, dx, dweight and dbias agree with PyTorch's."""
    out = layer.forward(DATA[f"{pre}_x"], train=True)
    assert_close(f"{pre} out", out, DATA[f"{pre}_out"], 1e-10, 1e-12)
    dx = layer.backward(DATA[f"{pre}_dout"])
    assert_close(f"{pre} dx", dx, DATA[f"{pre}_dx"], dx_rtol, 1e-12)
    assert_close(f"{pre} dweight", layer.grads["weight"], DATA[f"{pre}_dweight"], 1e-10, 1e-12)
    assert_close(f"{pre} dbias", layer.grads["bias"], DATA[f"{pre}_dbias"], 1e-10, 1e-12)


@pytest.mark.parametrize("name", ["bn2d", "bn1d", "bn1d_l"])
def test_batchnorm_matches_pytorch_in_training_and_evaluation(name):
    x0 = DATA[f"{name}_train0_x"]
    C = x0.shape[1]
    layer = (L.BatchNorm2d if x0.ndim == 4 else L.BatchNorm1d)(C, eps=1e-3, momentum=0.2)
    layer.params["weight"] = DATA[f"{name}_weight"].copy()
    layer.params["bias"] = DATA[f"{name}_bias"].copy()
    for key in ("running_mean", "running_var"):
        layer.buffers[key] = layer.buffers[key].astype(np.float64)
    for step in range(2):
        pre = f"{name}_train{step}"
        assert_training_step_matches(layer, pre, dx_rtol=1e-9)
        for key in ("running_mean", "running_var"):  # momentum 0.2, unbiased variance
            assert_close(f"{pre} {key}", layer.buffers[key], DATA[f"{pre}_{key}"], 1e-10, 1e-12)
    out = layer.forward(DATA[f"{name}_eval_x"])
    assert_close(f"{name} eval", out, DATA[f"{name}_eval_out"], 1e-10, 1e-12)


CONVS = {  # name → (C, F, groups, kernel, stride, padding, dilation), as in the script
    "g2": (4, 6, 2, 3, 1, 1, 1),
    "dw": (3, 3, 3, 3, 2, 1, 1),
    "dwm": (2, 6, 2, (3, 2), 1, (1, 0), (2, 1)),
}


@pytest.mark.parametrize("name", sorted(CONVS))
def test_grouped_and_depthwise_conv_match_pytorch(name):
    C, F, groups, k, s, p, d = CONVS[name]
    key = f"conv_{name}"
    layer = L.Conv2D(C, F, k, s, p, d, groups=groups)
    assert layer.params["weight"].shape == DATA[f"{key}_weight"].shape  # (F, C/groups, kh, kw)
    layer.params["weight"] = DATA[f"{key}_weight"]
    layer.params["bias"] = DATA[f"{key}_bias"]
    assert_training_step_matches(layer, key)


@pytest.mark.parametrize(
    "layer, key",
    [
        (L.LeakyReLU(0.2), "leakyrelu"),
        (L.ELU(0.7), "elu"),
        (L.Sigmoid(), "sigmoid"),
        (L.Tanh(), "tanh"),
        (L.LogSoftmax(), "logsoftmax"),
    ],
)
def test_activations_match_pytorch(layer, key):
    assert_close(key, layer.forward(DATA["act_x"]), DATA[f"act_{key}"], 1e-12, 1e-12)
