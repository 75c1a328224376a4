"""The anatomy's limit checks (``app.anatomy.limits``) through ``/api/conv`` and ``/api/pool``:
sizes beyond a limit are a 413 naming it, malformed grids and hyperparameters a 422 naming the
field — before any array is built."""

from __future__ import annotations

import pytest

from tests.utils import anatomy_client, conv_preset, post_conv, post_json, refused, reported_limits

# -- limits ---------------------------------------------------------------------------------


def test_limits_report_the_anatomy_caps(client):
    reported_limits(client, (
        "max_conv_input_side", "max_channels", "max_kernel_side", "max_conv_padding",
        "max_conv_terms", "max_pool_positions",
    ))  # fmt: skip


@pytest.mark.parametrize(
    "body, limit",
    [
        ({"input": [[0.0] * 65] * 2, "kernel": [[1]]}, "max_conv_input_side = 64"),
        ({"input": [[0.0]] * 65, "kernel": [[1]]}, "max_conv_input_side = 64"),
        ({"input": [[[0.0]]] * 65, "kernel": [[[1]]] * 65}, "max_channels = 64"),
        ({"input": [[0.0] * 20] * 20, "kernel": [[1] * 12] * 12}, "max_kernel_side = 11"),
        ({"input": [[0.0]], "kernel": [[1]], "padding": 12}, "max_conv_padding = 11"),
        ({"input": [[0.0]], "kernel": [[1]], "stride": 10**30}, "max_conv_input_side = 64"),
        ({"input": [[0.0] * 64] * 64, "kernel": [[1] * 9] * 9}, "max_weight_matrix_entries"),
        (
            {"input": [[[0.0] * 8] * 8] * 64, "kernel": [[[1] * 11] * 11] * 64, "padding": 11},
            "max_weight_matrix_entries",
        ),
        ({"input": [[0.0] * 48] * 48, "kernel": [[1] * 7] * 7}, "max_conv_terms = 60,000"),
    ],
)
def test_conv_beyond_a_limit_is_413_naming_it(client, body, limit):
    assert limit in refused(post_json(client, "/api/conv", body), 413)


def test_limits_come_from_the_settings(tmp_path):
    small = anatomy_client(tmp_path, max_conv_terms=10, max_pool_positions=4)
    detail = refused(post_json(small, "/api/conv", conv_preset("filter-2x2-on-3x3")), 413)
    assert "2×2 outputs × 1·2·2 kernel weights = 16 terms" in detail
    assert "max_conv_terms = 10" in detail and "`step`" in detail
    assert (
        len(post_conv(small, conv_preset("filter-2x2-on-3x3", step=[1, 1]))["steps"]) == 1
    )  # 4 terms
    body = {"input": [[1.0, 2.0], [3.0, 4.0]], "kernel_size": 1}
    assert "max_pool_positions = 4" not in refused(
        post_json(small, "/api/pool", {**body, "kernel_size": 3}), 422
    )
    big = {"input": [[0.0] * 3] * 3, "kernel_size": 1, "stride": 1}
    assert "max_pool_positions = 4" in refused(post_json(small, "/api/pool", big), 413)
    small.__exit__(None, None, None)


def test_the_weight_matrix_bounds_every_request_even_one_step(tmp_path):
    small = anatomy_client(tmp_path, max_weight_matrix_entries=15)
    detail = refused(
        post_json(small, "/api/conv", conv_preset("filter-2x2-on-3x3", step=[0, 0])), 413
    )
    assert "= 16 window positions" in detail and "max_weight_matrix_entries = 15" in detail
    q = "height=3&width=3&kernel_height=2&kernel_width=2"
    a = small.get(f"/api/anatomy/arithmetic?{q}").json()
    assert a["valid"] is False and "max_weight_matrix_entries = 15" in a["problems"][0]
    small.__exit__(None, None, None)


def test_a_huge_body_is_refused_before_parsing(client):
    big = {"input": [[0.0] * 1000] * 2000, "kernel": [[1]]}  # 10 MB of JSON
    assert "max_request_bytes" in refused(post_json(client, "/api/conv", big), 413)


# -- bad input: 4xx naming the field --------------------------------------------------------


@pytest.mark.parametrize(
    "body, words",
    [
        ({"input": [[1, 2], [3]], "kernel": [[1]]}, ["input[1]", "has 1 numbers", "rectangular"]),
        ({"input": [[[1, 2]], [[3, 4], [5, 6]]], "kernel": [[[1]]] * 2}, ["input[1]", "2 rows"]),
        ({"input": [[1, float("nan")]], "kernel": [[1]]}, ["input[0][1]", "finite"]),
        ({"input": [[1, 2]], "kernel": [[float("inf")]]}, ["kernel[0][0]", "finite"]),
        ({"input": [[1, 2]], "kernel": [[1]], "bias": float("nan")}, ["bias", "finite"]),
        ({"input": [[1, "a"]], "kernel": [[1]]}, ["input[0][1]", "number"]),
        ({"input": [[[[1]]]], "kernel": [[1]]}, ["input", "(C, H, W)"]),
        ({"input": [], "kernel": [[1]]}, ["input", "non-empty"]),
        ({"input": [[1, 2]], "kernel": [[1]], "stride": 0}, ["stride", ">= 1", "never move"]),
        ({"input": [[1, 2]], "kernel": [[1]], "stride": -1}, ["stride", ">= 1"]),
        ({"input": [[1, 2]], "kernel": [[1]], "stride": [1, 2, 3]}, ["stride", "pair"]),
        ({"input": [[1, 2]], "kernel": [[1]], "dilation": 0}, ["dilation", ">= 1"]),
        ({"input": [[1, 2]], "kernel": [[1]], "padding": -1}, ["padding", ">= 0"]),
        ({"input": [[1, 2]], "kernel": [[1, 1]], "padding": "same"}, ["padding", "odd"]),
        ({"input": [[1, 2]], "kernel": [[1]], "padding": "full"}, ["padding"]),
        (
            {"input": [[[1, 2]]] * 3, "kernel": [[[1]]] * 2},
            ["kernel", "2 channels", "input has 3"],
        ),
        (
            {"input": [[1, 2, 3]] * 3, "kernel": [[1] * 5] * 5, "padding": 0},
            ["kernel height 5", "spans 5 rows", "padded input has only 3 (3 + 2·0)"],
        ),
        (
            {"input": [[1, 2, 3]] * 3, "kernel": [[1] * 3] * 3, "dilation": 2},
            ["kernel height 3 (dilation 2) spans 5 rows", "only 3 (3 + 2·0)"],
        ),
        ({"kernel": [[1]]}, ["input", "required"]),
    ],
)
def test_bad_conv_input_is_422_naming_the_field(client, body, words):
    detail = refused(post_json(client, "/api/conv", body), 422)
    for word in words:
        assert word in detail, detail


@pytest.mark.parametrize(
    "body, words",
    [
        ({"input": [[1, 2], [3, 4]], "mode": "median"}, ["mode"]),
        ({"input": [[[1, 2], [3, 4]]]}, ["input", "(H, W)"]),
        ({"input": [[1, 2], [3, 4]], "kernel_size": 2, "padding": 2}, ["padding", "half"]),
        ({"input": [[1, 2], [3, 4]], "kernel_size": 3}, ["kernel height 3", "only 2 (2 + 2·0)"]),
        ({"input": [[1, 2], [3, 4]], "stride": 0}, ["stride", ">= 1"]),
        ({"input": [[1, 2], [3]]}, ["input[1]", "rectangular"]),
    ],
)
def test_bad_pool_input_is_422_naming_the_field(client, body, words):
    detail = refused(post_json(client, "/api/pool", body), 422)
    for word in words:
        assert word in detail, detail


def test_pool_kernel_beyond_the_limit(client):
    assert "max_kernel_side = 11" in refused(
        post_json(client, "/api/pool", {"input": [[0.0] * 20] * 20, "kernel_size": 12}), 413
    )
