"""Each fast path against its plain-loop twin, memory order, and float32 kept end to end.

The batch-last im2col convolution (whole or in blocks of output rows) and the tiled pooling
must give the loops' values and gradients — for NCHW and batch-last inputs alike, with pooling
ties, sizes that don't divide, strides, dilation, and the shipped network's own shapes.
"""

import platform

import numpy as np
import pytest

from bench.naive import NaiveCNN
from engine import architectures, memory
from engine import layers as L
from engine.model import Model
from engine.ops import conv, conv_naive, im2col, pool, pool_tiled
from engine.optim import SGD, Adam
from tests.engine.gradcheck import assert_close, check_layer

rng = np.random.default_rng(99)


def batch_last(x: np.ndarray) -> np.ndarray:
    """The same (N, C, H, W) values, stored as (C, H, W, N) memory, as the engine makes them."""
    return np.ascontiguousarray(x.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)


def is_batch_last(a: np.ndarray) -> bool:
    """Whether a's memory runs (C, H, W, N) — batch index fastest — rather than NCHW."""
    return a.shape[0] > 1 and a.strides[0] == a.itemsize


CONV_CASES = [
    # (N, C, H, W), F, kernel, stride, padding, dilation
    ((2, 1, 7, 7), 3, (5, 5), (1, 1), (2, 2), (1, 1)),  # the shipped conv1, small
    ((3, 3, 6, 6), 4, (5, 5), (1, 1), (2, 2), (1, 1)),  # the shipped conv2, small
    ((1, 2, 6, 9), 2, (3, 2), (1, 1), (0, 1), (1, 1)),
    ((2, 2, 9, 8), 3, (3, 3), (1, 1), (1, 2), (2, 1)),
    ((2, 2, 9, 8), 3, (3, 3), (2, 2), (1, 1), (1, 1)),
    ((2, 2, 9, 10), 2, (3, 2), (2, 1), (0, 2), (2, 1)),
    ((1, 1, 4, 5), 2, (4, 5), (1, 1), (0, 0), (1, 1)),  # a kernel as big as the input
    ((3, 4, 5, 6), 3, (1, 1), (1, 1), (0, 0), (1, 1)),  # pointwise: no gather, x is the matrix
    ((2, 3, 5, 6), 2, (1, 1), (2, 2), (0, 0), (1, 1)),  # 1×1 at stride 2: gathered
]


def _conv_against_the_loops(shape, F, k, s, p, d, order, forward, backward):
    x, w, b = rng.standard_normal(shape), rng.standard_normal((F, shape[1], *k)), rng.random(F)
    out, cache = forward(batch_last(x) if order == "batch-last" else x, w, b, s, p, d)
    assert is_batch_last(out) == (shape[0] > 1)
    assert_close("forward", out, conv_naive.conv2d_naive(x, w, b, s, p, d), 1e-10, 1e-10)
    dout = rng.standard_normal(out.shape)
    dx, dw, db = backward(batch_last(dout) if order == "batch-last" else dout, cache)
    want = conv_naive.conv2d_backward_naive(x, w, dout, s, p, d)
    for name, got, ref in zip(("dx", "dw", "db"), (dx, dw, db), want, strict=True):
        assert_close(name, got, ref, 1e-10, 1e-10)


@pytest.mark.parametrize("order", ["nchw", "batch-last"])
@pytest.mark.parametrize("shape, F, k, s, p, d", CONV_CASES)
def test_conv_matches_the_loops(order, shape, F, k, s, p, d):
    _conv_against_the_loops(shape, F, k, s, p, d, order, conv.conv2d_forward, conv.conv2d_backward)


@pytest.mark.parametrize("budget", [1, 300])
@pytest.mark.parametrize("shape, F, k, s, p, d", CONV_CASES)
def test_conv_in_blocks_of_rows_matches_the_loops(budget, shape, F, k, s, p, d):
    """Blocks of one output row (budget 1 byte) and of a few rows, the last one shorter: the
    same values and gradients as the loops, the blocks' column gradients overlapping in dx."""
    forward = lambda x, w, b, *hyper: im2col.conv_forward(x, w, b, hyper, budget=budget)
    backward = lambda dout, cache: im2col.conv_backward(dout, cache, True, budget=budget)
    _conv_against_the_loops(shape, F, k, s, p, d, "batch-last", forward, backward)


@pytest.mark.parametrize("budget", [None, 300])
@pytest.mark.parametrize("shape, F, k, s, p, d", CONV_CASES)
def test_conv_with_the_product_turned_matches_the_loops(budget, shape, F, k, s, p, d, monkeypatch):
    """Every case through ``cols.T @ w.T`` turned back into batch-last rows (the thresholds
    that pick it for few filters over long patches set so that every block takes it)."""
    monkeypatch.setattr(im2col, "TURN_MIN_K", 0)
    monkeypatch.setattr(im2col, "TURN_MIN_COLUMNS", 0)
    forward = lambda x, w, b, *hyper: im2col.conv_forward(x, w, b, hyper, budget=budget)
    backward = lambda dout, cache: im2col.conv_backward(dout, cache, True, budget=budget)
    _conv_against_the_loops(shape, F, k, s, p, d, "batch-last", forward, backward)


@pytest.mark.parametrize("in_product", [False, True])
@pytest.mark.parametrize("budget", [None, 300])
@pytest.mark.parametrize("shape, F, k, s, p, d", CONV_CASES)
def test_conv_with_the_bias_in_the_product_matches_the_loops(
    in_product, budget, shape, F, k, s, p, d, monkeypatch
):
    """The bias as a column of weights against a row of ones below the patches (gathered, or
    the input copied for a 1×1 kernel), and as a pass over the output: both the loops' values,
    whole and in blocks of rows."""
    monkeypatch.setattr(im2col, "_bias_in_product", lambda *args: in_product)
    forward = lambda x, w, b, *hyper: im2col.conv_forward(x, w, b, hyper, budget=budget)
    backward = lambda dout, cache: im2col.conv_backward(dout, cache, True, budget=budget)
    _conv_against_the_loops(shape, F, k, s, p, d, "batch-last", forward, backward)


def test_the_bias_goes_into_the_product_where_that_is_the_cheaper_pass():
    pick = im2col._bias_in_product
    assert pick(np.zeros((96, 16)), 96 * 12544, pointwise=True)  # an expansion: input is small
    assert not pick(np.zeros((24, 144)), 24 * 3136, pointwise=True)  # a projection
    assert pick(np.zeros((64, 576)), 64 * 3136, pointwise=False)  # weights below the output
    assert not pick(np.zeros((512, 4608)), 512 * 49, pointwise=False)  # weights above it


def test_the_shipped_conv2_takes_the_turned_product(monkeypatch):
    """MNIST conv2's shape (32 filters × 400) at 64 examples takes the turned product, and its
    output equals the product in the plain order's (float32 both ways)."""
    x = rng.standard_normal((64, 16, 14, 14)).astype(np.float32)
    w, b = rng.standard_normal((32, 16, 5, 5)).astype(np.float32), np.zeros(32, np.float32)
    turned = []
    real = np.matmul
    monkeypatch.setattr(
        im2col.np, "matmul", lambda a, c, **kw: turned.append(a.shape) or real(a, c, **kw)
    )
    out, _ = im2col.conv_forward(batch_last(x), w, b, ((1, 1), (2, 2), (1, 1)))
    assert turned and all(
        shape[1] == 400 and shape[0] >= im2col.TURN_MIN_COLUMNS for shape in turned
    )
    monkeypatch.setattr(im2col.np, "matmul", real)
    monkeypatch.setattr(im2col, "TURN_MAX_F", 0)
    plain, _ = im2col.conv_forward(batch_last(x), w, b, ((1, 1), (2, 2), (1, 1)))
    np.testing.assert_allclose(out, plain, rtol=1e-5, atol=1e-4)


def test_row_blocks_cover_every_output_row_once():
    assert im2col.row_blocks(7, 100, 250) == [slice(0, 2), slice(2, 4), slice(4, 6), slice(6, 7)]
    assert im2col.row_blocks(3, 100, 10) == [slice(0, 1), slice(1, 2), slice(2, 3)]
    assert im2col.row_blocks(3, 100, 10**9) == [slice(0, 3)]


def test_conv_layer_gradients():
    layer = L.Conv2D(3, 4, 5, padding=2, rng=rng)
    layer.params["bias"] = rng.standard_normal(4)
    check_layer(layer, rng.standard_normal((2, 3, 6, 6)))


def test_conv_layer_gradients_in_one_row_blocks(monkeypatch):
    """Centred differences in float64 through the blocked path, one output row per block."""
    monkeypatch.setattr(im2col, "BLOCK_BYTES", 1)
    layer = L.Conv2D(2, 3, 3, padding=1, stride=(2, 1), rng=rng)
    layer.params["bias"] = rng.standard_normal(3)
    check_layer(layer, rng.standard_normal((2, 2, 6, 5)))


def test_conv_first_layer_skips_dx_and_stays_float32():
    x = rng.random((3, 1, 28, 28), dtype=np.float32)
    w = rng.standard_normal((16, 1, 5, 5)).astype(np.float32)
    out, cache = conv.conv2d_forward(x, w, np.zeros(16, np.float32), (1, 1), (2, 2))
    dx, dw, db = conv.conv2d_backward(np.ones_like(out), cache, need_dx=False)
    assert dx is None and out.dtype == dw.dtype == db.dtype == np.float32


def test_conv_layer_reuses_its_padded_input_and_spends_its_cache():
    layer = L.Conv2D(2, 3, 3, padding=1, rng=rng)
    x, w = rng.standard_normal((4, 2, 6, 6)), layer.params["weight"]
    out = layer.forward(x, train=True)
    x_pad = layer.cache.x_pad
    layer.backward(np.ones_like(out))
    with pytest.raises(RuntimeError, match="backward called without a forward"):
        layer.backward(np.ones_like(out))  # spent: its padded input is the next forward's
    x2 = rng.standard_normal((4, 2, 6, 6))
    out2 = layer.forward(x2, train=True)
    assert layer.cache.x_pad is x_pad  # refilled (its border zeroed again), not reallocated
    dout = rng.standard_normal(out2.shape)
    dx = layer.backward(dout)
    want = conv_naive.conv2d_backward_naive(x2, w, dout, (1, 1), (1, 1))
    assert_close("dx", dx, want[0], 1e-5, 1e-5)
    assert_close("dw", layer.grads["weight"], want[1], 1e-5, 1e-5)


def test_conv_layer_with_a_smaller_last_batch_leaves_its_spare_alone():
    """A spare padded input of another shape (the epoch's short last batch) is not used."""
    layer = L.Conv2D(2, 3, 3, padding=1, rng=rng)
    out = layer.forward(rng.standard_normal((4, 2, 5, 5)), train=True)
    layer.backward(np.ones_like(out))
    x = rng.standard_normal((3, 2, 5, 5))
    got = layer.forward(x, train=True)
    assert_close(
        "forward",
        got,
        conv_naive.conv2d_naive(x, layer.params["weight"], None, (1, 1), (1, 1))
        + layer.params["bias"][:, None, None],
        1e-5,
        1e-5,
    )


def test_pointwise_conv_layer_never_writes_into_its_input():
    """A 1×1 layer's patch matrix is its input's memory: it must not become the spare the next
    forward writes its padded input into."""
    layer = L.Conv2D(3, 2, 1, rng=rng)
    x1 = batch_last(rng.standard_normal((4, 3, 5, 5)))
    keep = x1.copy()
    out = layer.forward(x1, train=True)
    layer.backward(np.ones_like(out))
    layer.forward(batch_last(rng.standard_normal((4, 3, 5, 5))), train=True)
    np.testing.assert_array_equal(x1, keep)


POOL_CASES = [
    # (N, C, H, W), kernel — stride = kernel, no padding: the tiled path
    ((2, 3, 8, 8), (2, 2)),
    ((2, 2, 7, 9), (2, 2)),  # odd sizes: the last row/column belong to no window
    ((1, 2, 9, 9), (3, 3)),
    ((2, 1, 6, 8), (2, 4)),
]


def _with_ties(shape):
    """Values from a few levels, so many windows hold several equal maxima (and minima)."""
    x = rng.integers(0, 3, shape).astype(np.float64)
    x[0, 0] = 0.0  # a channel of all zeros, like a dead ReLU
    return x


@pytest.mark.parametrize("mode", ["max", "min", "avg"])
@pytest.mark.parametrize("shape, k", POOL_CASES)
@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("order", ["nchw", "batch-last"])
def test_tiled_pool_matches_the_loops(mode, shape, k, ties, order):
    x = _with_ties(shape) if ties else rng.standard_normal(shape)
    assert pool_tiled.tiled_pool_fits(k, k, (0, 0))
    x_in = batch_last(x) if order == "batch-last" else x
    assert pool_tiled.runs_of_n(x_in) == (order == "batch-last" and shape[0] > 1)  # the window view
    out, cache = pool.pool2d_forward(x_in, mode, k, k)
    assert cache[0] == "tiled" and is_batch_last(out) == (order == "batch-last" and shape[0] > 1)
    assert_close("forward", out, pool.pool2d_naive(x, mode, k, k), 1e-12, 1e-12)
    dout = rng.standard_normal(out.shape)
    dx = pool.pool2d_backward(batch_last(dout) if order == "batch-last" else dout, cache)
    assert is_batch_last(dx) == (order == "batch-last" and shape[0] > 1)
    assert_close("dx", dx, pool.pool2d_backward_naive(x, dout, mode, k, k), 1e-12, 1e-12)


@pytest.mark.parametrize("order", ["nchw", "batch-last"])
@pytest.mark.parametrize("mode", ["max", "min", "avg"])
@pytest.mark.parametrize(
    "k, s, p, ceil",
    [
        ((3, 3), (2, 2), (1, 1), False),
        ((3, 2), (2, 1), (1, 0), True),
        ((3, 3), (1, 1), (1, 1), False),  # stride 1: no phases
        ((5, 4), (2, 3), (2, 2), True),  # three column phases, a ceil-mode overhang
        ((2, 3), (3, 2), (0, 1), False),  # stride past the kernel: rows the windows skip
        ((1, 3), (2, 1), (0, 1), False),  # one tap down each column
        ((2, 2), (1, 1), (1, 1), True),  # even kernel, padded: no tap reaches every output
    ],
)
@pytest.mark.parametrize("shape", [(2, 2, 7, 6), (1, 3, 11, 13), (3, 2, 2, 9)])
def test_overlapping_pool_matches_the_loops_with_ties(mode, k, s, p, ceil, order, shape):
    """Max/min separably on the unpadded input (each tap over the outputs it reaches; a map
    shorter than the kernel leaves fewer than two taps reaching every output) and average over
    gathered windows, against the loops, values and gradients."""
    x = _with_ties(shape)
    x_in = batch_last(x) if order == "batch-last" else x
    out, cache = pool.pool2d_forward(x_in, mode, k, s, p, ceil)
    assert cache[0] == ("windows" if mode == "avg" else "strided")
    assert_close("out", out, pool.pool2d_naive(x, mode, k, s, p, ceil), 1e-12, 1e-12)
    dout = rng.standard_normal(out.shape)
    dx = pool.pool2d_backward(dout, cache)
    want = pool.pool2d_backward_naive(x, dout, mode, k, s, p, ceil)
    assert_close("dx", dx, want, 1e-12, 1e-12)


@pytest.mark.parametrize("cls", [L.MaxPool2D, L.MinPool2D, L.AvgPool2D])
def test_tiled_pool_layer_gradients(cls):
    check_layer(cls(2), rng.standard_normal((2, 3, 6, 7)))


def test_pool_keeps_float32():
    x = rng.random((2, 3, 8, 8), dtype=np.float32)
    for mode in ("max", "avg"):
        out, cache = pool.pool2d_forward(x, mode, (2, 2), (2, 2))
        dx = pool.pool2d_backward(np.ones_like(out), cache)
        assert out.dtype == dx.dtype == np.float32


def _shipped(seed=0):
    spec = architectures.load_spec("mnist-cnn")
    return Model.from_spec(spec["layers"], input_shape=tuple(spec["input_shape"]), seed=seed)


def test_train_step_and_optimisers_stay_float32():
    model = _shipped()
    x = rng.random((4, 1, 28, 28), dtype=np.float32)
    y = np.array([0, 3, 7, 9])
    outs = model.forward(x, return_all=True)
    assert [o.dtype for o in outs] == [np.float32] * len(outs)
    for opt in (Adam(model.params(), weight_decay=1e-4), SGD(model.params(), weight_decay=1e-4)):
        loss, logits = model.train_step(x, y)
        assert isinstance(loss, float) and logits.dtype == np.float32
        assert all(g.dtype == np.float32 for g in model.grads().values())
        opt.step(model.grads())
        assert all(p.dtype == np.float32 for p in model.params().values())
        state = getattr(opt, "m", getattr(opt, "velocity", {}))
        assert all(s.dtype == np.float32 for s in state.values())


def test_adam_float32_step_matches_a_float64_reference():
    p = {"w": rng.standard_normal(50).astype(np.float32)}
    start = p["w"].astype(np.float64)
    opt = Adam(p, lr=1e-2, betas=(np.float64(0.9), 0.999))  # a NumPy scalar must not upcast
    m = v = np.zeros(50)
    for t in range(1, 4):
        g = rng.standard_normal(50).astype(np.float32)
        opt.step({"w": g})
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g.astype(np.float64) ** 2
        start = start - 1e-2 * np.sqrt(1 - 0.999**t) / (1 - 0.9**t) * m / (np.sqrt(v) + 1e-8)
    assert p["w"].dtype == np.float32
    assert_close("adam", p["w"].astype(np.float64), start, 1e-5, 1e-6)


def test_the_benchmarks_naive_loops_compute_what_the_engine_does():
    """bench/naive.py is the "naive" column of the benchmark: same outputs, same gradients."""
    model = _shipped(seed=1)
    x, y = rng.random((2, 1, 28, 28), dtype=np.float32), np.array([4, 1])
    naive = NaiveCNN({k: v.copy() for k, v in model.params().items()})
    got, want = naive.forward(x, return_all=True), model.forward(x, return_all=True)
    for i, (a, b) in enumerate(zip(got, want, strict=True)):
        assert_close(f"activation {i}", a, b, 1e-4, 1e-5)
    loss, grads = naive.train_step(x, y)
    want_loss, _ = model.train_step(x, y)
    assert loss == pytest.approx(want_loss, rel=1e-5)
    for k, g in model.grads().items():
        assert_close(k, grads[k], g, 1e-3, 1e-5)


def test_training_keeps_freed_memory_on_glibc():
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        pytest.skip("mallopt is glibc's")
    assert memory.keep_freed_memory() and memory.keep_freed_memory()  # once, then remembered


def test_an_inference_forward_keeps_freed_memory_too(monkeypatch):
    """Not only training: a forward alone (the explorer's server never trains some models)."""
    import engine.model

    calls = []
    monkeypatch.setattr(engine.model, "keep_freed_memory", lambda: calls.append(1) or True)
    model = _shipped(seed=1)
    model.forward(rng.random((1, 1, 28, 28), dtype=np.float32))
    assert calls
