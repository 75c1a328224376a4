"""One helper for every layer's test: values against a reference, gradients against centred
finite differences in float64. Each failure names the layer, the array and the worst element."""

from __future__ import annotations

import numpy as np

from engine.layers import Layer


def numerical_gradient(f, a: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Centred differences ``(f(a + h) - f(a - h)) / 2h`` of a scalar ``f()`` w.r.t. each of ``a``.

    ``a`` is perturbed in place and restored.
    """
    grad = numerical_gradient_at(f, a, range(a.size), h)
    return grad.reshape(a.shape).astype(a.dtype, copy=False)


def numerical_gradient_at(f, a: np.ndarray, flat_indices, h: float = 1e-6) -> np.ndarray:
    """Centred differences of a scalar ``f()`` w.r.t. the elements ``flat_indices`` of ``a``
    only (a sample of a large weight matrix); ``a`` is perturbed in place and restored."""
    flat = a.reshape(-1)
    out = np.zeros(len(flat_indices))
    for n, i in enumerate(flat_indices):
        old = flat[i]
        flat[i] = old + h
        plus = f()
        flat[i] = old - h
        minus = f()
        flat[i] = old
        out[n] = (plus - minus) / (2 * h)
    return out


def at_kink(f, a: np.ndarray, flat_index: int, h: float = 1e-6, rtol: float = 1e-3) -> bool:
    """Whether ``f`` is not differentiable at element ``flat_index`` of ``a``: its one-sided
    differences disagree (a ReLU at 0, a max-pooling tie). A centred difference there is the
    mean of the two sides, which no backward pass returns, so tests skip such points."""
    flat = a.reshape(-1)
    old = flat[flat_index]
    mid = f()
    flat[flat_index] = old + h
    plus = f()
    flat[flat_index] = old - h
    minus = f()
    flat[flat_index] = old
    right, left = (plus - mid) / h, (mid - minus) / h
    return abs(right - left) > rtol * max(abs(right), abs(left)) + 1e-7


def assert_close(name: str, got: np.ndarray, want: np.ndarray, rtol: float, atol: float) -> None:
    assert got.shape == want.shape, f"{name}: shape {got.shape} != expected {want.shape}"
    err = np.abs(got - want)
    bound = atol + rtol * np.abs(want)
    if not (err <= bound).all():
        i = np.unravel_index(np.argmax(err - bound), err.shape)
        raise AssertionError(
            f"{name}: worst mismatch at {i}: got {got[i]!r}, expected {want[i]!r} "
            f"(|diff| {err[i]:.3g}, max abs diff {err.max():.3g})"
        )


def check_layer(
    layer: Layer,
    x,
    reference=None,
    rtol: float = 1e-5,
    atol: float = 1e-7,
    seed: int = 0,
    train: bool = False,
) -> None:
    """Check ``layer`` on input ``x`` (an array, or a tuple of arrays for a multi-input layer)
    in float64.

    - forward equals ``reference(x64, params64)`` when given (``reference(*xs, params)`` for
      several inputs);
    - every input's gradient and every ``d<param>`` equal centred finite differences of
      ``sum(forward(x) * dout)``, in evaluation mode (caches kept with ``backprop=True``) or,
      with ``train``, in training mode.
    """
    several = isinstance(x, (tuple, list))
    xs = [a.astype(np.float64) for a in (x if several else [x])]
    for store in (layer.params, layer.buffers):
        for k in store:
            store[k] = store[k].astype(np.float64)
    mode = {"train": True} if train else {"backprop": True}
    out = layer.forward(*xs, **mode)
    want_shape = layer.output_shape(*(a.shape[1:] for a in xs))
    assert out.shape == (xs[0].shape[0], *want_shape), (
        f"{layer.name}: output shape {out.shape} disagrees with output_shape()"
    )
    if reference is not None:
        assert_close(f"{layer.name} forward", out, reference(*xs, layer.params), 1e-9, 1e-9)
    dout = np.random.default_rng(seed).standard_normal(out.shape)
    dxs = layer.backward(dout)
    dxs = dxs if several else [dxs]
    grads = dict(layer.grads)

    def objective():
        return float((layer.forward(*xs, train=train) * dout).sum())

    for n, (a, dx) in enumerate(zip(xs, dxs, strict=True)):
        label = f"{layer.name} dx{n if several else ''}"
        assert_close(label, dx, numerical_gradient(objective, a), rtol, atol)
    for k, p in layer.params.items():
        assert_close(f"{layer.name} d{k}", grads[k], numerical_gradient(objective, p), rtol, atol)


def check_model(
    model, x: np.ndarray, train: bool = False, rtol: float = 1e-5, atol: float = 1e-7, seed=0
) -> None:
    """Check a whole (float64) model's backward: ``dL/dx`` and every parameter's gradient of
    ``L = sum(model.forward(x) * dout)`` against centred finite differences.

    ``train`` runs training mode (batch statistics); otherwise evaluation mode with caches
    kept (``backprop=True``), as the explanations run.
    """
    mode = {"train": True} if train else {"backprop": True}
    out = model.forward(x, **mode)
    dout = np.random.default_rng(seed).standard_normal(out.shape)
    dx = model.backward(dout, input_grad=True)
    grads = {k: g.copy() for k, g in model.grads().items()}

    def objective():
        return float((model.forward(x, train=train) * dout).sum())

    assert_close(f"{model.name} dx", dx, numerical_gradient(objective, x), rtol, atol)
    for k, p in model.params().items():
        assert_close(f"{model.name} d{k}", grads[k], numerical_gradient(objective, p), rtol, atol)
