"""Translation: move (and scale and rotate) the network input, and measure how each layer
follows.

The key insight of Mukul Rathi's text: the position of the object should not matter. Shared
weights make a conv layer *equivariant* — its maps move with the input — and pooling adds a
little *invariance*: a map that has been pooled moves by fewer of its own pixels, and the
network's answer hardly changes. A dense layer on raw pixels has neither.

For each layer with maps, :func:`follow` compares the maps of the moved input with the
original maps moved by the same transform, scaled to the map's grid (a 1-pixel shift of the
input is ½ a pixel of a map pooled 2×2): their correlation near 1 is equivariance. It also
reports how much each layer's output changed at all (0 = invariant).
"""

from __future__ import annotations

import numpy as np

from engine.augment import warp_affine

MAX_SHIFT = 14.0  # pixels, either way: past that a 28×28 digit has left the image


def affine(dx: float, dy: float, scale: float = 1.0, angle: float = 0.0, factor=(1.0, 1.0)):
    """``(M: (2, 2), t: (2,))`` of ``engine.augment.warp_affine`` in ``(row, col)`` pixels: a
    rotation by ``angle`` degrees (counter-clockwise on screen) and ``scale`` about the centre,
    then a move by ``dx`` columns right and ``dy`` rows down, on a grid ``factor`` times
    coarser than the input's (``(2, 2)`` after a 2×2 pooling)."""
    theta = np.deg2rad(angle)
    cos, sin = np.cos(theta), np.sin(theta)
    M = scale * np.array([[cos, -sin], [sin, cos]])
    t = np.array([dy / factor[0], dx / factor[1]])
    return M, t


def transform(
    x: np.ndarray, dx: float, dy: float, scale: float = 1.0, angle: float = 0.0, factor=(1.0, 1.0)
) -> np.ndarray:
    """``x: (C, H, W)`` (or ``(H, W)``) moved, scaled and rotated; zero where nothing maps."""
    x = np.asarray(x, dtype=np.float32)
    planes = x[None] if x.ndim == 2 else x  # (C, H, W)
    M, t = affine(dx, dy, scale, angle, factor)
    C = planes.shape[0]
    out = warp_affine(planes[:, None], np.repeat(M[None], C, 0), np.repeat(t[None], C, 0))
    return out[:, 0] if x.ndim == 3 else out[0, 0]  # (C, H, W) or (H, W)


def correlation(a: np.ndarray, b: np.ndarray) -> float | None:
    """Pearson correlation of two arrays of one shape; None when either is constant."""
    a, b = a.reshape(-1).astype(np.float64), b.reshape(-1).astype(np.float64)
    a, b = a - a.mean(), b - b.mean()
    denominator = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum() / denominator) if denominator > 1e-12 else None


def follow(
    model, image: np.ndarray, dx: float, dy: float, scale: float = 1.0, angle: float = 0.0
) -> dict:
    """The model on ``image: (H, W)`` moved by ``(dx, dy, scale, angle)``, layer by layer.

    Returns ``{"input": moved image (H, W), "outputs": [each layer's output for it, no batch
    axis], "original": [for the image as it is], "layers": [...]}``; each ``layers`` entry has
    ``index``, ``factor`` (input side / map side, None for vectors), ``shift_in_map``
    (``[dy, dx]`` in the map's pixels), ``equivariance`` (correlation of the moved input's maps
    with the original maps moved likewise, where the move has data; None for vectors) and
    ``change`` (``‖after − before‖ / ‖before‖``).
    """
    C, H, W = model.input_shape
    image = np.asarray(image, dtype=np.float32)
    moved = transform(image, dx, dy, scale, angle)
    x = np.broadcast_to(np.stack([image, moved])[:, None], (2, C, H, W)).astype(np.float32)
    outs = model.forward(x, return_all=True)  # outs[i]: (2, *shape_i)
    layers = []
    for i, out in enumerate(outs):
        before, after = out[0], out[1]
        norm = float(np.linalg.norm(before))
        entry = {
            "index": i,
            "factor": None,
            "shift_in_map": None,
            "equivariance": None,
            "change": float(np.linalg.norm(after - before)) / norm if norm > 0 else None,
            "expected": None,
        }
        if before.ndim == 3:
            factor = (H / before.shape[1], W / before.shape[2])
            expected = transform(before, dx, dy, scale, angle, factor)  # (C_i, H_i, W_i)
            known = transform(np.ones(before.shape[1:], np.float32), dx, dy, scale, angle, factor)
            inside = known > 0.999  # where the moved original is data, not the zero border
            entry.update(
                factor=list(factor),
                shift_in_map=[dy / factor[0], dx / factor[1]],
                equivariance=correlation(after[:, inside], expected[:, inside])
                if inside.any()
                else None,
                expected=expected,
            )
        layers.append(entry)
    return {
        "input": moved,
        "outputs": [o[1] for o in outs],
        "original": [o[0] for o in outs],
        "layers": layers,
    }


def confidence_curve(model, image: np.ndarray, shifts, axis: str, target: int) -> dict:
    """Probability of class ``target`` and the predicted class with ``image: (H, W)`` moved by
    each of ``shifts`` pixels along ``axis`` (``"x"``: right, ``"y"``: down), one batch."""
    if axis not in ("x", "y"):
        raise ValueError(f"axis must be 'x' or 'y', got {axis!r}")
    C, H, W = model.input_shape
    moved = np.stack(
        [transform(image, s if axis == "x" else 0.0, s if axis == "y" else 0.0) for s in shifts]
    )  # (S, H, W)
    x = np.broadcast_to(moved[:, None], (len(shifts), C, H, W)).astype(np.float32)
    p = np.asarray(model.predict_proba(x), dtype=np.float64)  # (S, K)
    return {"confidence": p[:, target].tolist(), "predictions": p.argmax(axis=1).tolist()}
