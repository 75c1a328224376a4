"""ReLU → max-pool backward in one pass (engine/fusion.py) against the two plain passes."""

from __future__ import annotations

import numpy as np
import pytest

from engine import fusion
from engine.model import Model

SPECS = [
    {"type": "conv2d", "name": "conv1", "config": {"out_channels": 3, "kernel_size": 3}},
    {"type": "relu", "name": "relu1"},
    {"type": "maxpool2d", "name": "pool1", "config": {"kernel_size": 2}},
    {"type": "relu", "name": "relu2"},
    {"type": "maxpool2d", "name": "pool2", "config": {"kernel_size": 3, "stride": 1}},
    {"type": "flatten", "name": "flatten"},
    {"type": "dense", "name": "fc", "config": {"out_features": 4}},
]


def _run(model: Model, x, fuse: bool, **kw):
    model.forward(x, backprop=True)
    dout = np.random.default_rng(1).standard_normal((len(x), 4)).astype(np.float32)
    dx = model.backward(dout, fuse=fuse, **kw)
    return dx, {k: g.copy() for k, g in model.grads().items()}


@pytest.mark.parametrize("kw", [{"input_grad": True}, {"start": 2, "input_grad": True}, {}])
def test_fused_backward_is_the_plain_one_exactly(kw):
    """Bit for bit, with many ties: half the pre-ReLU values are negative, so many 2×2
    windows are all zeros (the first zero wins; the ReLU's mask zeroes it either way)."""
    model = Model.from_spec(SPECS, (2, 9, 9), seed=0)
    x = np.random.default_rng(0).standard_normal((5, 2, 9, 9)).astype(np.float32)
    dx1, grads1 = _run(model, x, fuse=False, **kw)
    dx2, grads2 = _run(model, x, fuse=True, **kw)
    if kw.get("input_grad"):
        np.testing.assert_array_equal(dx2, dx1)
    for k in grads1:
        np.testing.assert_array_equal(grads2[k], grads1[k], err_msg=k)


def test_only_a_relu_read_by_one_max_pool_alone_is_fused():
    model = Model.from_spec(SPECS, (2, 9, 9), seed=0)
    assert fusion.relu_max_pairs(model.layers, model.inputs) == {2: 1, 4: 3}
    fan_out = [
        {"type": "conv2d", "name": "c", "config": {"out_channels": 2, "kernel_size": 1}},
        {"type": "relu", "name": "r"},
        {"type": "maxpool2d", "name": "p", "config": {"kernel_size": 1}},
        {"type": "add", "name": "sum", "inputs": ["p", "r"]},
    ]
    model = Model.from_spec(fan_out, (2, 4, 4), seed=0)
    assert fusion.relu_max_pairs(model.layers, model.inputs) == {}


def test_grad_cam_target_at_the_relu_is_not_fused():
    """Grad-CAM asks for dL/d(ReLU output): start just above the ReLU keeps its mask out, so
    the first zero of an all-zero window still gets the window's gradient."""
    specs = [*SPECS[:3], *SPECS[5:]]  # conv, relu, max-pool, flatten, dense
    model = Model.from_spec(specs, (2, 9, 9), seed=0)
    x = np.random.default_rng(0).standard_normal((3, 2, 9, 9)).astype(np.float32)
    dA1, _ = _run(model, x, fuse=False, start=2, input_grad=True)
    dA2, _ = _run(model, x, fuse=True, start=2, input_grad=True)
    np.testing.assert_array_equal(dA2, dA1)
    assert (dA2[model.forward(x, return_all=True)[1] == 0] != 0).any()  # no ReLU mask applied
