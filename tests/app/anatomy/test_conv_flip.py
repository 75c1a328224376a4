"""``POST /api/conv`` with ``"mode"``: the mathematical convolution (kernel flipped) beside the
default cross-correlation, checked against ``scipy.signal.convolve2d`` / ``correlate2d``."""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient
from numpy.testing import assert_allclose
from scipy.signal import convolve2d, correlate2d

from app.core.settings import Settings
from app.main import create_app
from tests.utils import scipy_reference


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    with TestClient(create_app(Settings(models_dir=tmp_path_factory.mktemp("m")))) as c:
        yield c


def post(client, **body) -> dict:
    r = client.post("/api/conv", json=body)
    assert r.status_code == 200, r.text
    return r.json()


def test_default_is_cross_correlation_and_says_so(client):
    d = post(client, input=[[1, 2, 3], [4, 5, 6], [7, 8, 9]], kernel=[[1, 2], [3, 4]])
    assert d["mode"] == "cross-correlation" and d["flipped_kernel"] is None
    assert d["output"] == [[37.0, 47.0], [67.0, 77.0]]  # 1·1 + 2·2 + 4·3 + 5·4 = 37
    assert "flip(w)" in d["relation"]


def test_convolution_flips_the_kernel_in_every_view(client):
    d = post(
        client,
        input=[[1, 2, 3], [4, 5, 6], [7, 8, 9]],
        kernel=[[1, 2], [3, 4]],
        mode="convolution",
    )
    assert d["mode"] == "convolution"
    assert d["kernel"] == [[[1.0, 2.0], [3.0, 4.0]]]  # as sent
    assert d["flipped_kernel"] == [[[4.0, 3.0], [2.0, 1.0]]]
    assert d["output"] == [[23.0, 33.0], [53.0, 63.0]]  # 1·4 + 2·3 + 4·2 + 5·1 = 23
    assert [t["w"] for t in d["steps"][0]["terms"]] == [4.0, 3.0, 2.0, 1.0]
    assert d["matrix"]["kernel"] == [4.0, 3.0, 2.0, 1.0]
    assert d["relation"] == (
        "(x ∗ w)[i, j] = Σ_a Σ_b x[i + a, j + b] · w[1 − a, 1 − b] = (x ⋆ flip(w))[i, j]"
    )


@pytest.mark.parametrize(
    "C, H, W, kh, kw, stride, padding",
    [(1, 5, 5, 3, 3, 1, 0), (1, 7, 6, 3, 2, 2, 1), (2, 8, 8, 3, 3, 2, 2), (3, 9, 7, 2, 3, 3, 1)],
)
def test_both_modes_match_scipy_with_stride_and_padding(client, C, H, W, kh, kw, stride, padding):
    rng = np.random.default_rng(H * 10 + kw)
    x = np.round(rng.standard_normal((C, H, W)), 3)
    w = np.round(rng.standard_normal((C, kh, kw)), 3)
    for mode, op in (("convolution", convolve2d), ("cross-correlation", correlate2d)):
        d = post(
            client,
            input=x.tolist(),
            kernel=w.tolist(),
            bias=0.25,
            stride=stride,
            padding=padding,
            mode=mode,
        )
        want = scipy_reference(x, w, stride, padding, op) + 0.25
        assert d["output_shape"] == list(want.shape)
        assert_allclose(d["output"], want, atol=1e-9)
        assert_allclose([s["sum"] for s in d["steps"]], want.reshape(-1), atol=1e-9)


def test_an_unknown_mode_is_a_422_naming_the_field(client):
    r = client.post("/api/conv", json={"input": [[1, 2], [3, 4]], "kernel": [[1]], "mode": "flip"})
    assert r.status_code == 422
    assert "mode" in str(r.json()["detail"])
