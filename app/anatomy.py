"""The convolution anatomy behind ``/api/conv``, ``/api/pool`` and a real layer's anatomy.

Everything a request asks for is checked against the limits in ``Settings`` before any array is
built, so no request can allocate more than the limits allow; every refusal is an ``ApiError``
naming the field and the limit. The numbers themselves all come from ``engine.anatomy``.
"""

from __future__ import annotations

import math

import numpy as np

from app.errors import ApiError
from app.imaging import network_input
from app.inference import rounded
from app.settings import Settings
from engine.anatomy import (
    conv_formula,
    conv_params,
    conv_problems,
    convolve,
    dense_params,
    equation,
    pool_formula,
    pool_steps,
    steps,
    weight_matrix,
)
from engine.anatomy.windows import geometry, windows
from engine.layers.conv import group_kernel
from engine.shapes import conv_padding, output_size, pair

MAX_DEPTH = 5  # deeper nesting is reported as such, not walked


# -- reading a grid -------------------------------------------------------------------------


def grid(value, name: str, max_side: int, max_channels: int, allow_3d: bool = True) -> np.ndarray:
    """``value`` (a nested list) as a finite float64 ``(C, H, W)`` array.

    ``(H, W)`` is one channel. Sizes are checked on the lists' lengths before anything is
    converted, then every row's length, then the numbers.
    """
    shapes = "(H, W) or (C, H, W)" if allow_3d else "(H, W)"
    if not isinstance(value, list) or not value:
        raise ApiError(422, f"{name}: must be a non-empty {shapes} nested list of numbers")
    depth = _depth(value[0]) + 1
    if depth not in ((2, 3) if allow_3d else (2,)):
        raise ApiError(422, f"{name}: must be {shapes}, got {depth} levels of nesting")
    planes = value if depth == 3 else [value]
    limit = "max_conv_input_side" if name == "input" else "max_kernel_side"
    if len(planes) > max_channels:
        raise ApiError(
            413,
            f"{name}: {len(planes)} channels, more than the limit max_channels = {max_channels}",
        )
    height = width = None
    for c, plane in enumerate(planes):
        where = f"{name}[{c}]" if depth == 3 else name
        if not isinstance(plane, list) or not plane:
            raise ApiError(422, f"{where}: must be a non-empty list of rows")
        height = len(plane) if height is None else height
        if len(plane) != height:
            raise ApiError(
                422,
                f"{where}: has {len(plane)} rows but {name}[0] has {height}; channels must match",
            )
        if len(plane) > max_side:
            raise ApiError(
                413, f"{where}: height {len(plane)} is more than the limit {limit} = {max_side}"
            )
        for r, row in enumerate(plane):
            if not isinstance(row, list) or not row:
                raise ApiError(422, f"{where}[{r}]: must be a non-empty list of numbers")
            width = len(row) if width is None else width
            if len(row) > max_side:
                raise ApiError(
                    413,
                    f"{where}[{r}]: width {len(row)} is more than the limit {limit} = {max_side}",
                )
            if len(row) != width:
                first = f"{name}[0][0]" if depth == 3 else f"{name}[0]"
                raise ApiError(
                    422,
                    f"{where}[{r}]: has {len(row)} numbers but {first} has {width}; "
                    f"{name} must be rectangular (a ragged grid has no shape)",
                )
            for s, v in enumerate(row):
                if isinstance(v, bool) or not isinstance(v, (int, float)):
                    raise ApiError(422, f"{where}[{r}][{s}]: must be a number, got {_shown(v)}")
                if not math.isfinite(v):
                    raise ApiError(422, f"{where}[{r}][{s}]: must be a finite number, got {v!r}")
    return np.asarray(planes, dtype=np.float64)  # (C, H, W)


def _depth(v) -> int:
    """Nesting depth of lists along the first elements (a number is depth 0)."""
    d = 0
    while isinstance(v, list) and v and d < MAX_DEPTH:
        v, d = v[0], d + 1
    return d


def _shown(v) -> str:
    text = repr(v)
    return text if len(text) <= 40 else text[:37] + "..."


def finite(value: float, name: str) -> float:
    if not math.isfinite(value):
        raise ApiError(422, f"{name}: must be a finite number, got {value!r}")
    return float(value)


def bounded_pair(value, name: str, minimum: int, maximum: int, limit: str) -> tuple[int, int]:
    """``value`` as an ``(h, w)`` pair in ``[minimum, maximum]``, else 422 / 413."""
    try:
        p = pair(value, name, minimum)
    except ValueError as e:
        hint = ""
        if name == "stride" and _has(value, 0):
            hint = ": a stride of 0 would never move the window"
        elif name == "dilation" and _has(value, 0):
            hint = ": a dilation of 0 would collapse the kernel to one point"
        raise ApiError(422, f"{e}{hint}") from None  # the message starts with `name`
    if max(p) > maximum:
        raise ApiError(413, f"{name}: {max(p)} is more than the limit {limit} = {maximum}")
    return p


def _has(value, n: int) -> bool:
    return value == n or (isinstance(value, list) and n in value)


# -- convolution ----------------------------------------------------------------------------


def conv(body, settings: Settings) -> dict:
    """The ``/api/conv`` response for a ``ConvRequest``."""
    x = grid(body.input, "input", settings.max_conv_input_side, settings.max_channels)
    w = grid(body.kernel, "kernel", settings.max_kernel_side, settings.max_channels)
    b = finite(body.bias, "bias")
    C, H, W = x.shape
    Ck, kh, kw = w.shape
    if Ck != C:
        raise ApiError(
            422,
            f"kernel: has {Ck} channel{'s' * (Ck != 1)} but the input has {C}; a filter is "
            f"as deep as its input (kernel {Ck}×{kh}×{kw}, input {C}×{H}×{W})",
        )
    stride, padding, dilation = conv_hyper(
        H, W, (kh, kw), body.stride, body.padding, body.dilation, settings
    )
    formula = conv_formula(H, W, (kh, kw), stride, padding, dilation)
    hyper = {"stride": stride, "padding": padding, "dilation": dilation}
    H_out, W_out = out_shape(H, W, (kh, kw), stride, padding, dilation)
    check_windows(H_out, W_out, C, kh, kw, settings)
    out = convolve(x, w, b, **hyper)  # out: (H_out, W_out)
    n_terms = (1 if body.step else H_out * W_out) * C * kh * kw
    if n_terms > settings.max_conv_terms:
        raise ApiError(
            413,
            f"input/kernel: {H_out}×{W_out} outputs × {C}·{kh}·{kw} kernel weights = "
            f"{n_terms:,} terms to write out, more than the limit max_conv_terms = "
            f"{settings.max_conv_terms:,} (ask for one output's terms with `step`)",
        )
    if body.step is not None:
        i, j = body.step
        if not (0 <= i < H_out and 0 <= j < W_out):
            raise ApiError(
                422,
                f"step: {[i, j]} is outside the {H_out}×{W_out} output "
                f"(i from 0 to {H_out - 1}, j from 0 to {W_out - 1})",
            )
    matrix = None
    if body.matrix:
        wm = weight_matrix(w, b, x.shape, **hyper)
        matrix = {**wm.to_dict(), "num_structural_zeros": wm.rows * wm.cols - len(wm.entries)}
    return {
        "output": out.tolist(),
        "output_shape": [H_out, W_out],
        "formula": formula,
        "matrix": matrix,
        "steps": _steps(x, w, b, hyper, body.step),
        "input": x.tolist(),
        "kernel": w.tolist(),
        "bias": b,
        "stride": list(stride),
        "padding": list(padding),
        "dilation": list(dilation),
        "parameters": parameters(C, kh, kw, H_out * W_out, C * H * W),
    }


def out_shape(H: int, W: int, k, stride, padding, dilation) -> tuple[int, int]:
    """``(H_out, W_out)`` of checked hyperparameter pairs."""
    return (
        output_size(H, k[0], stride[0], padding[0], dilation[0]),
        output_size(W, k[1], stride[1], padding[1], dilation[1]),
    )


def check_windows(H_out: int, W_out: int, C: int, kh: int, kw: int, settings: Settings) -> None:
    """Refuse a convolution whose windows (``H_out*W_out × C*kh*kw`` positions, each an entry
    of the weight matrix) are more than ``max_weight_matrix_entries``, before any is built."""
    n = H_out * W_out * C * kh * kw
    limit = settings.max_weight_matrix_entries
    if n > limit:
        raise ApiError(
            413,
            f"input/kernel: {H_out}×{W_out} outputs × {C}·{kh}·{kw} kernel weights = {n:,} "
            f"window positions (weight-matrix entries), more than the limit "
            f"max_weight_matrix_entries = {limit:,}",
        )


def conv_hyper(H: int, W: int, k, stride, padding, dilation, settings: Settings):
    """``(stride, padding, dilation)`` pairs of a convolution with kernel ``k = (kh, kw)`` on
    an ``H × W`` input, within the limits and fitting; else ``ApiError`` saying why."""
    side = settings.max_conv_input_side
    stride = bounded_pair(stride, "stride", 1, side, "max_conv_input_side")
    dilation = bounded_pair(dilation, "dilation", 1, side, "max_conv_input_side")
    if isinstance(padding, str):
        try:
            padding = conv_padding(padding, k, dilation)
        except ValueError as e:
            raise ApiError(422, f"padding: {e}") from None
    else:
        padding = bounded_pair(padding, "padding", 0, settings.max_conv_padding, "max_conv_padding")
    problems = conv_problems(H, W, k, stride, padding, dilation)
    if problems:
        raise ApiError(422, "; ".join(problems))
    return stride, padding, dilation


def pool_hyper(H: int, W: int, kernel_size, stride, padding, global_: bool, settings: Settings):
    """``(kernel_size, stride, padding)`` pairs of pooling an ``H × W`` input (``stride=None``:
    the kernel size), within the limits and fitting; else ``ApiError`` saying why."""
    if global_:
        return (H, W), (1, 1), (0, 0)
    limit = ("max_kernel_side", settings.max_kernel_side)
    k = bounded_pair(kernel_size, "kernel_size", 1, limit[1], limit[0])
    side = settings.max_conv_input_side
    s = k if stride is None else bounded_pair(stride, "stride", 1, side, "max_conv_input_side")
    p = bounded_pair(padding, "padding", 0, limit[1], limit[0])
    if p[0] > k[0] // 2 or p[1] > k[1] // 2:
        raise ApiError(
            422,
            f"padding: {list(p)} is more than half the kernel {list(k)}; pooling padding "
            f"may be at most ⌊k/2⌋ = {[k[0] // 2, k[1] // 2]}, so no window is all padding",
        )
    problems = [q.replace(" (dilation 1)", "") for q in conv_problems(H, W, k, s, p)]
    if problems:
        raise ApiError(422, "; ".join(problems))
    return k, s, p


def sizes(settings: Settings, **sides: int) -> None:
    """Refuse a size beyond its limit (``channels``; ``height``/``width`` of the input;
    ``kernel_*``) as the grids would, before any grid is sent."""
    for name, n in sides.items():
        if name == "channels":
            limit, value = "max_channels", settings.max_channels
        elif name.startswith("kernel"):
            limit, value = "max_kernel_side", settings.max_kernel_side
        else:
            limit, value = "max_conv_input_side", settings.max_conv_input_side
        if n < 1:
            raise ApiError(422, f"{name}: must be at least 1, got {n}")
        if n > value:
            raise ApiError(413, f"{name}: {n} is more than the limit {limit} = {value}")


def arithmetic(query, settings: Settings) -> dict:
    """Whether a convolution or pooling of these sizes works: the size formula with the actual
    numbers, or every reason it cannot (the same sentences ``/api/conv`` and ``/api/pool``
    would refuse with). ``query``: an ``ArithmeticQuery``."""
    H, W = query.height, query.width
    try:
        if query.op == "conv":
            k = (query.kernel_height, query.kernel_width)
            sizes(
                settings,
                channels=query.channels,
                height=H,
                width=W,
                kernel_height=k[0],
                kernel_width=k[1],
            )
            stride = 1 if query.stride is None else query.stride
            s, p, d = conv_hyper(H, W, k, stride, query.padding, query.dilation, settings)
            formula = conv_formula(H, W, k, s, p, d)
            shape = list(out_shape(H, W, k, s, p, d))
            check_windows(*shape, query.channels, *k, settings)
        else:
            sizes(settings, height=H, width=W)
            k, s, p = pool_hyper(
                H, W, query.kernel_size, query.stride, query.padding, query.global_, settings
            )
            formula = pool_formula(H, W, k, s, p, global_=query.global_)
            shape = [output_size(H, k[0], s[0], p[0]), output_size(W, k[1], s[1], p[1])]
    except ApiError as e:
        return {"valid": False, "formula": None, "output_shape": None, "problems": [e.detail]}
    return {"valid": True, "formula": formula, "output_shape": shape, "problems": []}


def _steps(x, w, b, hyper, only) -> list[dict]:
    """Every step, or only output ``only = [i, j]``'s, each with its ``window``."""
    if only is not None:
        found = [equation(x, w, b, only[0], only[1], **hyper)]
    else:
        try:
            found = steps(x, w, b, **hyper)
        except ValueError as e:  # the engine's own cap, should the settings allow more
            raise ApiError(413, f"input/kernel: {e}") from None
    return with_windows(found, x.shape, w.shape, hyper)


def with_windows(found, x_shape, w_shape, hyper) -> list[dict]:
    """``Step`` dicts plus ``window``: ``[c, r, s]`` of every term, padded positions too
    (``r``, ``s`` outside the input there), so a page can draw the window on the padded input."""
    g = geometry(x_shape, w_shape, **hyper)
    win = windows(g)  # win.c, win.r, win.s: (P, K)
    out = []
    for step in found:
        row = step.output[0] * g.W_out + step.output[1]
        window = np.stack([win.c[row], win.r[row], win.s[row]], axis=1)  # window: (K, 3)
        out.append({**step.to_dict(), "window": window.tolist()})
    return out


def parameters(C: int, kh: int, kw: int, rows: int, cols: int) -> dict:
    """One filter's parameters against a dense layer from ``cols`` inputs to ``rows`` outputs."""
    conv, dense = conv_params(C, 1, kh, kw), dense_params(cols, rows)
    return {
        "conv": conv,
        "conv_formula": f"{C}·{kh}·{kw} weights + 1 bias = {conv:,}",
        "dense": dense,
        "dense_formula": f"{rows} outputs × ({cols} inputs + 1 bias) = {dense:,}",
    }


def params_comparison(
    channels: int, height: int, width: int, filters: int, kernel_size: int, units: int, bias: bool
) -> dict:
    """A conv layer of ``filters`` ``kernel_size²`` filters against a dense layer of ``units``
    on the same ``channels × height × width`` image."""
    n_in = channels * height * width
    conv = conv_params(channels, filters, kernel_size, kernel_size, bias)
    dense = dense_params(n_in, units, bias)
    plus = " + 1" if bias else ""
    return {
        "conv": conv,
        "conv_formula": f"{filters} filter{'s' * (filters != 1)} × "
        f"({channels}·{kernel_size}·{kernel_size}{plus}) "
        f"= {conv:,}",
        "dense": dense,
        "dense_formula": f"{units} units × ({channels}·{height}·{width}{plus}) = {dense:,}",
        "ratio": dense / conv,
    }


# -- pooling --------------------------------------------------------------------------------


def pool(body, settings: Settings) -> dict:
    """The ``/api/pool`` response for a ``PoolRequest``."""
    x = grid(
        body.input, "input", settings.max_conv_input_side, settings.max_channels, allow_3d=False
    )
    _, H, W = x.shape
    k, s, p = pool_hyper(H, W, body.kernel_size, body.stride, body.padding, body.global_, settings)
    if not body.global_:
        H_out, W_out = output_size(H, k[0], s[0], p[0]), output_size(W, k[1], s[1], p[1])
        n = H_out * W_out * k[0] * k[1]
        if n > settings.max_pool_positions:
            raise ApiError(
                413,
                f"input/kernel_size: {H_out}×{W_out} outputs × {k[0]}·{k[1]} window positions = "
                f"{n:,}, more than the limit max_pool_positions = {settings.max_pool_positions:,}",
            )
    try:
        result = pool_steps(x[0], body.mode, k, s, p, global_=body.global_)
    except ValueError as e:
        raise ApiError(422, str(e)) from None
    win = windows(geometry(x.shape, (1, *k), s, p, (1, 1)))  # win.r, win.s: (P, K)
    steps_ = [
        {**step, "padded_window": np.stack([win.r[n], win.s[n]], axis=1).tolist()}
        for n, step in enumerate(result.to_dict()["steps"])
    ]
    return {
        **result.to_dict(),
        "steps": steps_,
        "input": x[0].tolist(),
        "mode": body.mode,
        "kernel_size": list(k),
        "stride": list(s),
        "padding": list(p),
        "global": body.global_,
    }


# -- a real layer ---------------------------------------------------------------------------


def matvec(entries, kernel, bias: float, x: np.ndarray, rows: int) -> np.ndarray:
    """``M @ x.flatten() + bias`` ``(rows,)`` float64, from the sparse ``entries`` ``[row, col, k]``
    of a ``WeightMatrix`` (a row whose window is all padding is just the bias)."""
    entries = np.asarray(entries, dtype=np.int64).reshape(-1, 3)  # entries: (nnz, 3)
    row, col, k = entries.T  # each: (nnz,)
    x_flat = np.asarray(x, dtype=np.float64).reshape(-1)  # x_flat: (C*H*W,)
    products = np.asarray(kernel, dtype=np.float64)[k] * x_flat[col]  # products: (nnz,)
    return np.bincount(row, weights=products, minlength=rows) + bias  # (rows,)


def layer(ml, body, settings: Settings, matrix: dict) -> dict:
    """A conv layer of a model on a drawing: its input, one filter, the matrix, the feature map,
    and how far ``M @ x + b`` is from the feature map the explorer shows.

    ``ml``: the ``app.deps.ModelLayer`` (a conv2d); ``body``: a ``LayerAnatomyRequest``;
    ``matrix``: the layer's ``WeightMatrix`` for ``body.filter`` as ``GET .../weight-matrix``
    returns it.
    """
    model, conv_layer, f = ml.entry.model, ml.layer, body.filter
    x, image = network_input(body, model.input_shape, settings)  # x: (1, C0, H0, W0)
    x_in = model.layer_inputs(x, ml.index)[0]  # x_in: (1, C, H, W), this layer's input
    fmap = conv_layer.forward(x_in)[0, f]  # fmap: (H_out, W_out), float32 as the explorer's
    H_out, W_out = fmap.shape
    if body.output is None:
        i, j = (int(v) for v in np.unravel_index(int(np.argmax(fmap)), fmap.shape))
    else:
        i, j = body.output
        if not (0 <= i < H_out and 0 <= j < W_out):
            raise ApiError(
                422,
                f"output: {[i, j]} is outside the {H_out}×{W_out} feature map "
                f"(i from 0 to {H_out - 1}, j from 0 to {W_out - 1})",
            )
    w = group_kernel(conv_layer, f)  # w: (C, kh, kw), zero outside a grouped filter's group
    b = float(matrix["bias"])
    hyper = {
        "stride": conv_layer.stride,
        "padding": conv_layer.padding,
        "dilation": conv_layer.dilation,
    }
    _, C, H, W = x_in.shape
    predicted = matvec(matrix["entries"], matrix["kernel"], b, x_in[0], matrix["rows"])
    diff = float(np.abs(predicted - fmap.reshape(-1).astype(np.float64)).max())
    peak = float(np.abs(fmap).max())
    tolerance = 1e-4 * max(1.0, peak)
    return {
        "model_id": ml.entry.id,
        "layer": model.layer_info()[ml.index],
        "filter": f,
        "network_input": rounded(image, 4),
        "input": rounded(x_in[0]),
        "input_min": float(x_in.min()),
        "input_max": float(x_in.max()),
        "kernel": w.astype(np.float64).tolist(),
        "bias": b,
        "matrix": matrix,
        "feature_map": rounded(fmap),
        "feature_min": float(fmap.min()),
        "feature_max": float(fmap.max()),
        "formula": conv_formula(H, W, conv_layer.kernel_size, **hyper),
        "output": [i, j],
        "step": with_windows([equation(x_in[0], w, b, i, j, **hyper)], (C, H, W), w.shape, hyper)[
            0
        ],
        "max_abs_diff": diff,
        "tolerance": tolerance,
        "matches": diff <= tolerance,
    }


# -- pooling presets ------------------------------------------------------------------------

_SEED002_IMAGE = [[4, 5, 1, 2], [9, 2, 7, 2], [3, 8, 6, 1], [0, 4, 2, 5]]
_FEATURE_MAP = [
    [0.1, 0.9, 0.3, 0.0, 0.2],
    [0.5, 0.2, 0.8, 0.4, 0.1],
    [0.0, 0.6, 0.1, 0.7, 0.3],
    [0.3, 0.2, 0.9, 0.5, 0.6],
    [0.4, 0.0, 0.2, 0.8, 0.1],
]


def _pool_preset(name, description, x, mode, k=2, s=None, p=0, global_=False) -> dict:
    return {
        "name": name,
        "description": description,
        "input": [[float(v) for v in row] for row in x],
        "mode": mode,
        "kernel_size": [k, k],
        "stride": [s or k, s or k],
        "padding": [p, p],
        "global": global_,
    }


POOL_PRESETS = [
    _pool_preset(
        "seed002-max",
        "Seed 002: max pooling with a 2×2 window (stride 2) keeps the largest number of each "
        "window: 9, 7, 8 and 6.",
        _SEED002_IMAGE,
        "max",
    ),
    _pool_preset(
        "seed001-avg",
        "Seed 001: average pooling summarises each 2×2 window by its mean (padding would "
        "count as zeros).",
        [row[:4] for row in _FEATURE_MAP[:4]],
        "avg",
    ),
    _pool_preset(
        "seed001-min",
        "Seed 001: minimum pooling keeps the smallest value of each window.",
        [row[:4] for row in _FEATURE_MAP[:4]],
        "min",
    ),
    _pool_preset(
        "seed004-overlap",
        "Seed 004's N = 1 + ⌊(W − F + 2P) / S⌋ with F = 3, S = 2, P = 1: a 5×5 map pools to "
        "3×3, the windows overlap, and the padding never wins a max.",
        _FEATURE_MAP,
        "max",
        k=3,
        s=2,
        p=1,
    ),
    _pool_preset(
        "seed001-global",
        "Seed 001: global max pooling shrinks the whole map to one number (1×1), whatever "
        "its size.",
        _FEATURE_MAP,
        "max",
        k=5,
        s=1,
        global_=True,
    ),
]
