"""The convolution anatomy's responses: ``/api/conv``, ``/api/pool``, the size arithmetic and
a real layer's anatomy.

Each request's sizes are checked first (``app.anatomy.limits``: the limits, before any array is
built); every number comes from ``engine.anatomy``. The presets are the engine's too
(``engine.anatomy.presets``).
"""

from __future__ import annotations

import numpy as np
from fastapi import HTTPException

from app.anatomy.limits import (
    ALL_MAPS_MAX_VALUES,
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
from app.core.imaging import model_input
from app.core.settings import Settings
from app.models.inference import rounded
from engine.anatomy import (
    conv_formula,
    conv_params,
    convolve,
    dense_params,
    equation,
    group_matrix,
    kernel_for,
    matvec,
    pool_formula,
    pool_steps,
    relation,
    steps,
    weight_matrix,
)
from engine.anatomy.windows import geometry, windows
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
        raise HTTPException(
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
    except HTTPException as e:
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
            raise HTTPException(413, f"input/kernel: {e}") from None
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
        raise HTTPException(422, str(e)) from None
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


def layer(ml, body, settings: Settings, matrix: dict) -> dict:
    """A conv layer of a model on a drawing: its input, one filter, the matrix, the feature map,
    and how far ``M @ x + b`` is from the feature map the explorer shows.

    ``ml``: the ``app.core.deps.ModelLayer`` (a conv2d); ``body``: a ``LayerAnatomyRequest``;
    ``matrix``: the layer's ``WeightMatrix`` as ``GET .../weight-matrix`` returns it (its
    ``filter`` and ``group`` resolved). A grouped conv is shown one group at a time: ``input``
    and the equation's channels are the group's (``group_in_channels``), and the whole group's
    block ``M_g @ x_g + b_g`` is checked against its output channels too.
    """
    model, conv_layer, f = ml.entry.model, ml.layer, matrix["filter"]
    x, image = model_input(body, model, settings)  # x: (1, C0, H0, W0)
    x_in = model.layer_inputs(x, ml.index)[0]  # x_in: (1, C, H, W), this layer's input
    out = conv_layer.forward(x_in)[0]  # out: (F, H_out, W_out), float32 as the explorer's
    fmap = out[f]  # fmap: (H_out, W_out)
    ins = matrix["group_in_channels"]
    x_g = x_in[0, ins[0] : ins[-1] + 1]  # x_g: (C/groups, H, W), the group's input channels
    if body.output is None:
        i, j = (int(v) for v in np.unravel_index(int(np.argmax(fmap)), fmap.shape))
    else:
        check_output(body.output, *fmap.shape)
        i, j = body.output
    w = conv_layer.params["weight"][f]  # w: (C/groups, kh, kw)
    b = float(matrix["bias"])
    hyper = {
        "stride": conv_layer.stride,
        "padding": conv_layer.padding,
        "dilation": conv_layer.dilation,
    }
    C, H, W = x_g.shape
    predicted = matvec(matrix["entries"], matrix["kernel"], b, x_g, matrix["rows"])
    step = equation(x_g, w, b, i, j, **hyper)
    return {
        "model_id": ml.entry.id,
        "layer": model.layer_info()[ml.index],
        "filter": f,
        "network_input": rounded(image, 4),
        "input": rounded(x_g),
        "input_min": float(x_g.min()),
        "input_max": float(x_g.max()),
        "kernel": w.astype(np.float64).tolist(),
        "bias": b,
        "matrix": matrix,
        "feature_map": rounded(fmap),
        "feature_min": float(fmap.min()),
        "feature_max": float(fmap.max()),
        "feature_maps": rounded(out) if out.size <= ALL_MAPS_MAX_VALUES else None,
        "formula": conv_formula(H, W, conv_layer.kernel_size, **hyper),
        "output": [i, j],
        "step": with_windows([step], (C, H, W), w.shape, hyper)[0],
        **agreement(predicted, fmap),
        **{k: matrix[k] for k in ("group", "groups", "group_in_channels", "group_out_channels")},
        "group_check": (
            _group_check(conv_layer, matrix, x_in[0], out, settings)
            if conv_layer.groups > 1
            else None
        ),
    }


def _group_check(conv_layer, matrix: dict, x_in: np.ndarray, out: np.ndarray, settings) -> dict:
    """A grouped conv's ``M_g @ x_g + b_g`` against the layer's output on all the group's
    filters, when the block is within ``max_weight_matrix_entries`` (else ``checked`` is
    false). An ordinary conv has none: its one group is the whole layer."""
    outs = matrix["group_out_channels"]
    nnz = len(matrix["entries"]) * len(outs)
    if nnz > settings.max_weight_matrix_entries:
        return {"checked": False, "filters": len(outs), "rows": matrix["rows"] * len(outs)}
    params = conv_layer.params
    gm = group_matrix(
        params["weight"],
        params.get("bias"),
        x_in.shape,
        conv_layer.groups,
        matrix["group"],
        conv_layer.stride,
        conv_layer.padding,
        conv_layer.dilation,
    )
    c = gm.span.in_channels
    want = out[outs[0] : outs[-1] + 1]
    predicted = gm.matvec(x_in[c.start : c.stop])
    return {
        "checked": True,
        "filters": len(outs),
        "rows": gm.rows,
        "cols": gm.cols,
        **agreement(predicted, want),
    }


def agreement(predicted: np.ndarray, want: np.ndarray) -> dict:
    """``max_abs_diff`` of ``M @ x + b`` (``predicted``, flat) from the layer's ``want``,
    ``tolerance`` (1e-4 relative to its largest value, at least absolute) and ``matches``."""
    diff = float(np.abs(predicted - want.reshape(-1).astype(np.float64)).max())
    tolerance = 1e-4 * max(1.0, float(np.abs(want).max()))
    return {"max_abs_diff": diff, "tolerance": tolerance, "matches": diff <= tolerance}
