"""Property-based tests (Hypothesis) of what untrusted input reaches: the image decoder and the
convolution/pooling parameter checks.

The decoder, for any bytes, any PNG header, any image size: a 413/422 ``HTTPException`` or a valid
array — never another exception. The conv/pool checks, for any hyperparameters: a ValueError or
4xx naming the field, or an output of exactly the size the formula gives.
"""

from __future__ import annotations

import base64
import io
import struct
import zlib

import numpy as np
import pytest
from fastapi import HTTPException
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from app.core.imaging import decode, decode_base64, network_input
from app.core.schemas import ImageInput
from app.core.settings import Settings
from engine.anatomy import convolve, pool_steps, weight_matrix
from engine.ops.conv import conv2d_forward
from engine.shapes import conv_padding, output_size, pair

MAX_SIDE = 256
LIMITS = Settings(max_image_side=MAX_SIDE, max_image_bytes=64 * 1024)
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def decoded_or_refused(data: bytes):
    """``decode``'s result, checked; ``None`` when it refused with a 413/422."""
    try:
        img = decode(data, LIMITS)
    except HTTPException as e:
        assert e.status_code in (413, 422), e.detail
        assert e.detail.startswith("image:"), e.detail
        return None
    assert img.dtype in (np.uint8, np.uint16)
    assert img.ndim == 2 or (img.ndim == 3 and img.shape[2] in (3, 4) and img.dtype == np.uint8)
    assert 1 <= img.shape[0] <= MAX_SIDE and 1 <= img.shape[1] <= MAX_SIDE
    return img


# -- the image decoder ---------------------------------------------------------------------------


@FAST
@given(st.binary(max_size=4096))
def test_any_bytes_are_refused_or_decoded(data):
    decoded_or_refused(data)


@FAST
@given(st.binary(max_size=2048))
def test_any_bytes_after_a_png_or_jpeg_signature(data):
    decoded_or_refused(PNG_MAGIC + data)
    decoded_or_refused(b"\xff\xd8\xff" + data)


@FAST
@given(
    width=st.integers(0, 2**31 - 1),
    height=st.integers(0, 2**31 - 1),
    depth=st.sampled_from([1, 2, 4, 8, 16, 3, 0, 255]),
    colour=st.sampled_from([0, 2, 3, 4, 6, 1, 7]),
    interlace=st.integers(0, 2),
    idat=st.binary(max_size=512),
    compress=st.booleans(),
)
def test_any_png_header(width, height, depth, colour, interlace, idat, compress):
    """Claimed sizes up to 2^31 (decompression bombs), odd depths and colour types, junk data."""
    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, interlace)
    body = zlib.compress(idat) if compress else idat
    data = PNG_MAGIC + chunk(b"IHDR", ihdr) + chunk(b"IDAT", body) + chunk(b"IEND", b"")
    img = decoded_or_refused(data)
    if max(width, height) > MAX_SIDE:
        assert img is None  # refused on the header, before a pixel is decompressed


MODES = ["1", "L", "LA", "P", "RGB", "RGBA", "I;16"]


@FAST
@given(
    width=st.integers(1, MAX_SIDE + 40),
    height=st.integers(1, MAX_SIDE + 40),
    mode=st.sampled_from(MODES),
    fmt=st.sampled_from(["PNG", "JPEG"]),
    seed=st.integers(0, 2**16),
    cut=st.one_of(st.none(), st.floats(0.0, 1.0)),
)
def test_real_images_of_any_size_and_mode(width, height, mode, fmt, seed, cut):
    if fmt == "JPEG" and mode not in ("L", "RGB"):
        mode = "RGB"
    rng = np.random.default_rng(seed)
    img = Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8)).convert(mode)
    buf = io.BytesIO()
    img.save(buf, format=fmt)
    data = buf.getvalue()
    if cut is not None:  # a truncated file
        data = data[: max(1, int(len(data) * cut))]
    decoded = decoded_or_refused(data)
    if cut is None:
        if max(width, height) > MAX_SIDE or len(data) > LIMITS.max_image_bytes:
            assert decoded is None
        else:
            assert decoded is not None and decoded.shape[:2] == (height, width)


@FAST
@given(st.text(max_size=600))
def test_any_text_as_base64(text):
    try:
        data = decode_base64(text, 300)
    except HTTPException as e:
        assert e.status_code in (413, 422) and e.detail.startswith("image:")
    else:
        assert 0 < len(data) <= 300


@FAST
@given(
    side=st.integers(1, 64),
    preprocess=st.booleans(),
    ink=st.floats(0, 255),
    seed=st.integers(0, 2**16),
)
def test_any_decodable_image_becomes_a_valid_network_input(side, preprocess, ink, seed):
    rng = np.random.default_rng(seed)
    pixels = (rng.random((side, side)) < 0.2) * ink
    buf = io.BytesIO()
    Image.fromarray(pixels.astype(np.uint8)).save(buf, format="PNG")
    body = ImageInput(image=base64.b64encode(buf.getvalue()).decode(), preprocess=preprocess)
    x, image = network_input(body, (1, 28, 28), LIMITS)
    assert x.shape == (1, 1, 28, 28) and x.dtype == np.float32
    assert np.isfinite(x).all() and x.min() >= 0.0 and x.max() <= 1.0
    assert image.shape == (28, 28)


# -- output size arithmetic and parameter checks ------------------------------------------------

ints = st.integers(-3, 12)
pair_like = st.one_of(
    ints, st.lists(ints, min_size=0, max_size=3), st.booleans(), st.none(), st.floats(-2, 5)
)


@FAST
@given(value=pair_like)
def test_pair_accepts_ints_and_pairs_only(value):
    try:
        p = pair(value, "stride")
    except ValueError as e:
        assert str(e).startswith("stride")
    else:
        assert isinstance(p, tuple) and len(p) == 2 and min(p) >= 1
        assert all(type(v) is int for v in p)


@FAST
@given(
    size=st.integers(1, 40),
    kernel=st.integers(1, 12),
    stride=st.integers(1, 6),
    padding=st.integers(0, 6),
    dilation=st.integers(1, 4),
)
def test_output_size_is_the_conv_output_or_a_clear_refusal(size, kernel, stride, padding, dilation):
    try:
        n = output_size(size, kernel, stride, padding, dilation)
    except ValueError as e:
        assert dilation * (kernel - 1) + 1 > size + 2 * padding
        assert "kernel spans" in str(e)
        return
    assert n >= 1
    assert n == (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1
    x = np.zeros((1, 1, size, 2))
    w = np.zeros((1, 1, kernel, 1))
    out = conv2d_forward(x, w, np.zeros(1), (stride, 1), (padding, 0), (dilation, 1))[0]
    assert out.shape[2] == n  # the engine's conv agrees with the arithmetic


@FAST
@given(
    H=st.integers(1, 9),
    W=st.integers(1, 9),
    C=st.integers(1, 3),
    kh=st.integers(1, 5),
    kw=st.integers(1, 5),
    stride=st.one_of(st.integers(0, 4), st.tuples(st.integers(0, 4), st.integers(0, 4))),
    padding=st.one_of(
        st.integers(-1, 3), st.tuples(st.integers(0, 3), st.integers(0, 3)), st.just("same")
    ),
    dilation=st.one_of(st.integers(0, 3), st.tuples(st.integers(1, 3), st.integers(1, 3))),
    seed=st.integers(0, 100),
)
def test_anatomy_conv_any_hyperparameters(H, W, C, kh, kw, stride, padding, dilation, seed):
    """The engine's anatomy conv, weight matrix and the real conv agree, or refuse by name."""
    rng = np.random.default_rng(seed)
    x, k = rng.normal(size=(C, H, W)), rng.normal(size=(C, kh, kw))
    try:
        out = convolve(x, k, 0.5, stride, padding, dilation)
    except ValueError as e:
        assert str(e).startswith(("stride", "padding", "dilation", "kernel")), str(e)
        return
    s, d = pair(stride, "stride"), pair(dilation, "dilation")
    p = conv_padding(padding, (kh, kw), d)
    assert out.shape == (
        output_size(H, kh, s[0], p[0], d[0]),
        output_size(W, kw, s[1], p[1], d[1]),
    )
    wm = weight_matrix(k, 0.5, (C, H, W), s, p, d)
    np.testing.assert_allclose(wm.dense() @ x.ravel() + 0.5, out.ravel(), atol=1e-9)
    real, _ = conv2d_forward(x[None], k[None], np.array([0.5]), s, p, d)  # real: (1, 1, H', W')
    real = real[0, 0]
    np.testing.assert_allclose(real, out, atol=1e-9)


@FAST
@given(
    H=st.integers(1, 9),
    W=st.integers(1, 9),
    mode=st.sampled_from(["max", "avg", "min"]),
    kernel=st.one_of(st.integers(0, 5), st.tuples(st.integers(1, 5), st.integers(1, 5))),
    stride=st.one_of(st.none(), st.integers(0, 4)),
    padding=st.integers(-1, 3),
    global_=st.booleans(),
)
def test_pool_steps_any_hyperparameters(H, W, mode, kernel, stride, padding, global_):
    x = np.arange(H * W, dtype=np.float64).reshape(H, W)
    try:
        result = pool_steps(x, mode, kernel, stride, padding, global_=global_)
    except ValueError as e:
        assert str(e).startswith(("kernel_size", "stride", "padding", "kernel")), str(e)
        return
    out = np.asarray(result.output)
    if global_:
        assert out.shape == (1, 1)
        return
    k, p = pair(kernel, "kernel_size"), pair(padding, "padding", minimum=0)
    s = k if stride is None else pair(stride, "stride")
    assert out.shape == (output_size(H, k[0], s[0], p[0]), output_size(W, k[1], s[1], p[1]))
    assert len(result.steps) == out.size


# -- the same through the API: 200 with the formula's size, or a 4xx naming the field -----------

api_pair = st.one_of(
    st.integers(-2, 14),
    st.lists(st.integers(-1, 14), min_size=0, max_size=3),
    st.booleans(),
    st.just("same"),
    st.just("valid"),
    st.floats(-1, 3),
)


@pytest.fixture(scope="module")
def api(settings):
    from fastapi.testclient import TestClient

    from app.main import create_app

    with TestClient(create_app(settings)) as client:
        yield client


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    H=st.integers(0, 70),
    W=st.integers(1, 12),
    kh=st.integers(0, 13),
    kw=st.integers(1, 4),
    stride=api_pair,
    padding=api_pair,
    dilation=api_pair,
    step=st.booleans(),
)
def test_api_conv_any_parameters(api, H, W, kh, kw, stride, padding, dilation, step):
    body = {
        "input": [[1.0] * W for _ in range(H)],
        "kernel": [[0.5] * kw for _ in range(kh)],
        "stride": stride,
        "padding": padding,
        "dilation": dilation,
    }
    if step:
        body["step"] = [0, 0]
    r = api.post("/api/conv", json=body)
    assert r.status_code in (200, 413, 422), r.text
    if r.status_code != 200:
        assert r.json()["detail"], r.text
        return
    out = r.json()
    assert out["output_shape"] == [len(out["output"]), len(out["output"][0])]


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    H=st.integers(0, 70),
    W=st.integers(1, 12),
    mode=st.sampled_from(["max", "avg", "min", "median"]),
    kernel=api_pair,
    stride=st.one_of(st.none(), api_pair),
    padding=api_pair,
    global_=st.booleans(),
)
def test_api_pool_any_parameters(api, H, W, mode, kernel, stride, padding, global_):
    body = {
        "input": [[1.0] * W for _ in range(H)],
        "mode": mode,
        "kernel_size": kernel,
        "stride": stride,
        "padding": padding,
        "global": global_,
    }
    r = api.post("/api/pool", json=body)
    assert r.status_code in (200, 413, 422), r.text
    if r.status_code == 200:
        out = r.json()
        assert len(out["steps"]) == out["output_shape"][0] * out["output_shape"][1]
