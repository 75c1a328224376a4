"""The arithmetic alone (``/api/anatomy/arithmetic``): output sizes with their formulas, what
cannot work explained with a 200, and agreement with ``/api/conv``."""

from __future__ import annotations

import pytest

from tests.utils import conv_preset, post_conv


@pytest.mark.parametrize(
    "query, formula, shape",
    [
        ("height=3&width=3&kernel_height=2&kernel_width=2", "= 2", [2, 2]),
        (
            "height=5&width=5&kernel_height=3&kernel_width=3&stride=2&padding=1",
            "/ 2⌋ + 1 = 3",
            [3, 3],
        ),
        ("height=32&width=32&channels=3&kernel_height=5&kernel_width=5", "(32 + 2·0", [28, 28]),
        ("op=pool&height=4&width=4&kernel_size=2", "⌊(4 + 2·0 − 2) / 2⌋ + 1 = 2", [2, 2]),
        ("op=pool&height=5&width=5&global=true", "one 5×5 window", [1, 1]),
    ],
)
def test_arithmetic_of_valid_sizes(client, query, formula, shape):
    r = client.get(f"/api/anatomy/arithmetic?{query}")
    assert r.status_code == 200
    d = r.json()
    assert d["valid"] is True and formula in d["formula"] and d["output_shape"] == shape
    assert d["problems"] == []


@pytest.mark.parametrize(
    "query, words",
    [
        ("height=3&width=3&kernel_height=2&kernel_width=2&stride=0", ["stride", "never move"]),
        ("height=3&width=3&kernel_height=5&kernel_width=5", ["spans 5 rows", "(3 + 2·0)"]),
        ("height=65&width=3", ["height", "max_conv_input_side = 64"]),
        ("height=3&width=3&channels=65", ["channels", "max_channels = 64"]),
        ("height=3&width=3&padding=12", ["padding", "max_conv_padding = 11"]),
        ("op=pool&height=4&width=4&kernel_size=2&padding=2", ["padding", "half the kernel"]),
        ("op=pool&height=4&width=4&kernel_size=5", ["kernel height 5", "only 4"]),
    ],
)
def test_arithmetic_explains_what_cannot_work_with_a_200(client, query, words):
    r = client.get(f"/api/anatomy/arithmetic?{query}")
    assert r.status_code == 200
    d = r.json()
    assert d["valid"] is False and d["formula"] is None and d["output_shape"] is None
    for word in words:
        assert word in d["problems"][0], d["problems"]


def test_arithmetic_agrees_with_conv(client):
    body = conv_preset("stride-2")
    d = post_conv(client, body)
    q = "height=5&width=5&kernel_height=3&kernel_width=3&stride=2&padding=1"
    a = client.get(f"/api/anatomy/arithmetic?{q}").json()
    assert a["formula"] == d["formula"] and a["output_shape"] == d["output_shape"]
