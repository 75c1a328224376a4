"""The input convention (``engine.convention``): ink → what a model was trained on."""

from __future__ import annotations

import numpy as np
import pytest

from engine.convention import (
    IDENTITY,
    affine,
    check_convention,
    complete_convention,
    grad_to_ink,
    is_identity,
    to_network,
)

INK = np.linspace(0, 1, 2 * 3 * 4 * 5, dtype=np.float32).reshape(2, 3, 4, 5)


def test_identity_is_untouched():
    assert to_network(INK, None) is INK
    assert to_network(INK, {"invert": False, "scale": 1, "mean": [0], "std": [1]}) is INK
    assert is_identity({}) and not is_identity({"scale": 255})


@pytest.mark.parametrize(
    "conv, expected",
    [
        ({"mean": [0.1307], "std": [0.3081]}, (INK - 0.1307) / 0.3081),  # Normalize
        ({"scale": 255.0}, INK * 255),  # raw 0-255 pixels
        ({"invert": True}, 1 - INK),  # white paper, black ink
        ({"invert": True, "scale": 255, "mean": [1, 2, 3], "std": [2, 4, 8]},
         ((1 - INK) * 255 - np.array([1, 2, 3]).reshape(3, 1, 1)) / np.array([2, 4, 8]).reshape(3, 1, 1)),  # noqa: E501
    ],
)  # fmt: skip
def test_formula(conv, expected):
    np.testing.assert_allclose(to_network(INK, conv), expected, rtol=1e-5, atol=1e-4)
    assert to_network(INK, conv).dtype == np.float32


def test_grad_to_ink_is_the_chain_rule():
    """d/d(ink) of sum(w · f(ink)) by centred differences equals grad_to_ink(w)."""
    conv = {"invert": True, "scale": 255.0, "mean": [0.5, 0.1, 0.2], "std": [0.25, 0.5, 2.0]}
    rng = np.random.default_rng(0)
    weights = rng.normal(size=INK.shape)
    x = INK.astype(np.float64)
    h = 1e-4
    numeric = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[idx] = h
        up = (weights * to_network(x + e, conv)).sum()
        down = (weights * to_network(x - e, conv)).sum()
        numeric[idx] = (up - down) / (2 * h)
    np.testing.assert_allclose(grad_to_ink(weights, conv), numeric, rtol=1e-5)


def test_affine_shapes():
    a, c = affine({"mean": [0.5], "std": [0.5]}, 3)
    assert a.shape == c.shape == (3, 1, 1)
    np.testing.assert_allclose(a.ravel(), 2.0)
    np.testing.assert_allclose(c.ravel(), -1.0)


IMAGENET = {"mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]}


def test_defaults_by_channel_count():
    grey = complete_convention(None, (1, 28, 28))
    assert grey == {**IDENTITY, "channels": "gray", "resize": {"mode": "digit"}}
    imagenet = {**IMAGENET, "resize": {"mode": "center-crop", "size": 256}}
    colour = complete_convention(imagenet, (3, 224, 224))
    assert colour["channels"] == "rgb" and colour["resize"] == {"mode": "center-crop", "size": 256}
    assert complete_convention({}, (3, 32, 32))["resize"] == {"mode": "stretch"}
    assert check_convention({"scale": [1, 2, 3]}, 3)["scale"] == [1.0, 2.0, 3.0]
    assert check_convention({"scale": [255]}, 3)["scale"] == 255.0


def test_the_form_check_leaves_model_dependent_defaults_out():
    """An upload form checks before the model is known: no guessed channels or resize."""
    assert check_convention({"scale": 255}, 1) == {**IDENTITY, "scale": 255.0}
    conv = check_convention({"channels": "rgb", "scale": 255}, 1)  # a guess of 1 channel
    assert complete_convention(conv, (3, 32, 32))["channels"] == "rgb"


@pytest.mark.parametrize(
    "conv, channels, size, message",
    [
        ({"mean": [0.1, 0.2]}, 3, None,
         r"input\.mean needs 1 or 3 values \(one per channel\), got 2"),
        ({"std": [1, 1, 1, 1]}, 3, None, r"input\.std needs 1 or 3 values"),
        ({"scale": [1, 2]}, 3, None, r"input\.scale needs 1 or 3 values"),
        ({"channels": "rgba"}, 3, None, r"input\.channels must be one of gray, rgb, bgr"),
        ({"channels": "rgb"}, 1, None, r"input\.channels 'rgb' needs a 3-channel model"),
        ({"channels": "gray"}, 3, None, r"input\.channels 'gray' needs a model without 3"),
        ({"resize": {"mode": "center-crop", "size": 200}}, 3, (224, 224),
         r"input\.resize\.size must be an integer from 224"),
        ({"resize": {"mode": "center-crop", "size": 40}}, 3, (32, 48),
         r"input\.resize\.size must be an integer from 48"),
        ({"resize": {"mode": "center-crop"}}, 3, None, r"input\.resize\.size"),
        ({"resize": {"mode": "zoom"}}, 3, None,
         r"input\.resize must be .* stretch, center-crop, pad"),
        ({"resize": {"mode": "digit"}}, 3, None, r"input\.resize must be"),
        ({"resize": {"mode": "pad", "size": 3}}, 3, None, r"unknown keys \['size'\]"),
        ({"std": [0]}, 1, None, r"input\.std must be positive"),
        ({"mean": ["a"]}, 1, None, r"input\.mean must be a number"),
    ],
)  # fmt: skip
def test_bad_conventions_name_the_field(conv, channels, size, message):
    with pytest.raises(ValueError, match=message):
        complete_convention(conv, (channels, *(size or (28, 28))))


def test_per_channel_scale():
    x = np.full((1, 3, 2, 2), 0.5, dtype=np.float32)
    got = to_network(x, {"scale": [255, 1, 2], "mean": [0, 0.5, 0], "std": [1, 1, 4]})
    np.testing.assert_allclose(got[0, :, 0, 0], [127.5, 0.0, 0.25])
