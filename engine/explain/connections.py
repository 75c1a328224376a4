"""What one unit reads: its connections to the layer(s) before it, with the numbers.

A *unit* is one number of a layer's output: ``(c, i, j)`` of a ``(C, H, W)`` map, or ``(k,)`` of
a vector. :func:`connections` says, for the unit and one input's forward pass, which units of
the layer's input(s) it was computed from and how:

- ``conv2d`` ``(f, i, j)``: in every input channel ``c`` the window rows
  ``i*sh - ph + a*dh`` (``a < kh``), columns ``j*sw - pw + b*dw`` (``b < kw``), the kernel slice
  ``w[f, c]`` used on it and the channel's share ``sum_ab x*w`` (a padded position reads 0);
  ``value = bias + sum_c share_c``;
- pooling ``(c, i, j)``: the window in channel ``c`` and, for max/min, the winner;
- ``relu``: the same unit before it; ``flatten`` ``(k,)``: the map unit ``(c, r, s)`` it unrolls;
- ``dense`` ``(k,)``: the ``top`` incoming weights of largest ``|w|`` with ``x`` and ``w*x``,
  and the bias; ``value = bias + sum_n w[k, n] x[n]``;
- global pooling ``(c,)``: the whole channel (and the winner); ``softmax`` ``(k,)``: the logits.

:func:`boxes` is the geometry alone: the box a spatial unit sees in every layer below it, down
to the network input (the receptive field), as :mod:`engine.explain.geometry` walks it.
"""

from __future__ import annotations

import numpy as np

from engine.explain.geometry import _check_index, _hull, _through
from engine.layers import Conv2D, Dense, _GlobalPool, _Pool2D
from engine.model import Model

DEFAULT_TOP = 12


def _unit(shape: tuple[int, ...], unit, index: int) -> tuple[int, ...]:
    """``unit`` checked against layer ``index``'s output ``shape``; errors name the bad value."""
    unit = tuple(unit)
    if len(unit) != len(shape) or not all(
        isinstance(u, (int, np.integer)) and not isinstance(u, bool) for u in unit
    ):
        raise ValueError(f"unit must be {len(shape)} integers for layer {index}'s output "
                         f"{tuple(shape)}, got {list(unit)!r}")  # fmt: skip
    for axis, (u, n) in enumerate(zip(unit, shape, strict=True)):
        if not 0 <= u < n:
            raise ValueError(
                f"unit[{axis}] = {u} is outside layer {index}'s output {tuple(shape)} "
                f"(0 to {n - 1})"
            )
    return tuple(int(u) for u in unit)


def _window(i: int, j: int, ly, H: int, W: int) -> dict:
    """Rows and columns (absolute, may lie in the padding) of output ``(i, j)``'s window."""
    (kh, kw), (sh, sw), (ph, pw) = ly.kernel_size, ly.stride, ly.padding
    dh, dw = getattr(ly, "dilation", (1, 1))
    rows = i * sh - ph + dh * np.arange(kh)  # rows: (kh,)
    cols = j * sw - pw + dw * np.arange(kw)  # cols: (kw,)
    return {"rows": rows, "cols": cols, "H": H, "W": W}


def _clipped_box(rows: np.ndarray, cols: np.ndarray, H: int, W: int) -> list[int]:
    """``[top, left, bottom, right]`` (half-open) of the window's span inside ``H × W``."""
    return [max(0, int(rows[0])), max(0, int(cols[0])),
            min(H, int(rows[-1]) + 1), min(W, int(cols[-1]) + 1)]  # fmt: skip


def _gather(plane: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """``plane: (H, W)`` at ``rows × cols`` → ``(len(rows), len(cols))``, 0 where padded."""
    H, W = plane.shape
    inside = ((rows >= 0) & (rows < H))[:, None] & ((cols >= 0) & (cols < W))[None, :]
    out = plane[np.clip(rows, 0, H - 1)][:, np.clip(cols, 0, W - 1)].astype(np.float64)
    return np.where(inside, out, 0.0)


def _conv(ly: Conv2D, x: np.ndarray, unit) -> dict:
    """x: (C, H, W), the layer's input; unit (f, i, j). With ``groups``, filter ``f`` reads
    only its group's ``C / groups`` channels."""
    f, i, j = unit
    C, H, W = x.shape
    win = _window(i, j, ly, H, W)
    w = ly.params["weight"][f].astype(np.float64)  # w: (C / groups, kh, kw)
    F = ly.params["weight"].shape[0]
    first = (f // (F // getattr(ly, "groups", 1))) * w.shape[0]  # the group's first channel
    bias = float(ly.params["bias"][f]) if "bias" in ly.params else 0.0
    channels = []
    for q in range(w.shape[0]):
        c = first + q
        xs = _gather(x[c], win["rows"], win["cols"])  # xs: (kh, kw)
        channels.append(
            {
                "channel": c,
                "box": _clipped_box(win["rows"], win["cols"], H, W),
                "x": xs.tolist(),
                "kernel": w[q].tolist(),
                "share": float((xs * w[q]).sum()),
            }
        )
    total = bias + sum(ch["share"] for ch in channels)
    return {"kind": "window", "bias": bias, "sum": total, "channels": channels}


def _pool(ly: _Pool2D, x: np.ndarray, unit) -> dict:
    c, i, j = unit
    _, H, W = x.shape
    win = _window(i, j, ly, H, W)
    xs = _gather(x[c], win["rows"], win["cols"])  # (kh, kw), 0 where padded
    rows, cols = win["rows"], win["cols"]
    valid = ((rows >= 0) & (rows < H))[:, None] & ((cols >= 0) & (cols < W))[None, :]
    winner = None
    if ly.mode in ("max", "min"):
        fill = -np.inf if ly.mode == "max" else np.inf
        pick = np.argmax if ly.mode == "max" else np.argmin
        a, b = np.unravel_index(int(pick(np.where(valid, xs, fill))), xs.shape)
        winner = [int(rows[a]), int(cols[b])]
    channel = {"channel": c, "box": _clipped_box(rows, cols, H, W), "x": xs.tolist()}
    return {"kind": "pool", "mode": ly.mode, "winner": winner, "channels": [channel]}


def _global_pool(ly: _GlobalPool, x: np.ndarray, unit) -> dict:
    (c,) = unit
    _, H, W = x.shape
    winner = None
    if ly.mode == "max":
        winner = [int(v) for v in np.unravel_index(int(np.argmax(x[c])), (H, W))]
    channel = {"channel": c, "box": [0, 0, H, W], "x": None}
    return {"kind": "pool", "mode": ly.mode, "winner": winner, "channels": [channel]}


def _dense(ly: Dense, x: np.ndarray, unit, top: int) -> dict:
    """x: (in,), unit (k,): the ``top`` weights of largest |w| into unit k."""
    (k,) = unit
    w = ly.params["weight"][k].astype(np.float64)  # w: (in,)
    xs = x.astype(np.float64)
    bias = float(ly.params["bias"][k]) if "bias" in ly.params else 0.0
    order = np.argsort(-np.abs(w), kind="stable")[:top]
    strongest = [
        {"index": int(n), "weight": float(w[n]), "x": float(xs[n]), "product": float(w[n] * xs[n])}
        for n in order
    ]
    return {
        "kind": "dense",
        "bias": bias,
        "sum": bias + float(w @ xs),
        "inputs": int(w.size),
        "positive": int((w > 0).sum()),
        "strongest": strongest,
    }


def _same(ly, out_shape: tuple, ins: list[int], xs: list[np.ndarray], unit) -> list[dict]:
    """Layers where a unit is one unit of each input: elementwise ones (the same position,
    broadcast where an input has size 1), reshapes (the same flat index), concatenation (the
    input holding it), padding (shifted, or none in the padding)."""
    if ly.type == "concat":
        axis = ly._axis(len(out_shape))
        at = unit[axis]
        for j, x in zip(ins, xs, strict=True):
            if at < x.shape[axis]:
                source = (*unit[:axis], at, *unit[axis + 1 :])
                return [{"layer": j, "kind": "same", "source": list(source), "x": float(x[source])}]
            at -= x.shape[axis]
    if ly.type == "pad":
        c, i, j = unit
        t, lf = ly.pads[0], ly.pads[1]
        x = xs[0]
        inside = 0 <= i - t < x.shape[1] and 0 <= j - lf < x.shape[2]
        source = [c, i - t, j - lf] if inside else None
        value = float(x[tuple(source)]) if inside else float(ly.value)
        return [{"layer": ins[0], "kind": "same", "source": source, "x": value}]
    reads = []
    for j, x in zip(ins, xs, strict=True):
        if (
            x.shape == out_shape
            or x.ndim == len(unit)
            and all(n in (1, m) for n, m in zip(x.shape, out_shape, strict=True))
        ):
            source = tuple(u if n > 1 else 0 for u, n in zip(unit, x.shape, strict=True))
        else:  # a reshape: the same place in row-major order
            flat = int(np.ravel_multi_index(unit, out_shape))
            source = tuple(int(v) for v in np.unravel_index(flat % x.size, x.shape))
        kind = "relu" if ly.type == "relu" else "same"
        reads.append({"layer": j, "kind": kind, "source": list(source), "x": float(x[source])})
    return reads


def connections(
    model: Model, outputs: list[np.ndarray], x: np.ndarray, index: int, unit, top=DEFAULT_TOP
) -> dict:
    """Unit ``unit`` of layer ``index`` and what it was computed from.

    ``outputs[i]``: layer ``i``'s output for one input, without the batch axis (layers up to
    ``index`` are enough); ``x: (C, H, W)``, the network input. Returns ``{"index", "unit",
    "value", "reads": [{"layer", "kind", ...}], ...}`` with one entry in ``reads`` per layer
    read (``-1`` is the network input), as above.
    """
    n = len(model.layers)
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or not 0 <= index < n:
        raise ValueError(f"index must be a layer index in 0..{n - 1}, got {index!r}")
    ly = model.layers[index]
    out = outputs[index]
    unit = _unit(out.shape, unit, index)
    ins = list(model.inputs[index])
    xs = [x if j < 0 else outputs[j] for j in ins]
    if isinstance(ly, Conv2D):
        reads = [{"layer": ins[0], **_conv(ly, xs[0], unit)}]
    elif isinstance(ly, _Pool2D):
        reads = [{"layer": ins[0], **_pool(ly, xs[0], unit)}]
    elif isinstance(ly, _GlobalPool):
        reads = [{"layer": ins[0], **_global_pool(ly, xs[0], unit)}]
    elif isinstance(ly, Dense):
        reads = [{"layer": ins[0], **_dense(ly, xs[0], unit, top)}]
    elif ly.type in ("softmax", "logsoftmax") and xs[0].ndim == 1:
        z = xs[0].astype(np.float64)
        lse = float(z.max() + np.log(np.exp(z - z.max()).sum()))
        reads = [{"layer": ins[0], "kind": "softmax", "logit": float(z[unit[0]]), "logsumexp": lse}]
    else:
        reads = _same(ly, out.shape, ins, xs, unit)
    result = {
        "index": index,
        "name": ly.name,
        "type": ly.type,
        "unit": list(unit),
        "value": float(out[unit]),
        "reads": reads,
    }
    if len(unit) == 3:
        result["receptive_field"] = boxes(model, index, unit[1], unit[2])
    return result


def boxes(model: Model, index: int, i: int, j: int) -> list[dict]:
    """The box output ``(i, j)`` of spatial layer ``index`` sees in every layer below it.

    ``[{"layer": t, "box": [top, left, bottom, right]}, ...]`` for every node ``t`` on a path
    from the input to the layer (``-1`` is the network input), deepest first, half-open and
    clipped to ``t``'s output — :mod:`engine.explain.geometry`'s walk, which takes the hull
    where paths meet (past a flatten or attention, the whole map). Empty for a bad index.
    """
    try:
        _check_index(model, index)
    except ValueError:
        return []
    pending: dict[int, tuple] = {int(index): (i, j, i, j)}  # inclusive, in t's output
    final: dict[int, tuple] = {}
    for t in range(int(index), -1, -1):  # layers are in topological order
        if t not in pending:
            continue
        box = _through(model, t, pending.pop(t))
        for m in model.inputs[t]:
            pending[m] = final[m] = _hull(pending.get(m), box)
    found = []
    for t in sorted(final, reverse=True):
        if t >= 0 and len(model.shapes[t + 1]) < 3:
            continue  # a vector on the way (a gate's pooled values): no box to show
        top, left, bottom, right = (int(v) for v in final[t])
        H, W = model.shapes[t + 1][-2:]  # (C, H, W), or more leading axes mid-shuffle
        found.append(
            {"layer": t, "box": [max(0, top), max(0, left), min(H, bottom + 1), min(W, right + 1)]}
        )
    return found
