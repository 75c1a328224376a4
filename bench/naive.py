"""The textbook CNN layers, for the benchmark's "naive loop" column.

Convolution and max pooling are CS231n's ``conv_forward_naive`` / ``conv_backward_naive`` and
``max_pool_forward_naive`` / ``max_pool_backward_naive``: a Python loop per example, per filter
(or channel) and per output position, each doing one small vectorised window product. The
dense, ReLU and loss layers are vectorised, as they are in CS231n's ``layers.py``. Nothing here
is used by the engine; ``tests/engine/test_fast_paths.py`` checks that these give the engine's
numbers, so the benchmark compares like with like. Kept apart from the engine's plain-loop
twin (``engine.ops.conv_naive.conv2d_naive``, one multiply-add per Python step) on purpose: the
column measures CS231n's vectorised-window loop, the baseline a reader knows.

Shapes::

    x: (N, C, H, W), w: (F, C, kh, kw), b: (F,) → out: (N, F, H_out, W_out)
    H_out = (H + 2*pad - kh) // stride + 1     (likewise W_out)
"""

from __future__ import annotations

import numpy as np


def conv_forward_naive(
    x: np.ndarray, w: np.ndarray, b: np.ndarray, stride: int = 1, pad: int = 0
) -> tuple[np.ndarray, tuple]:
    """x: (N, C, H, W), w: (F, C, kh, kw), b: (F,) → out: (N, F, H_out, W_out), cache."""
    N, C, H, W = x.shape
    F, _, kh, kw = w.shape
    H_out, W_out = (H + 2 * pad - kh) // stride + 1, (W + 2 * pad - kw) // stride + 1
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.zeros((N, F, H_out, W_out), dtype=x.dtype)
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    r, s = i * stride, j * stride
                    out[n, f, i, j] = np.sum(x_pad[n, :, r : r + kh, s : s + kw] * w[f]) + b[f]
    return out, (x_pad, w, stride, pad)


def conv_backward_naive(
    dout: np.ndarray, cache: tuple, need_dx: bool = True
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """dout: (N, F, H_out, W_out) → dx: (N, C, H, W) (None if not ``need_dx``, as for the
    first layer, where the engine skips it too), dw: (F, C, kh, kw), db: (F,)."""
    x_pad, w, stride, pad = cache
    N, F, H_out, W_out = dout.shape
    _, _, kh, kw = w.shape
    dx_pad, dw = np.zeros_like(x_pad), np.zeros_like(w)
    db = dout.sum(axis=(0, 2, 3))
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    r, s, g = i * stride, j * stride, dout[n, f, i, j]
                    dw[f] += x_pad[n, :, r : r + kh, s : s + kw] * g
                    if need_dx:
                        dx_pad[n, :, r : r + kh, s : s + kw] += w[f] * g
    if not need_dx:
        return None, dw, db
    H, W = x_pad.shape[2] - 2 * pad, x_pad.shape[3] - 2 * pad
    return dx_pad[:, :, pad : pad + H, pad : pad + W], dw, db


def max_pool_forward_naive(x: np.ndarray, size: int = 2, stride: int = 2) -> tuple:
    """x: (N, C, H, W) → out: (N, C, H_out, W_out), cache."""
    N, C, H, W = x.shape
    H_out, W_out = (H - size) // stride + 1, (W - size) // stride + 1
    out = np.zeros((N, C, H_out, W_out), dtype=x.dtype)
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    r, s = i * stride, j * stride
                    out[n, c, i, j] = np.max(x[n, c, r : r + size, s : s + size])
    return out, (x, size, stride)


def max_pool_backward_naive(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """dout: (N, C, H_out, W_out) → dx: (N, C, H, W); each window's first maximum wins."""
    x, size, stride = cache
    N, C, H_out, W_out = dout.shape
    dx = np.zeros_like(x)
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    r, s = i * stride, j * stride
                    window = x[n, c, r : r + size, s : s + size]
                    a, e = np.unravel_index(np.argmax(window), window.shape)
                    dx[n, c, r + a, s + e] += dout[n, c, i, j]
    return dx


def relu_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.maximum(x, 0), x


def relu_backward(dout: np.ndarray, x: np.ndarray) -> np.ndarray:
    return dout * (x > 0)


def affine_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, tuple]:
    """x: (N, ...) → (N, D_out); w: (D_out, D_in) as the engine (PyTorch's Linear) stores it."""
    return x.reshape(len(x), -1) @ w.T + b, (x, w)


def affine_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, ...]:
    x, w = cache
    return (dout @ w).reshape(x.shape), dout.T @ x.reshape(len(x), -1), dout.sum(axis=0)


def softmax_loss(logits: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy and its gradient. logits: (N, K), y: (N,) → loss, dlogits: (N, K)."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    N = len(logits)
    dlogits = np.exp(log_p)
    dlogits[np.arange(N), y] -= 1
    return float(-log_p[np.arange(N), y].mean()), dlogits / N


def softmax(logits: np.ndarray) -> np.ndarray:
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


class NaiveCNN:
    """The shipped mnist-cnn with the textbook layers, on weights named like the engine's.

    conv1 (1→16, 5×5, pad 2), relu, maxpool 2, conv2 (16→32, 5×5, pad 2), relu, maxpool 2,
    flatten, fc1 (1568→128), relu, fc2 (128→10), softmax.
    """

    def __init__(self, params: dict[str, np.ndarray]):
        self.params = params

    def forward(self, x: np.ndarray, return_all: bool = False, caches: list | None = None):
        """x: (N, 1, 28, 28) → probabilities (N, 10), or every layer's output (11 arrays)."""
        p, outs, caches = self.params, [], caches if caches is not None else []

        def keep(out_cache):
            out, cache = out_cache
            outs.append(out)
            caches.append(cache)
            return out

        h = keep(conv_forward_naive(x, p["conv1.weight"], p["conv1.bias"], 1, 2))
        h = keep(relu_forward(h))
        h = keep(max_pool_forward_naive(h))
        h = keep(conv_forward_naive(h, p["conv2.weight"], p["conv2.bias"], 1, 2))
        h = keep(relu_forward(h))
        h = keep(max_pool_forward_naive(h))
        h = keep((h.reshape(len(h), -1), h.shape))
        h = keep(affine_forward(h, p["fc1.weight"], p["fc1.bias"]))
        h = keep(relu_forward(h))
        h = keep(affine_forward(h, p["fc2.weight"], p["fc2.bias"]))
        outs.append(softmax(h))
        return outs if return_all else outs[-1]

    def train_step(self, x: np.ndarray, y: np.ndarray) -> tuple[float, dict[str, np.ndarray]]:
        """Forward to the logits, loss, backward. x: (N, 1, 28, 28), y: (N,) → loss, grads."""
        caches: list = []
        outs = self.forward(x, return_all=True, caches=caches)
        loss, d = softmax_loss(outs[-2], y)
        c = caches
        grads = {}
        d, grads["fc2.weight"], grads["fc2.bias"] = affine_backward(d, c[9])
        d = relu_backward(d, c[8])
        d, grads["fc1.weight"], grads["fc1.bias"] = affine_backward(d, c[7])
        d = d.reshape(c[6])
        d = max_pool_backward_naive(d, c[5])
        d = relu_backward(d, c[4])
        d, grads["conv2.weight"], grads["conv2.bias"] = conv_backward_naive(d, c[3])
        d = max_pool_backward_naive(d, c[2])
        d = relu_backward(d, c[1])
        _, grads["conv1.weight"], grads["conv1.bias"] = conv_backward_naive(d, c[0], False)
        return loss, grads
