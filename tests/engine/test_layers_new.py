"""The layers graphs need: each forward against a plain reference, each backward against
finite differences (tests/engine/gradcheck.py), fast paths against their plain-loop twins."""

import numpy as np
import pytest
from scipy.special import expit, log_softmax

from engine import layers as L
from engine.ops.grouped import grouped_conv2d_naive
from engine.ops.pool import pool2d_backward_naive, pool2d_naive
from tests.engine.gradcheck import assert_close, check_layer

rng = np.random.default_rng(99)


def randn(*shape):
    return rng.standard_normal(shape)


# -- normalisation -----------------------------------------------------------------------------


@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize(
    "cls, shape",
    [(L.BatchNorm2d, (3, 2, 4, 5)), (L.BatchNorm1d, (5, 3)), (L.BatchNorm1d, (3, 2, 6))],
)
def test_batchnorm(cls, shape, train):
    layer = cls(shape[1], eps=1e-3)
    layer.params["weight"][...] = rng.uniform(0.5, 1.5, shape[1])
    layer.params["bias"][...] = rng.uniform(-1, 1, shape[1])
    layer.buffers["running_mean"][...] = rng.uniform(-1, 1, shape[1])
    layer.buffers["running_var"][...] = rng.uniform(0.5, 2, shape[1])
    axes = (0, *range(2, len(shape)))
    bshape = (1, shape[1]) + (1,) * (len(shape) - 2)

    def ref(x, ps):
        if train:
            mu, var = x.mean(axis=axes), x.var(axis=axes)
        else:
            mu, var = layer.buffers["running_mean"], layer.buffers["running_var"]
        x_hat = (x - mu.reshape(bshape)) / np.sqrt(var.reshape(bshape) + 1e-3)
        return ps["weight"].reshape(bshape) * x_hat + ps["bias"].reshape(bshape)

    before = layer.buffers["running_mean"].copy()
    x = randn(*shape) * 2 + 0.5
    if not train:  # evaluation: uses (and never changes) the running statistics
        check_layer(layer, x, ref)
        np.testing.assert_array_equal(layer.buffers["running_mean"], before)
        return
    ref_out = ref(x.astype(np.float64), {k: v.astype(np.float64) for k, v in layer.params.items()})
    check_layer(layer, x, train=True)
    assert_close("train forward", layer.forward(x, train=True), ref_out, 1e-9, 1e-9)


def test_batchnorm_running_statistics_follow_pytorch_momentum():
    layer = L.BatchNorm2d(2, momentum=0.25)
    x = randn(3, 2, 4, 4)
    layer.forward(x, train=True)
    m = 3 * 4 * 4
    mean, var = x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3)) * m / (m - 1)  # unbiased
    np.testing.assert_allclose(layer.buffers["running_mean"], 0.25 * mean, rtol=1e-5)
    np.testing.assert_allclose(layer.buffers["running_var"], 0.75 + 0.25 * var, rtol=1e-5)


def test_batchnorm_momentum_none_is_the_cumulative_average_and_survives_save(tmp_path):
    """PyTorch's ``momentum=None``: after n batches each running statistic is the plain mean
    of the n batches' statistics; the count is saved, so training resumed after a load goes
    on averaging."""
    from engine.model import Model

    batches = [randn(3, 2, 4, 4) for _ in range(4)]
    m = 3 * 4 * 4
    means = [x.mean(axis=(0, 2, 3)) for x in batches]
    variances = [x.var(axis=(0, 2, 3)) * m / (m - 1) for x in batches]  # unbiased
    model = Model([L.BatchNorm2d(2, momentum=None, name="bn")], input_shape=(2, 4, 4))
    for x in batches[:2]:
        model.layers[0].forward(x, train=True)
    model.save(tmp_path / "bn.npz")
    again = Model.load(tmp_path / "bn.npz")
    layer = again.layers[0]
    assert layer.momentum is None and int(layer.buffers["num_batches_tracked"]) == 2
    for x in batches[2:]:
        layer.forward(x, train=True)
    np.testing.assert_allclose(layer.buffers["running_mean"], np.mean(means, axis=0), rtol=1e-5)
    np.testing.assert_allclose(layer.buffers["running_var"], np.mean(variances, axis=0), rtol=1e-5)


def test_batchnorm_refuses_a_wrong_channel_count():
    with pytest.raises(ValueError, match=r"bn expects input \(C, H, W\) with C=3"):
        L.BatchNorm2d(3, name="bn").output_shape((4, 5, 5))


@pytest.mark.parametrize("axes", [(0, 2, 3), (2, 3), (1,)])
def test_mean_variance_normalization(axes):
    layer = L.MeanVarianceNormalization(list(axes))

    def ref(x, _):
        mu = x.mean(axis=axes, keepdims=True)
        return (x - mu) / (np.sqrt(((x - mu) ** 2).mean(axis=axes, keepdims=True)) + 1e-9)

    check_layer(layer, randn(2, 3, 4, 4), ref)


# -- dropout, activations ------------------------------------------------------------------


def test_dropout_is_the_identity_in_evaluation_and_a_seeded_mask_in_training():
    x = randn(50, 40)
    layer = L.Dropout(0.3, rng=np.random.default_rng(5))
    assert layer.forward(x) is x
    layer.forward(x, backprop=True)
    np.testing.assert_array_equal(layer.backward(x), x)
    out = layer.forward(x, train=True)
    kept = out != 0
    assert 0.6 < kept.mean() < 0.8
    np.testing.assert_allclose(out[kept], x[kept] / 0.7)
    dout = randn(50, 40)
    np.testing.assert_allclose(layer.backward(dout), np.where(kept, dout / 0.7, 0))
    twin = L.Dropout(0.3, rng=np.random.default_rng(5))  # the same seed, the same masks
    np.testing.assert_array_equal(twin.forward(x, train=True), out)


@pytest.mark.parametrize(
    "layer, ref",
    [
        (L.LeakyReLU(0.1), lambda x, _: np.where(x > 0, x, 0.1 * x)),
        (L.ELU(0.8), lambda x, _: np.where(x > 0, x, 0.8 * (np.exp(x) - 1))),
        (L.Sigmoid(), lambda x, _: expit(x)),
        (L.Tanh(), lambda x, _: np.tanh(x)),
    ],
)
def test_elementwise_activations(layer, ref):
    x = randn(2, 3, 4, 4)
    x[np.abs(x) < 1e-3] = 0.5  # keep clear of the kinks
    check_layer(layer, x, ref)


def test_log_softmax():
    check_layer(L.LogSoftmax(), randn(4, 6) * 3, lambda x, _: log_softmax(x, axis=1))


def test_sigmoid_does_not_overflow():
    out = L.Sigmoid().forward(np.array([[-1000.0, 0.0, 1000.0]]))
    np.testing.assert_array_equal(out, [[0.0, 0.5, 1.0]])


# -- merges ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cls, op", [(L.Add, np.add), (L.Sub, np.subtract), (L.Mul, np.multiply), (L.Div, np.divide)]
)
@pytest.mark.parametrize("b_shape", [(2, 3, 4, 4), (2, 3, 1, 1), (2, 1, 4, 1)])
def test_binary_ops_with_two_inputs_broadcast_and_reduce_gradients(cls, op, b_shape):
    a, b = randn(2, 3, 4, 4), randn(*b_shape)
    if op is np.divide:
        b = np.sign(b) * (np.abs(b) + 0.5)  # away from zero
    check_layer(cls(), (a, b), lambda x, y, _: op(x, y))


@pytest.mark.parametrize(
    "cls, op", [(L.Add, np.add), (L.Sub, np.subtract), (L.Mul, np.multiply), (L.Div, np.divide)]
)
@pytest.mark.parametrize("first", [False, True])
def test_binary_ops_with_a_per_channel_constant(cls, op, first):
    layer = cls(constant_shape=[3, 1, 1], constant_first=first)
    assert layer.n_inputs == 1 and layer.num_params == 0
    layer.buffers["constant"][...] = rng.uniform(0.5, 2, (3, 1, 1))
    c = layer.buffers["constant"].astype(np.float64)[None]
    ref = (lambda x, _: op(c, x)) if first else (lambda x, _: op(x, c))
    x = randn(2, 3, 4, 5)
    if first and op is np.divide:
        x = np.sign(x) * (np.abs(x) + 0.5)
    check_layer(layer, x, ref)
    assert layer.config() == {
        "constant_shape": [3, 1, 1],
        **({"constant_first": True} if first else {}),
    }


def test_binary_shapes_must_broadcast():
    with pytest.raises(
        ValueError, match=r"add: shapes \(3, 4, 4\) and \(2, 4, 4\) do not broadcast"
    ):
        L.Add().output_shape((3, 4, 4), (2, 4, 4))


@pytest.mark.parametrize(
    "dim, shapes",
    [(1, [(2, 2, 3, 3), (2, 3, 3, 3)]), (1, [(2, 1, 3, 3)] * 3), (-1, [(2, 4, 2), (2, 4, 5)])],
)
def test_concat(dim, shapes):
    xs = tuple(randn(*s) for s in shapes)
    check_layer(L.Concat(dim), xs, lambda *a: np.concatenate(a[:-1], axis=dim))


def test_concat_refuses_mismatched_inputs():
    with pytest.raises(ValueError, match="differ on an axis other than dim 1"):
        L.Concat(1).output_shape((2, 4, 4), (2, 5, 4))


# -- shapes ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "layer, in_shape, ref",
    [
        (L.Flatten(), (2, 3, 4), lambda x, _: x.reshape(len(x), -1)),
        (L.Flatten(start_dim=2), (2, 3, 4), lambda x, _: x.reshape(len(x), 2, 12)),
        (L.Reshape([4, -1]), (2, 3, 4), lambda x, _: x.reshape(len(x), 4, 6)),
        (L.Squeeze(2), (3, 1, 4), lambda x, _: x[:, :, 0]),
        (L.Unsqueeze(1), (3, 4), lambda x, _: x[:, None]),
        (L.Unsqueeze(-1), (3, 4), lambda x, _: x[..., None]),
        (L.Transpose([0, 2, 3, 1]), (2, 3, 4), lambda x, _: x.transpose(0, 2, 3, 1)),
        (
            L.Pad([1, 0, 2, 3], 0.5),
            (2, 3, 4),
            lambda x, _: np.pad(x, ((0, 0), (0, 0), (1, 2), (0, 3)), constant_values=0.5),
        ),
        (L.Identity(), (2, 3), lambda x, _: x),
    ],
)
def test_shape_layers(layer, in_shape, ref):
    check_layer(layer, randn(2, *in_shape), ref)


@pytest.mark.parametrize(
    "make, words",
    [
        (lambda: L.Reshape([5, -1]).output_shape((2, 3, 4)), ["cannot reshape", "24 values"]),
        (lambda: L.Reshape([-1, -1]), ["at most one -1"]),
        (lambda: L.Squeeze(1).output_shape((3, 4)), ["not a size-1 axis"]),
        (lambda: L.Transpose([1, 0, 2]), ["keeps the batch axis first"]),
        (lambda: L.Pad([1, 1]), ["pads must be 4 ints"]),
        (lambda: L.Dropout(1.5), ["p must be in [0.0, 1.0]"]),
        (lambda: L.Conv2D(4, 6, 3, groups=4), ["groups=4 must divide", "out_channels=6"]),
    ],
)
def test_bad_configs_name_the_value(make, words):
    with pytest.raises(ValueError) as e:
        make()
    for w in words:
        assert w in str(e.value)


# -- grouped convolution, pooling with ceil_mode --------------------------------------------


@pytest.mark.parametrize(
    "C, F, groups, k, s, p, d",
    [
        (4, 6, 2, 3, 1, 1, 1),
        (3, 3, 3, 3, 2, 1, 1),
        (2, 4, 2, (2, 3), 1, (1, 0), (1, 2)),
        (3, 2, 1, 3, 1, 0, 1),
    ],
)
def test_grouped_conv_against_its_loop_twin(C, F, groups, k, s, p, d):
    layer = L.Conv2D(C, F, k, s, p, d, groups=groups, rng=rng)
    layer.params["bias"] = randn(F)

    def ref(x, ps):
        return grouped_conv2d_naive(
            x, ps["weight"], ps["bias"], layer.stride, layer.padding, layer.dilation, groups
        )

    check_layer(layer, randn(2, C, 7, 6), ref)
    assert layer.forward(randn(1, C, 7, 6)).shape[1] == F


POOL_CASES = [  # (N, C, H, W), kernel, stride, padding, ceil_mode, count_include_pad
    ((2, 2, 5, 5), 2, 2, 0, True, True),
    ((1, 2, 6, 7), 3, 2, 1, True, True),
    ((1, 2, 6, 7), 3, 2, 1, True, False),
    ((2, 1, 5, 5), 3, 3, 1, True, True),
    ((1, 3, 7, 6), (3, 2), (2, 1), (1, 1), False, False),
]


@pytest.mark.parametrize("mode", ["max", "avg", "min"])
@pytest.mark.parametrize("shape, k, s, p, ceil, cip", POOL_CASES)
def test_pooling_ceil_mode_against_its_loop_twin(mode, shape, k, s, p, ceil, cip):
    cls = {"max": L.MaxPool2D, "avg": L.AvgPool2D, "min": L.MinPool2D}[mode]
    kwargs = {"count_include_pad": cip} if mode == "avg" else {}
    layer = cls(k, s, p, ceil_mode=ceil, **kwargs)
    ref_args = (mode, layer.kernel_size, layer.stride, layer.padding, ceil, layer.count_include_pad)
    x = randn(*shape)
    check_layer(layer, x, lambda x, _: pool2d_naive(x, *ref_args))
    out = layer.forward(x, backprop=True)
    dout = randn(*out.shape)
    assert_close(
        "pool dx twin",
        layer.backward(dout),
        pool2d_backward_naive(x, dout, *ref_args),
        1e-12,
        1e-12,
    )


def test_global_pooling_with_keepdims_feeds_a_one_by_one_conv():
    layer = L.GlobalAvgPool(keepdims=True)
    assert layer.output_shape((3, 5, 4)) == (3, 1, 1)
    check_layer(layer, randn(2, 3, 5, 4), lambda x, _: x.mean(axis=(2, 3), keepdims=True))
