"""Training augmentation for digits drawn in a browser: random affine warps and stroke thickness.

A mouse- or finger-drawn digit, after :mod:`engine.preprocess`, differs from MNIST mostly in
slant, rotation, size, a pixel or two of centring, and stroke width. ``augment_batch`` draws one
random affine map per image (rotation, isotropic scale, horizontal shear, translation, about the
image centre) and applies all N at once by bilinear sampling, gathering with flat indices; on a
fraction of the batch it first thickens (grey-level 2×2 or 3×3 max filter) or thins (half of a
2×2 min filter) the strokes.
"""

from __future__ import annotations

import numpy as np


def dilate(x: np.ndarray, k: int) -> np.ndarray:
    """Grey-level dilation of ``x: (..., H, W)`` by a ``k``×``k`` square (k = 2 or 3).

    ``out[i, j] = max(x[i + di, j + dj])`` over the window, zero outside the image; the 2×2
    window is ``di, dj ∈ {0, 1}`` (a half-pixel shift), the 3×3 one ``{-1, 0, 1}``.
    """
    return _window(x, k, np.maximum)


def erode(x: np.ndarray, k: int) -> np.ndarray:
    """Grey-level erosion, the min-filter twin of :func:`dilate` (outside counts as 0)."""
    return _window(x, k, np.minimum)


def _window(x: np.ndarray, k: int, op) -> np.ndarray:
    """``op``-reduce ``x: (..., H, W)`` over a k×k window (see :func:`dilate`); ``(..., H, W)``."""
    if k not in (2, 3):
        raise ValueError(f"window size k must be 2 or 3, got {k!r}")
    H, W = x.shape[-2:]
    pad = [(0, 0)] * (x.ndim - 2) + [(1, 1), (1, 1)]
    xp = np.pad(x, pad)  # (..., H+2, W+2), zero border; xp[..., i+1, j+1] == x[..., i, j]
    offsets = (0, 1) if k == 2 else (-1, 0, 1)
    out = None
    for di in offsets:
        for dj in offsets:
            view = xp[..., 1 + di : 1 + di + H, 1 + dj : 1 + dj + W]  # (..., H, W)
            out = view.copy() if out is None else op(out, view, out=out)
    return out


def random_affines(
    n: int,
    rng: np.random.Generator,
    rotate: float = 12.0,
    scale: float = 0.15,
    shear: float = 0.3,
    translate: float = 2.5,
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` random affine maps for :func:`warp_affine`: ``p_out = M @ (p_in - c) + c + t``.

    Each parameter is uniform in ``[-strength, strength]``: rotation in degrees, scale factor
    ``1 + s``, horizontal shear (slant) ``col += shear * row`` and translation in pixels, per
    axis, in ``(row, col)`` pixel coordinates about the image centre ``c``. ``M = R @ Sh * s``.
    Returns ``M: (n, 2, 2)`` and ``t: (n, 2)``, float64.
    """
    u = rng.uniform(-1.0, 1.0, size=(n, 5))  # (n, 5): angle, scale, shear, dy, dx
    theta = np.deg2rad(rotate) * u[:, 0]
    s = 1.0 + scale * u[:, 1]
    k = shear * u[:, 2]
    cos, sin = np.cos(theta), np.sin(theta)
    # rotation by theta (counter-clockwise on screen) in (row, col) coords with rows pointing down
    R = np.stack([np.stack([cos, -sin], -1), np.stack([sin, cos], -1)], -2)  # (n, 2, 2)
    Sh = np.zeros((n, 2, 2))
    Sh[:, 0, 0] = Sh[:, 1, 1] = 1.0
    Sh[:, 1, 0] = k  # col' = col + k * row
    M = (R @ Sh) * s[:, None, None]  # (n, 2, 2)
    t = translate * u[:, 3:5]  # (n, 2)
    return M, t


def warp_affine(x: np.ndarray, M: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Warp each image of ``x: (N, C, H, W)`` by its map ``p_out = M @ (p_in - c) + c + t``.

    ``M: (N, 2, 2)``, ``t: (N, 2)`` in ``(row, col)`` pixel coordinates, ``c`` the image centre
    ``((H-1)/2, (W-1)/2)``. Every output pixel samples the input at the inverse-mapped point by
    bilinear interpolation, zero outside. Returns ``(N, C, H, W)`` float32. The identity map
    samples exactly at pixel centres, so it returns ``x`` unchanged.
    """
    N, C, H, W = x.shape
    # The arithmetic is done in place where it can: fresh large temporaries cost page faults
    # that, on small VMs, took longer than the arithmetic itself.
    c = np.array([(H - 1) / 2, (W - 1) / 2], dtype=np.float32)[None, :, None]  # (1, 2, 1)
    rows, cols = np.meshgrid(np.arange(H), np.arange(W), indexing="ij")
    p_out = np.stack([rows.ravel(), cols.ravel()]).astype(np.float32)[None]  # (1, 2, H*W)
    M_inv = np.linalg.inv(M).astype(np.float32)  # (N, 2, 2)
    # p_in = M^-1 (p_out - c - t) + c
    p_in = M_inv @ (p_out - c - t.astype(np.float32)[:, :, None])  # (N, 2, H*W)
    p_in += c
    # Clamp sample points to [-1, H] x [-1, W]: anything outside the image then lands in the zero
    # border (below), and a point at -1 or H has its far neighbour in the border too.
    np.clip(p_in[:, 0], -1, H, out=p_in[:, 0])
    np.clip(p_in[:, 1], -1, W, out=p_in[:, 1])
    p0 = np.floor(p_in)  # (N, 2, H*W): top-left neighbour, (row, col)
    w = np.subtract(p_in, p0, out=p_in)  # (N, 2, H*W): bilinear weights in [0, 1)
    wy, wx = w[:, None, 0], w[:, None, 1]  # (N, 1, H*W) each
    # Zero-padded planes, one pixel above/left and two below/right: row i is at padded row i + 1.
    Hp, Wp = H + 3, W + 3
    xp = np.zeros((N, C, Hp, Wp), dtype=np.float32)
    xp[:, :, 1 : H + 1, 1 : W + 1] = x
    xp = xp.reshape(-1)  # (N, C, H+3, W+3) -> (N*C*(H+3)*(W+3),)
    # flat index of each top-left neighbour in xp; exact in float32 within one plane (< 2**24)
    local = p0[:, 0] * Wp + p0[:, 1] + (Wp + 1)  # (N, H*W)
    plane = np.arange(N * C).reshape(N, C, 1) * (Hp * Wp)  # (N, C, 1): start of each plane
    i00 = local.astype(np.intp)[:, None, :] + plane  # (N, C, H*W)
    # neighbours by offsetting the array rather than the index: xp[1:][i] == xp[i + 1]
    top = np.take(xp, i00)
    right = np.take(xp[1:], i00)
    top += np.multiply(np.subtract(right, top, out=right), wx, out=right)  # row y0, lerp in x
    low = np.take(xp[Wp:], i00)
    low_right = np.take(xp[Wp + 1 :], i00)
    low += np.multiply(np.subtract(low_right, low, out=low_right), wx, out=low_right)
    top += np.multiply(np.subtract(low, top, out=low), wy, out=low)  # lerp in y
    return top.reshape(N, C, H, W)  # (N, C, H*W) -> (N, C, H, W)


def warp_affine_naive(x: np.ndarray, M: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Plain-loop reference for :func:`warp_affine` (same arguments, same result); slow."""
    N, C, H, W = x.shape
    c = np.array([(H - 1) / 2, (W - 1) / 2])
    out = np.zeros((N, C, H, W), dtype=np.float64)
    for n in range(N):
        M_inv = np.linalg.inv(M[n])
        for i in range(H):
            for j in range(W):
                y, xx = M_inv @ (np.array([i, j]) - c - t[n]) + c
                y0, x0 = int(np.floor(y)), int(np.floor(xx))
                for yi, xi in ((y0, x0), (y0, x0 + 1), (y0 + 1, x0), (y0 + 1, x0 + 1)):
                    if 0 <= yi < H and 0 <= xi < W:
                        weight = (1 - abs(y - yi)) * (1 - abs(xx - xi))
                        out[n, :, i, j] += weight * x[n, :, yi, xi]
    return out.astype(np.float32)


def change_thickness(x: np.ndarray, rng: np.random.Generator, fraction: float) -> np.ndarray:
    """Thicken or thin the strokes of a random ``fraction`` of ``x: (N, C, H, W)``.

    Each image independently, with probability ``fraction``, gets one of (equally likely):
    2×2 dilation, 3×3 dilation, or thinning ``(x + erode(x, 2)) / 2``. On MNIST these multiply
    the ink by about 1.5, 2.1 and 0.74 (medians); a full 2×2 erosion would halve it and all but
    erase the thinnest "1"s. Returns a new ``(N, C, H, W)`` array.
    """
    N = x.shape[0]
    u = rng.uniform(size=N)  # (N,): < fraction selects the image
    kind = rng.integers(0, 3, size=N)  # (N,): which filter
    out = x.copy()
    filters = (lambda v: dilate(v, 2), lambda v: dilate(v, 3), lambda v: (v + erode(v, 2)) / 2)
    for code, filt in enumerate(filters):
        pick = (u < fraction) & (kind == code)  # (N,) bool
        if pick.any():
            out[pick] = filt(x[pick])
    return out


def augment_batch(
    x: np.ndarray,
    rng: np.random.Generator,
    *,
    rotate: float = 12.0,
    scale: float = 0.15,
    shear: float = 0.3,
    translate: float = 2.5,
    thickness: float = 0.3,
) -> np.ndarray:
    """Randomly augment a batch ``x: (N, C, H, W)`` (float, [0, 1]; MNIST is ``(N, 1, 28, 28)``).

    Strengths, each drawn uniformly in ``[-strength, strength]`` per image: ``rotate`` degrees,
    ``scale`` (factor ``1 ± scale``), ``shear`` (slant, ``col += shear * row``), ``translate``
    pixels per axis; ``thickness`` is the fraction of images whose strokes are thickened or thinned
    first. All zero gives ``x`` back unchanged. Deterministic for a given ``rng`` state.
    Returns a new ``(N, C, H, W)`` float32 array in [0, 1].
    """
    x = np.asarray(x)
    if x.ndim != 4:
        raise ValueError(f"x must be (N, C, H, W), got shape {x.shape}")
    for name, value in (
        ("rotate", rotate),
        ("scale", scale),
        ("shear", shear),
        ("translate", translate),
    ):
        if value < 0:
            raise ValueError(f"{name} strength must be >= 0, got {value!r}")
    if not 0 <= thickness <= 1:
        raise ValueError(f"thickness must be a fraction in [0, 1], got {thickness!r}")
    if scale >= 1:
        raise ValueError(f"scale strength must be < 1 (factor 1 ± scale), got {scale!r}")
    x = x.astype(np.float32, copy=False)
    x = change_thickness(x, rng, thickness)
    M, t = random_affines(len(x), rng, rotate, scale, shear, translate)
    out = warp_affine(x, M, t)
    return np.clip(out, 0.0, 1.0, out=out)
