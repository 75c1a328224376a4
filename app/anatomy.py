"""The convolution anatomy's responses: ``/api/conv``, ``/api/pool``, the size arithmetic and
a real layer's anatomy.

Each request's sizes are checked first (``app.anatomy_limits``: the limits, before any array is
built); every number comes from ``engine.anatomy``. The presets are the engine's too
(``engine.anatomy.presets``).
"""

from __future__ import annotations

import numpy as np

from app.anatomy_limits import (
    check_output,
    check_pool_positions,
    check_terms,
    check_windows,
    conv_hyper,
    finite,
    grid,
    pool_hyper,
    sizes,
)
from app.errors import ApiError
from app.imaging import model_input
from app.inference import rounded
from app.settings import Settings
from engine.anatomy import (
    conv_formula,
    conv_params,
    convolve,
    dense_params,
    equation,
    kernel_for,
    matvec,
    pool_formula,
    pool_steps,
    relation,
    steps,
    weight_matrix,
)
from engine.anatomy.windows import geometry, windows
from engine.layers import Conv2D
from engine.layers.conv import group_kernel
from engine.shapes import output_shape

# -- convolution ----------------------------------------------------------------------------


def conv(body, settings: Settings) -> dict:
    """The ``/api/conv`` response for a ``ConvRequest``.

    ``mode="convolution"`` slides the kernel flipped in both spatial axes (the mathematical
    convolution); every view (output, steps, matrix) is then of that flipped kernel, which the
    response carries as ``flipped_kernel``.
    """
    x = grid(body.input, "input", settings.max_conv_input_side, settings.max_channels)
    kernel = grid(body.kernel, "kernel", settings.max_kernel_side, settings.max_channels)
    b = finite(body.bias, "bias")
    C, H, W = x.shape
    Ck, kh, kw = kernel.shape
    if Ck != C:
        raise ApiError(
            422,
            f"kernel: has {Ck} channel{'s' * (Ck != 1)} but the input has {C}; a filter is "
            f"as deep as its input (kernel {Ck}×{kh}×{kw}, input {C}×{H}×{W})",
        )
    stride, padding, dilation = conv_hyper(
        H, W, (kh, kw), body.stride, body.padding, body.dilation, settings
    )
    hyper = {"stride": stride, "padding": padding, "dilation": dilation}
    H_out, W_out = output_shape((H, W), (kh, kw), stride, padding, dilation)
    check_windows(H_out, W_out, C, kh, kw, settings)
    check_terms(H_out, W_out, C, kh, kw, body.step, settings)
    w = kernel_for(kernel, body.mode)  # w: (C, kh, kw), what the window multiplies by
    out = convolve(x, w, b, **hyper)  # out: (H_out, W_out)
    matrix = weight_matrix(w, b, x.shape, **hyper).to_dict() if body.matrix else None
    return {
        "output": out.tolist(),
        "output_shape": [H_out, W_out],
        "formula": conv_formula(H, W, (kh, kw), stride, padding, dilation),
        "matrix": matrix,
        "steps": _steps(x, w, b, hyper, body.step),
        "input": x.tolist(),
        "kernel": kernel.tolist(),
        "bias": b,
        "stride": list(stride),
        "padding": list(padding),
        "dilation": list(dilation),
        "parameters": parameters(C, kh, kw, H_out * W_out, C * H * W),
        "mode": body.mode,
        "flipped_kernel": w.tolist() if body.mode == "convolution" else None,
        "relation": relation((kh, kw), stride),
    }


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
            shape = list(output_shape((H, W), k, s, p, d))
            check_windows(*shape, query.channels, *k, settings)
        else:
            sizes(settings, height=H, width=W)
            k, s, p = pool_hyper(
                H, W, query.kernel_size, query.stride, query.padding, query.global_, settings
            )
            formula = pool_formula(H, W, k, s, p, global_=query.global_)
            shape = list(output_shape((H, W), k, s, p))
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
    conv_, dense = conv_params(C, 1, kh, kw), dense_params(cols, rows)
    return {
        "conv": conv_,
        "conv_formula": f"{C}·{kh}·{kw} weights + 1 bias = {conv_:,}",
        "dense": dense,
        "dense_formula": f"{rows} outputs × ({cols} inputs + 1 bias) = {dense:,}",
    }


def params_comparison(
    channels: int, height: int, width: int, filters: int, kernel_size: int, units: int, bias: bool
) -> dict:
    """A conv layer of ``filters`` ``kernel_size²`` filters against a dense layer of ``units``
    on the same ``channels × height × width`` image."""
    n_in = channels * height * width
    conv_ = conv_params(channels, filters, kernel_size, kernel_size, bias)
    dense = dense_params(n_in, units, bias)
    plus = " + 1" if bias else ""
    return {
        "conv": conv_,
        "conv_formula": f"{filters} filter{'s' * (filters != 1)} × "
        f"({channels}·{kernel_size}·{kernel_size}{plus}) "
        f"= {conv_:,}",
        "dense": dense,
        "dense_formula": f"{units} units × ({channels}·{height}·{width}{plus}) = {dense:,}",
        "ratio": dense / conv_,
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
        check_pool_positions(*output_shape((H, W), k, s, p), k, settings)
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


def layer_weight_matrix(ml, settings: Settings, f: int, height: int | None, width: int | None):
    """The engine's ``WeightMatrix`` for filter ``f`` of a conv layer, within the limits."""
    layer = ml.layer
    if not isinstance(layer, Conv2D):
        convs = [
            f"{i} ({ly.name})" for i, ly in enumerate(ml.entry.model.layers) if ly.type == "conv2d"
        ]
        raise ApiError(
            404,
            f"index: {ml.describe()} is not a conv2d layer, so it has no weight matrix "
            f"(conv2d layers in {ml.entry.id!r}: {', '.join(convs) or 'none'})",
        )
    if f >= layer.out_channels:
        raise ApiError(
            422, f"filter: {ml.describe()} has filters 0 to {layer.out_channels - 1}, got {f}"
        )
    C, H, W = ml.input_shape
    H, W = height or H, width or W
    limit = settings.max_conv_input_side
    for name, n in (("input_height", H), ("input_width", W)):
        if n > limit:
            raise ApiError(422, f"{name}: {n} is more than the limit max_conv_input_side = {limit}")
    try:
        H_out, W_out = output_shape(
            (H, W), layer.kernel_size, layer.stride, layer.padding, layer.dilation
        )
    except ValueError as e:
        raise ApiError(422, f"input_height/input_width: {H}×{W} is too small: {e}") from None
    rows, cols = H_out * W_out, C * H * W
    if rows * cols > settings.max_weight_matrix_cells:
        raise ApiError(
            422,
            f"input_height/input_width: the matrix would be {rows}×{cols} = {rows * cols:,} cells, "
            f"more than the limit max_weight_matrix_cells = {settings.max_weight_matrix_cells:,}",
        )
    kh, kw = layer.kernel_size
    if rows * C * kh * kw > settings.max_weight_matrix_entries:
        raise ApiError(
            422,
            f"input_height/input_width: the matrix would have up to {rows * C * kh * kw:,} "
            f"non-zeros, more than the limit max_weight_matrix_entries = "
            f"{settings.max_weight_matrix_entries:,}",
        )
    w = group_kernel(layer, f)  # w: (C, kh, kw)
    b = float(layer.params["bias"][f]) if "bias" in layer.params else 0.0
    return weight_matrix(w, b, (C, H, W), layer.stride, layer.padding, layer.dilation)


def weight_matrix_body(
    ml, settings: Settings, f: int, height: int | None = None, width: int | None = None
) -> dict:
    """The ``weight-matrix`` response (``WeightMatrix``): filter ``f`` of the conv layer ``ml``
    as a sparse matrix, with the layer's hyperparameters."""
    layer = ml.layer
    return {
        **layer_weight_matrix(ml, settings, f, height, width).to_dict(),
        "layer": ml.index,
        "filter": f,
        "kernel_shape": [layer.in_channels, *layer.kernel_size],
        "stride": list(layer.stride),
        "padding": list(layer.padding),
        "dilation": list(layer.dilation),
    }


def layer(ml, body, settings: Settings, matrix: dict) -> dict:
    """A conv layer of a model on a drawing: its input, one filter, the matrix, the feature map,
    and how far ``M @ x + b`` is from the feature map the explorer shows.

    ``ml``: the ``app.deps.ModelLayer`` (a conv2d); ``body``: a ``LayerAnatomyRequest``;
    ``matrix``: the layer's ``WeightMatrix`` for ``body.filter`` as ``GET .../weight-matrix``
    returns it.
    """
    model, conv_layer, f = ml.entry.model, ml.layer, body.filter
    x, image = model_input(body, model, settings)  # x: (1, C0, H0, W0)
    x_in = model.layer_inputs(x, ml.index)[0]  # x_in: (1, C, H, W), this layer's input
    fmap = conv_layer.forward(x_in)[0, f]  # fmap: (H_out, W_out), float32 as the explorer's
    if body.output is None:
        i, j = (int(v) for v in np.unravel_index(int(np.argmax(fmap)), fmap.shape))
    else:
        check_output(body.output, *fmap.shape)
        i, j = body.output
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
    tolerance = 1e-4 * max(1.0, float(np.abs(fmap).max()))
    step = equation(x_in[0], w, b, i, j, **hyper)
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
        "step": with_windows([step], (C, H, W), w.shape, hyper)[0],
        "max_abs_diff": diff,
        "tolerance": tolerance,
        "matches": diff <= tolerance,
    }
