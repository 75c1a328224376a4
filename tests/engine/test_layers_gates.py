"""The layers exported image classifiers need (clamps, hard sigmoid/swish, SiLU, GELU, erf,
SELU, PReLU, group norm, layer norm, LRN, narrow, reflect/replicate padding): each forward
against a plain reference, each backward against centred finite differences in float64
(tests/engine/gradcheck.py)."""

import math

import numpy as np
import pytest
from scipy.special import erf, expit

from engine import layers as L
from engine.ops.special import erf as engine_erf
from tests.engine.gradcheck import check_layer

rng = np.random.default_rng(20)
ALPHA, GAMMA = 1.67326319217681884765625, 1.05070102214813232421875


def away_from(x, kinks, margin=1e-3):
    """``x`` with every value within ``margin`` of a kink moved off it."""
    for k in kinks:
        x[np.abs(x - k) < margin] = k + 0.25
    return x


@pytest.mark.parametrize(
    "layer, kinks, ref",
    [
        (L.Hardtanh(0.0, 6.0), (0, 6), lambda x, _: np.clip(x, 0, 6)),
        (L.Hardtanh(None, 1.5), (1.5,), lambda x, _: np.minimum(x, 1.5)),
        (L.Hardtanh(-0.5, None), (-0.5,), lambda x, _: np.maximum(x, -0.5)),
        (L.Hardsigmoid(), (-3, 3), lambda x, _: np.clip(x / 6 + 0.5, 0, 1)),
        (L.Hardsigmoid(0.2, 0.5), (-2.5, 2.5), lambda x, _: np.clip(0.2 * x + 0.5, 0, 1)),
        (L.Hardswish(), (-3, 3), lambda x, _: x * np.clip(x / 6 + 0.5, 0, 1)),
        (L.SiLU(), (), lambda x, _: x * expit(x)),
        (L.GELU(), (), lambda x, _: x * (1 + erf(x / math.sqrt(2))) / 2),
        (
            L.GELU("tanh"),
            (),
            lambda x, _: x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3))) / 2,
        ),
        (L.Erf(), (), lambda x, _: erf(x)),
        (L.SELU(), (0,), lambda x, _: GAMMA * np.where(x > 0, x, ALPHA * (np.exp(x) - 1))),
        (L.SELU(1.2, 0.9), (0,), lambda x, _: 0.9 * np.where(x > 0, x, 1.2 * np.expm1(x))),
    ],
    ids=lambda v: getattr(v, "type", "") + str(getattr(v, "config", dict)()),
)
def test_gated_activations(layer, kinks, ref):
    x = away_from(rng.standard_normal((2, 3, 4, 5)) * 4, kinks)
    check_layer(layer, x, ref)


@pytest.mark.parametrize("shape, n", [((2, 3, 4, 4), 3), ((2, 3, 4, 4), 1), ((4, 5), 5)])
def test_prelu_per_channel_or_shared(shape, n):
    layer = L.PReLU(n)
    layer.params["weight"][...] = rng.uniform(-0.5, 0.8, n)
    x = away_from(rng.standard_normal(shape), (0,))

    def ref(x, ps):
        a = ps["weight"].reshape(1, -1, *([1] * (x.ndim - 2)))
        return np.where(x > 0, x, a * x)

    check_layer(layer, x, ref)


def lrn_loop(x, size, alpha, beta, k):
    """ONNX's LRN definition, one channel at a time."""
    C = x.shape[1]
    out = np.empty_like(x)
    for c in range(C):
        lo, hi = max(0, c - (size - 1) // 2), min(C - 1, c + size // 2)
        s = (x[:, lo : hi + 1] ** 2).sum(axis=1)
        out[:, c] = x[:, c] / (k + alpha / size * s) ** beta
    return out


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5])
def test_local_response_norm_against_the_loop(size):
    layer = L.LocalResponseNorm(size, alpha=0.3, beta=0.75, k=2.0)  # a large alpha: it matters
    x = rng.standard_normal((2, 6, 3, 3)) * 2
    check_layer(layer, x, lambda x, _: lrn_loop(x, size, 0.3, 0.75, 2.0))


def test_local_response_norm_on_features():
    layer = L.LocalResponseNorm(3, alpha=1.0, beta=0.5, k=1.0)
    check_layer(layer, rng.standard_normal((3, 7)), lambda x, _: lrn_loop(x, 3, 1.0, 0.5, 1.0))


@pytest.mark.parametrize("dim, start, length", [(1, 1, 2), (2, 0, 3), (3, 2, 2)])
def test_narrow(dim, start, length):
    layer = L.Narrow(dim, start, length)
    index = [slice(None)] * 4
    index[dim] = slice(start, start + length)
    check_layer(layer, rng.standard_normal((2, 4, 5, 4)), lambda x, _: x[tuple(index)])


@pytest.mark.parametrize("mode", ["reflect", "replicate", "constant"])
@pytest.mark.parametrize("pads", [(1, 2, 2, 1), (0, 3, 1, 0)])
def test_pad_modes(mode, pads):
    layer = L.Pad(list(pads), value=0.5, mode=mode)
    t, left, b, r = pads
    width = ((0, 0), (0, 0), (t, b), (left, r))
    kwargs = {"constant_values": 0.5} if mode == "constant" else {}
    np_mode = {"replicate": "edge"}.get(mode, mode)
    check_layer(
        layer, rng.standard_normal((2, 2, 4, 5)), lambda x, _: np.pad(x, width, np_mode, **kwargs)
    )


def test_reflect_mirrors_without_the_edge():
    x = np.arange(4.0).reshape(1, 1, 1, 4)
    out = L.Pad([0, 2, 0, 1], mode="reflect").forward(x)
    np.testing.assert_array_equal(out[0, 0, 0], [2, 1, 0, 1, 2, 3, 2])
    out = L.Pad([0, 2, 0, 1], mode="replicate").forward(x)
    np.testing.assert_array_equal(out[0, 0, 0], [0, 0, 0, 1, 2, 3, 3])


@pytest.mark.parametrize(
    "make, words",
    [
        (lambda: L.Pad([0, 4, 0, 0], mode="reflect").output_shape((1, 3, 4)), "smaller than"),
        (lambda: L.Pad([1, 1, 1, 1], mode="wrap"), "mode must be one of"),
        (lambda: L.Hardtanh(2.0, 1.0), "must not exceed"),
        (lambda: L.GELU("exact"), "approximate must be one of"),
        (lambda: L.GroupNorm(4, 6), "must divide"),
        (lambda: L.GroupNorm(2, 6).output_shape((4, 3, 3)), "expects"),
        (lambda: L.LayerNorm2d(6).output_shape((4, 3, 3)), "expects 6 channels"),
        (lambda: L.Narrow(1, 3, 2).output_shape((4, 2, 2)), "are not all in"),
        (lambda: L.Narrow(0, 0, 1), "batch axis"),
        (lambda: L.PReLU(3).output_shape((4, 2, 2)), "3 slopes"),
        (lambda: L.LocalResponseNorm(0), "size"),
        (lambda: L.LocalResponseNorm(3, k=0), "k must be positive"),
    ],
)
def test_bad_configs_name_the_value(make, words):
    with pytest.raises(ValueError, match=words):
        make()


def test_erf_in_numpy_against_pythons_on_every_range():
    """Every node's neighbourhood, the far tails (±1 beyond 6) and the odd values."""
    x = np.concatenate([np.linspace(-9, 9, 20001), [2.9999999, 3.0, 3.0000001, 29.0, 31.0, 1e300]])
    want = np.array([math.erf(v) for v in x])
    np.testing.assert_allclose(engine_erf(x), want, rtol=1e-15, atol=3e-16)
    x32 = x[np.abs(x) < 1e30].astype(np.float32)  # float32: within one float32 step of exact
    want32 = np.array([math.erf(float(v)) for v in x32])
    assert engine_erf(x32).dtype == np.float32
    np.testing.assert_allclose(
        engine_erf(x32), want32, rtol=0, atol=float(np.spacing(np.float32(1)))
    )
    odd = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0], dtype=np.float32)
    got = engine_erf(odd)
    assert got.dtype == np.float32 and np.isnan(got[0]) and list(got[1:3]) == [1.0, -1.0]
    assert np.signbit(got[4]) and not np.signbit(got[3])


def test_the_request_cost_counts_the_error_functions_series():
    """An exact GELU (and an erf) runs ~60 multiply-adds a value in NumPy, not one pass: the
    cost model the request limits use must say so (engine/cost.py)."""
    from engine.cost import layer_cost
    from engine.ops.special import MULTIPLY_ADDS

    def cost(kind, **config):
        return layer_cost({"type": kind, "config": config, "input_shape": [8, 4, 4],
                           "output_shape": [8, 4, 4]})  # fmt: skip

    assert cost("gelu") - cost("relu") == cost("erf") - cost("relu") == MULTIPLY_ADDS * 128
    assert cost("gelu", approximate="tanh") == cost("relu")


def group_norm_loops(x, weight, bias, groups, eps):
    """The plain twin: one example and one group at a time."""
    out = np.empty_like(x)
    per = x.shape[1] // groups
    for n in range(x.shape[0]):
        for g in range(groups):
            part = x[n, g * per : (g + 1) * per]
            out[n, g * per : (g + 1) * per] = (part - part.mean()) / np.sqrt(part.var() + eps)
    shape = (1, -1) + (1,) * (x.ndim - 2)
    return out * weight.reshape(shape) + bias.reshape(shape)


@pytest.mark.parametrize("groups", [1, 2, 6])  # 6 of 6: instance norm
def test_group_norm_against_the_loops_and_centred_differences(groups):
    layer = L.GroupNorm(groups, 6, eps=1e-3)
    layer.params["weight"][:] = rng.uniform(0.5, 2.0, 6)
    layer.params["bias"][:] = rng.normal(size=6)
    x = rng.standard_normal((3, 6, 4, 5)) * 2 + 1
    eps = 1e-3
    check_layer(layer, x, lambda a, p: group_norm_loops(a, p["weight"], p["bias"], groups, eps))
    batch_last = np.ascontiguousarray(x.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
    np.testing.assert_allclose(layer.forward(batch_last), layer.forward(x), rtol=1e-12)


def layer_norm_loops(x, weight, bias, eps):
    """The plain twin: one example and one position at a time, over the channels."""
    out = np.empty_like(x)
    for index in np.ndindex(x.shape[0], *x.shape[2:]):
        at = (index[0], slice(None), *index[1:])
        v = x[at]
        out[at] = (v - v.mean()) / np.sqrt(v.var() + eps) * weight + bias
    return out


@pytest.mark.parametrize("shape", [(3, 6, 4, 5), (4, 6)])  # maps, and a vector of features
def test_layer_norm_over_channels_against_the_loops_and_centred_differences(shape):
    layer = L.LayerNorm2d(6, eps=1e-3)
    layer.params["weight"][:] = rng.uniform(0.5, 2.0, 6)
    layer.params["bias"][:] = rng.normal(size=6)
    x = rng.standard_normal(shape) * 2 + 1
    check_layer(layer, x, lambda a, p: layer_norm_loops(a, p["weight"], p["bias"], 1e-3))


def test_the_receptive_field_through_the_norms():
    """A layer norm over channels keeps each position's box; a group norm's statistics read its
    whole input map, so a unit after it sees the whole image (engine/explain/geometry.py)."""
    from engine.explain.geometry import input_box, receptive_field
    from engine.model import Model

    def net(norm):
        conv = {"type": "conv2d", "config": {"out_channels": 4, "kernel_size": 3}}
        return Model.from_spec([conv, norm, conv], input_shape=(1, 12, 12))

    assert receptive_field(net({"type": "layernorm2d"}), 2) == (5, 5)
    assert receptive_field(net({"type": "localresponsenorm", "config": {"size": 3}}), 2) == (5, 5)
    grouped = net({"type": "groupnorm", "config": {"num_groups": 2}})
    assert tuple(int(v) for v in input_box(grouped, 2, 3, 4)) == (0, 0, 12, 12)
