"""A convolution's batch norm and clamp in its blocks (engine/ops/epilogue.py, engine/fusion.py):
an inference forward without ``return_all`` gives what the separate layers give — bit for bit
where the epilogue scales the output, to float32 rounding where the batch norm is folded into
the weights — and only where nothing else reads what lies between."""

from __future__ import annotations

import numpy as np
import pytest

from engine import fusion
from engine.layers import Conv2D
from engine.model import Model
from engine.ops.batchnorm import batchnorm_forward
from engine.ops.epilogue import epilogue
from engine.ops.gates import clamp_forward
from tests.engine.fused_nets import RELU6, bn, conv, with_statistics


def outputs(model: Model, x: np.ndarray):
    """(the fused forward's output, the plain forward's last output)."""
    return model.forward(x), model.forward(x, return_all=True)[-1]


NETS = {
    # conv → BN → ReLU twice, then a conv → BN read by an add (no clamp), then ReLU6
    "chain": (
        [
            conv("c1", 6, bias=False),
            bn("b1"),
            {"type": "relu", "name": "r1"},
            conv("c2", 6),
            bn("b2"),
            {"type": "relu", "name": "r2", "inputs": ["b2"]},
            conv("c3", 6),
            bn("b3"),
            {"type": "add", "name": "sum", "inputs": ["b3", "r2"]},
            {**RELU6, "name": "r6"},
        ],
        (3, 9, 9),
    ),
    # depthwise → BN → ReLU6, pointwise → BN, a grouped conv → ReLU
    "mobile": (
        [
            conv("pw", 8, 1, bias=False),
            bn("b1"),
            {**RELU6, "name": "a1"},
            conv("dw", 8, 3, groups=8, stride=2, bias=False),
            bn("b2"),
            {**RELU6, "name": "a2"},
            conv("g", 4, 3, groups=2),
            {"type": "relu", "name": "a3"},
        ],
        (3, 11, 11),
    ),
}


@pytest.mark.parametrize("net", sorted(NETS))
@pytest.mark.parametrize("far", [False, True])
@pytest.mark.parametrize("batch", [1, 5])
def test_fused_forward_is_the_plain_one(net, far, batch):
    specs, shape = NETS[net]
    model = with_statistics(Model.from_spec(specs, shape, seed=1), far=far)
    assert model._conv_chains  # something is fused
    x = np.random.default_rng(2).standard_normal((batch, *shape)).astype(np.float32)
    fused, plain = outputs(model, x)
    scale = np.abs(plain).max()
    np.testing.assert_allclose(fused, plain, rtol=1e-5, atol=2e-6 * scale)


def test_unfolded_epilogue_is_bit_for_bit():
    """Weights with more values than the output (64×64×3×3 on 2×2): the batch norm scales the
    output in place, the same float32 operations as the separate layers."""
    specs = [conv("c", 64), bn("b"), {**RELU6, "name": "a"}]
    for far in (False, True):
        model = with_statistics(Model.from_spec(specs, (64, 2, 2), seed=0), far=far)
        x = np.random.default_rng(3).standard_normal((1, 64, 2, 2)).astype(np.float32) * 4
        fused, plain = outputs(model, x)
        np.testing.assert_array_equal(fused, plain)


def test_chains_skip_what_other_layers_read():
    specs = [
        conv("c1", 4),
        bn("b1"),
        {"type": "relu", "name": "r1"},  # fused, all three
        conv("c2", 4),
        {"type": "relu", "name": "r2"},  # c2's output is also read below
        {"type": "add", "name": "sum", "inputs": ["c2", "r2"]},
        conv("c3", 4),
        bn("b3"),  # b3 is read twice: the ReLU is not fused
        {"type": "relu", "name": "r3"},
        {"type": "add", "name": "s3", "inputs": ["b3", "r3"]},
        {"type": "batchnorm2d", "name": "b4"},
        {"type": "relu", "name": "r4"},
    ]
    model = with_statistics(Model.from_spec(specs, (2, 6, 6), seed=0))
    assert fusion.conv_chains(model.layers, model.inputs) == {0: [1, 2], 6: [7]}
    x = np.random.default_rng(4).standard_normal((3, 2, 6, 6)).astype(np.float32)
    fused, plain = outputs(model, x)
    np.testing.assert_allclose(fused, plain, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("stop", [1, 2, 3, 4])
def test_a_stop_inside_a_chain_returns_that_layer(stop):
    """``forward(stop=k)`` (one layer's output, as the explorer asks for it) fuses only the
    part of a chain before k: stopping at the convolution gives the convolution's output."""
    specs = [conv("c1", 5), bn("b1"), {"type": "relu", "name": "r1"}, conv("c2", 3)]
    model = with_statistics(Model.from_spec(specs, (2, 7, 7), seed=0))
    x = np.random.default_rng(5).standard_normal((2, 2, 7, 7)).astype(np.float32)
    plain = model.forward(x, return_all=True)[stop - 1]
    np.testing.assert_allclose(model.forward(x, stop=stop), plain, rtol=1e-5, atol=1e-6)


def test_epilogue_apply_is_the_layers_ops():
    """The op alone, on a channel-first block and on a channel slice of one."""
    rng = np.random.default_rng(6)
    C = 6
    y = rng.standard_normal((C, 4, 5, 3)).astype(np.float32) * 3  # (C, H, W, N) memory
    gamma, beta = (
        rng.uniform(0.5, 2, C).astype(np.float32),
        rng.uniform(-1, 1, C).astype(np.float32),
    )
    mean, var = (
        (rng.uniform(-1, 1, C) + 20).astype(np.float32),
        rng.uniform(0.1, 2, C).astype(np.float32),
    )
    x = y.transpose(3, 0, 1, 2)  # (N, C, H, W) view, as a convolution returns it
    want, _ = batchnorm_forward(x, gamma, beta, mean, var, 1e-5)
    want, _ = clamp_forward(want, -0.5, 1.5)
    ep = epilogue(np.float32, (gamma, beta, mean, var, 1e-5), (-0.5, 1.5))
    assert ep.offset is not None  # the far mean is centred first, as the layer does
    got = y.copy()
    ep.apply(got[:2], slice(0, 2))
    ep.apply(got[2:], slice(2, C))
    np.testing.assert_array_equal(got.transpose(3, 0, 1, 2), want)


def test_an_epilogue_is_for_inference_only():
    layer = Conv2D(2, 3, 3)
    x = np.zeros((1, 2, 5, 5), dtype=np.float32)
    with pytest.raises(ValueError, match="inference"):
        layer.forward(x, train=True, epilogue=epilogue(np.float32, clamp=(0, None)))


@pytest.mark.parametrize("clamp", [(0.0, None), (0.0, 6.0), (-1.0, 1.0)])
def test_the_clamp_against_a_row_of_its_bound_is_the_layers_clamp_bit_for_bit(clamp):
    """The epilogue clamps with a row of the bound (faster in NumPy than the scalar): the same
    bits as the separate layer's, NaN, infinities and both zeros included."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, 4, 37)).astype(np.float32) * 4
    x.reshape(-1)[:6] = [np.nan, -np.nan, np.inf, -np.inf, 0.0, -0.0]
    want = clamp_forward(x, *clamp)[0]
    got = x.copy()
    epilogue(np.float32, None, clamp).apply(got)
    np.testing.assert_array_equal(got.view(np.int32), want.view(np.int32))


def test_every_clamp_is_the_min_of_the_max_and_keeps_nan_and_negative_zero_as_pytorch():
    """One ``np.clip`` for ReLU, ReLU6 and Clip: the value of ``min(max(x, lo), hi)`` (a loop of
    Python comparisons here), NaN stays NaN, and ``relu(-0.0)`` is -0.0 as in PyTorch."""
    from engine.ops.activation import clip_values, relu_forward

    x = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, -3.5, 0.25, 7.0], dtype=np.float32)
    for lo, hi in [(0.0, None), (0.0, 6.0), (-1.0, 1.0), (None, 2.0)]:
        got = clip_values(x, lo, hi)
        for v, g in zip(x, got, strict=True):
            want = v if lo is None or np.isnan(v) else max(v, lo)
            want = want if hi is None or np.isnan(v) else min(want, hi)
            assert (np.isnan(g) and np.isnan(want)) or g == want, (lo, hi, v, g)
        assert got.dtype == np.float32
    relu = relu_forward(x)[0]
    assert np.signbit(relu[4]) and relu[4] == 0 and not np.signbit(relu[3]) and np.isnan(relu[0])
    inplace = x.copy()
    assert clip_values(inplace, 0.0, 6.0, out=inplace) is inplace and inplace[7] == 6
