"""The input convention of a model: how a picture becomes the numbers it was trained on.

A model's ``meta["input"]`` (api.md, "Bringing your own model" and "Any image") is

    {"invert": bool, "scale": float | [C floats], "mean": [..], "std": [..],
     "channels": "gray" | "rgb" | "bgr", "resize": {"mode": ..., ["size": S]}}

With the picture ``x ∈ [0, 1]`` in the network's channel order (``channels``),

    network input[c] = ((1 − x[c] if invert else x[c]) · scale[c] − mean[c]) / std[c]

``scale``, ``mean`` and ``std`` have one value per channel or one for all. PyTorch's
``Normalize((0.1307,), (0.3081,))`` is ``mean [0.1307], std [0.3081]``; raw 0–255 pixels are
``scale 255``; white paper and black ink is ``invert``. What ``x`` is depends on ``resize``:
``{"mode": "digit"}`` (the default for one channel) is the ink map of the digit framing (1 = ink,
``engine.preprocess``); ``stretch`` (the default for ``rgb``/``bgr``), ``center-crop`` and ``pad``
(``engine.resize``) take the photo's intensities (1 = white). Absent, or all defaults, the
convention is the identity (models trained here). It is an affine map per channel,
``network = a · x + c``, so a gradient with respect to the network input becomes one with
respect to ``x`` by multiplying by ``a``.
"""

from __future__ import annotations

import math

import numpy as np

from engine.resize import MODES

IDENTITY = {"invert": False, "scale": 1.0, "mean": [0.0], "std": [1.0]}
CHANNELS = ("gray", "rgb", "bgr")
DIGIT = {"mode": "digit"}  # one channel: the MNIST-style framing of engine.preprocess
MAX_RESIZE_SIZE = 4096  # center-crop's shorter side, at most
KEYS = ("invert", "scale", "mean", "std", "channels", "resize")


def check_convention(convention: dict | None, channels: int) -> dict:
    """The convention's form, checked, for a model of (up to) ``channels`` channels.

    Returns ``invert``, ``scale`` (a float when one value, a list when one per channel),
    ``mean`` and ``std`` with their defaults, and ``channels`` / ``resize`` only if given
    (their defaults depend on the model: :func:`complete_convention`). An upload form can call
    this before the model is known. Raises ``ValueError`` naming the field (``input.mean``, ...)
    and what it must be.
    """
    conv = dict(convention or {})
    unknown = sorted(set(conv) - set(KEYS))
    if unknown:
        raise ValueError(f"input: unknown keys {unknown}; expected {', '.join(KEYS)}")
    invert = conv.get("invert", False)
    if not isinstance(invert, bool):
        raise ValueError(f"input.invert must be true or false, got {invert!r}")
    scale = _numbers(conv, "scale", channels, 1.0)
    mean = _numbers(conv, "mean", channels, 0.0)
    std = _numbers(conv, "std", channels, 1.0)
    if any(v <= 0 for v in scale):
        raise ValueError(f"input.scale must be a positive number, got {scale}")
    if any(v <= 0 for v in std):
        raise ValueError(f"input.std must be positive, got {std}")
    out = {"invert": invert, "scale": scale[0] if len(scale) == 1 else scale}
    out |= {"mean": mean, "std": std}
    if "channels" in conv:
        if conv["channels"] not in CHANNELS:
            raise ValueError(
                f"input.channels must be one of {', '.join(CHANNELS)}, got {conv['channels']!r}"
            )
        out["channels"] = conv["channels"]
    if "resize" in conv:
        out["resize"] = check_resize(conv["resize"], out.get("channels", "gray"))
    return out


def complete_convention(convention: dict | None, input_shape: tuple[int, int, int]) -> dict:
    """Every key checked and filled in for a model whose input is ``(C, H, W)``.

    Defaults: ``channels`` is ``"rgb"`` for 3 channels, else ``"gray"``; ``resize`` is
    ``{"mode": "digit"}`` for ``"gray"``, ``{"mode": "stretch"}`` for colour. ``rgb``/``bgr``
    need 3 channels, ``gray`` any other count; ``center-crop`` needs ``size ≥ max(H, W)``.
    """
    C, H, W = input_shape
    conv = check_convention(convention, C)
    order = conv.get("channels", "rgb" if C == 3 else "gray")
    if (order != "gray") != (C == 3):
        need = "a 3-channel model" if order != "gray" else "a model without 3 channels"
        raise ValueError(f"input.channels {order!r} needs {need}; this model has {C} channel(s)")
    resize = check_resize((convention or {}).get("resize"), order, (H, W))
    return {**conv, "channels": order, "resize": resize}


def _numbers(conv: dict, key: str, channels: int, default: float) -> list[float]:
    """``conv[key]``: a number or a list of 1 or ``channels`` finite numbers, as a list."""
    value = conv.get(key, [default])
    values = list(value) if isinstance(value, (list, tuple)) else [value]
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        raise ValueError(f"input.{key} must be a number or a list of numbers, got {value!r}")
    if len(values) not in (1, channels):
        raise ValueError(
            f"input.{key} needs 1 or {channels} values (one per channel), got {len(values)}"
        )
    if not all(math.isfinite(v) for v in values):
        raise ValueError(f"input.{key} must be finite, got {values}")
    return [float(v) for v in values]


def check_resize(resize, order: str, size: tuple[int, int] | None = None) -> dict:
    """The ``resize`` policy, checked: ``{"mode": "digit" | "stretch" | "pad"}`` or
    ``{"mode": "center-crop", "size": S}`` with ``max(H, W) ≤ S ≤ MAX_RESIZE_SIZE``."""
    if resize is None:
        return dict(DIGIT) if order == "gray" else {"mode": "stretch"}
    modes = (*MODES, "digit") if order == "gray" else MODES
    if not isinstance(resize, dict) or resize.get("mode") not in modes:
        raise ValueError(
            f'input.resize must be {{"mode": m}} with m one of {", ".join(modes)} '
            f'("center-crop" also takes "size"), got {resize!r}'
        )
    mode = resize["mode"]
    extra = sorted(set(resize) - ({"mode", "size"} if mode == "center-crop" else {"mode"}))
    if extra:
        raise ValueError(f"input.resize: unknown keys {extra} for mode {mode!r}")
    if mode != "center-crop":
        return {"mode": mode}
    s = resize.get("size")
    low = max(size) if size else 1
    if not isinstance(s, int) or isinstance(s, bool) or not low <= s <= MAX_RESIZE_SIZE:
        raise ValueError(
            f"input.resize.size must be an integer from {low} (the input's larger side, so the "
            f"centre crop fits) to {MAX_RESIZE_SIZE}, got {s!r}"
        )
    return {"mode": mode, "size": s}


def affine(convention: dict | None, channels: int) -> tuple[np.ndarray, np.ndarray]:
    """``(a, c)``, each ``(C, 1, 1)`` float32, with ``network = a · x + c``."""
    conv = {**IDENTITY, **(convention or {})}
    scale, mean, std = (
        np.broadcast_to(np.asarray(conv[k], dtype=np.float64).reshape(-1), (channels,))
        for k in ("scale", "mean", "std")
    )  # each (C,)
    sign = -1.0 if conv["invert"] else 1.0
    a = sign * scale / std
    c = ((scale if conv["invert"] else 0.0) - mean) / std
    return (
        a.astype(np.float32).reshape(channels, 1, 1),
        c.astype(np.float32).reshape(channels, 1, 1),
    )


def is_identity(convention: dict | None) -> bool:
    """Whether the affine map is the identity (``channels`` and ``resize`` are not part of it)."""
    if not convention:
        return True
    conv = {**IDENTITY, **convention}
    return (
        not conv["invert"]
        and all(float(s) == 1.0 for s in np.ravel(conv["scale"]))
        and all(float(m) == 0.0 for m in np.ravel(conv["mean"]))
        and all(float(s) == 1.0 for s in np.ravel(conv["std"]))
    )


def to_network(x: np.ndarray, convention: dict | None) -> np.ndarray:
    """Picture ``x: (N, C, H, W)`` in [0, 1] → the model's input (a new array; ``x`` untouched).

    Computed as written, ``((1 − x if invert else x) · scale − mean) / std`` in ``x``'s dtype,
    so that with ``scale = 1`` it is bit for bit torchvision's ``Normalize`` (``(x − m) / s``).
    """
    if is_identity(convention):
        return x
    conv = {**IDENTITY, **convention}
    C = x.shape[1]
    scale, mean, std = (
        np.broadcast_to(np.asarray(conv[k], dtype=x.dtype).reshape(-1), (C,)).reshape(C, 1, 1)
        for k in ("scale", "mean", "std")
    )  # each (C, 1, 1)
    pixel = 1 - x if conv["invert"] else x
    return ((pixel * scale - mean) / std).astype(x.dtype, copy=False)


def grad_to_ink(g: np.ndarray, convention: dict | None) -> np.ndarray:
    """A gradient with respect to the network input → with respect to the picture (chain rule)."""
    if is_identity(convention):
        return g
    a, _ = affine(convention, g.shape[1])
    return (g * a).astype(g.dtype, copy=False)


def model_convention(model) -> dict | None:
    """The model's stored convention, or ``None`` (identity)."""
    conv = getattr(model, "meta", {}).get("input")
    return conv if isinstance(conv, dict) else None
