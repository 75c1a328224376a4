"""A grouped convolution's anatomy, one group at a time: ``M_g @ x_group + b_g`` is the layer's
output on that group's channels (the plain conv layer is the reference), for depthwise and
``groups = 2`` layers — built here and in the committed depthwise/grouped ONNX fixture."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from engine.anatomy import (
    GroupSpan,
    group_matrix,
    group_of,
    group_span,
    on_every_channel,
    weight_matrix,
)
from engine.layers.conv import Conv2D
from engine.onnx_import import import_onnx
from tests.onnx_fixtures import fixture_bytes, mnist_digits

RNG = np.random.default_rng(3)

# (C, F, groups, kernel, stride, padding, dilation, H, W)
LAYERS = {
    "depthwise": (4, 4, 4, 3, 2, 1, 1, 9, 8),
    "depthwise-x2": (3, 6, 3, (3, 2), 1, (1, 0), (2, 1), 7, 6),  # two filters per channel
    "groups2": (4, 6, 2, (2, 3), (2, 1), (0, 1), 1, 6, 7),
    "groups1": (2, 3, 1, 3, 1, 1, 1, 5, 5),  # one group: the whole layer
}


def layer(C, F, groups, kernel, stride, padding, dilation):
    conv = Conv2D(C, F, kernel, stride, padding, dilation, groups=groups, rng=RNG)
    conv.params["bias"] = RNG.normal(size=F).astype(np.float32)
    return conv


def output_of(conv, x) -> np.ndarray:
    """The layer itself: ``x: (C, H, W)`` → ``(F, H_out, W_out)`` float64."""
    return np.asarray(conv.forward(x[None].astype(np.float32))[0], dtype=np.float64)


def assert_block_is_the_conv(conv, x):
    want = output_of(conv, x)
    for g in range(conv.groups):
        gm = group_matrix(
            conv.params["weight"],
            conv.params["bias"],
            x.shape,
            conv.groups,
            g,
            conv.stride,
            conv.padding,
            conv.dilation,
        )
        c, f = gm.span.in_channels, gm.span.out_channels
        got = gm.matvec(x[c.start : c.stop])
        part = want[f.start : f.stop]
        scale = max(1.0, float(np.abs(part).max()))
        assert_allclose(got, part.reshape(-1), atol=1e-5 * scale, rtol=0)
        # the plain twin: the dense block times the group's input
        dense = gm.dense() @ x[c.start : c.stop].reshape(-1) + gm.row_bias()
        assert_allclose(dense, got, atol=1e-9, rtol=0)
        assert gm.shape_out == part.shape and gm.rows == part.size
        assert gm.cols == len(c) * x.shape[1] * x.shape[2]
        yield g, gm


@pytest.mark.parametrize("name", list(LAYERS))
def test_each_groups_block_times_its_input_is_the_conv_on_its_channels(name):
    C, F, groups, kernel, stride, padding, dilation, H, W = LAYERS[name]
    conv = layer(C, F, groups, kernel, stride, padding, dilation)
    x = RNG.normal(size=(C, H, W))
    blocks = list(assert_block_is_the_conv(conv, x))
    assert len(blocks) == groups
    g, gm = blocks[-1]
    # each filter's rows are that filter's own matrix on the group's channels: the same shared
    # weights (every k of the group's kernels appears) and the same structural zeros
    f = gm.span.out_channels.start
    one = weight_matrix(conv.params["weight"][f], 0.0, gm.shape_in, stride, padding, dilation)
    assert_array_equal(gm.entries[: len(one.entries)], one.entries)
    assert gm.num_structural_zeros == len(gm.span.out_channels) * one.num_structural_zeros
    assert set(gm.entries[:, 2]) == set(range(gm.kernel.size))
    assert gm.num_structural_zeros > 0  # untrainable zeros: windows are local


def test_spans_cover_every_channel_once_and_the_filter_finds_its_group():
    spans = [group_span(8, 16, 2, g) for g in range(2)]
    assert [list(s.in_channels) for s in spans] == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert [s.out_channels for s in spans] == [range(0, 8), range(8, 16)]
    assert [group_of(f, 16, 2) for f in (0, 7, 8, 15)] == [0, 0, 1, 1]
    assert group_span(8, 8, 8, 5) == GroupSpan(5, 8, range(5, 6), range(5, 6))


@pytest.mark.parametrize("bad", [-1, 2, 7])
def test_a_group_out_of_range_is_refused_naming_the_range(bad):
    with pytest.raises(ValueError, match=rf"group must be from 0 to 1 \(2 groups\), got {bad}"):
        group_span(8, 16, 2, bad)


def test_the_committed_depthwise_and_grouped_fixture_on_a_real_digit():
    """tests/fixtures/onnx/depthwise_elu.onnx: a depthwise 3×3 (groups 8) and a 1×1 conv of
    groups 2, each group checked on the layer's real input for an MNIST test digit."""
    model = import_onnx(*fixture_bytes("depthwise_elu.onnx"))
    ink, _ = mnist_digits(1)
    convs = {ly.name: i for i, ly in enumerate(model.layers) if ly.type == "conv2d"}
    for name, groups in (("depthwise", 8), ("grouped", 2)):
        i = convs[name]
        conv = model.layers[i]
        assert conv.groups == groups
        x = np.asarray(model.layer_inputs(ink, i)[0][0], dtype=np.float64)
        assert len(list(assert_block_is_the_conv(conv, x))) == groups


@pytest.mark.parametrize("name", list(LAYERS))
def test_one_filter_on_every_channel_is_the_conv_for_any_input(name):
    """api.md's invariant for a grouped layer: ``M @ x.flatten() + bias == conv(x)[f]`` for
    any ``x: (C, H, W)``; the other groups' columns hold only structural zeros."""
    C, F, groups, kernel, stride, padding, dilation, H, W = LAYERS[name]
    conv = layer(C, F, groups, kernel, stride, padding, dilation)
    x = RNG.normal(size=(C, H, W))
    want = output_of(conv, x)
    for f in range(F):
        span = group_span(C, F, groups, group_of(f, F, groups))
        c = span.in_channels
        w, b = conv.params["weight"][f], float(conv.params["bias"][f])
        wm = on_every_channel(
            weight_matrix(w, b, (len(c), H, W), stride, padding, dilation), span, C
        )
        assert wm.shape_in == (C, H, W) and wm.cols == C * H * W
        scale = max(1.0, float(np.abs(want[f]).max()))
        assert_allclose(wm.dense() @ x.reshape(-1) + b, want[f].reshape(-1), atol=1e-5 * scale)
        assert {col // (H * W) for col in wm.entries[:, 1]} == set(c)
