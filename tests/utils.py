"""Helpers shared by the tests: the tiny model the app tests serve, images and data URLs, the
one way to assert a refusal, the anatomy's client and presets, an .npz bomb.

Fixtures live in the ``conftest.py`` beside the tests that use them; plain helpers live here,
so no test module imports from another. (Engine helpers: ``tests/engine/gradcheck.py`` for
gradients, ``tests/engine/onnx_check.py`` for ONNX graphs; browser helpers:
``tests/e2e/helpers.py``; architectures: ``tests/specs.py``.)
"""

from __future__ import annotations

import base64
import io
import json
import struct
import time
import zlib
from pathlib import Path

import numpy as np
from fastapi.testclient import TestClient
from numpy.lib import format as npy_format
from PIL import Image, ImageDraw

from app.core.settings import Settings
from app.main import create_app
from engine.anatomy import PRESETS
from engine.model import Model
from tests.onnx_fixtures import fixture_bytes
from tests.specs import TWO_CONVS

# -- the tiny model the app tests serve -----------------------------------------------------

# conv(pad 1) → relu → maxpool → conv(stride 2) → relu → flatten → dense → softmax: every kind
# of layer the API treats differently, small enough to build in milliseconds.
TINY_SPEC = [
    {"type": "conv2d", "config": {"out_channels": 3, "kernel_size": 3, "padding": 1}},
    {"type": "relu"},
    {"type": "maxpool2d", "config": {"kernel_size": 2}},
    {"type": "conv2d", "config": {"out_channels": 4, "kernel_size": 3, "stride": 2}},
    {"type": "relu"},
    {"type": "flatten"},
    {"type": "dense", "config": {"out_features": 10}},
    {"type": "softmax"},
]
TINY_ID = "tiny"


def tiny_model() -> Model:
    model = Model.from_spec(
        TINY_SPEC, seed=7, name="Tiny test CNN", meta={"dataset": "none", "test_accuracy": 0.5}
    )
    for layer in model.layers:  # non-zero biases, so the tests see them used
        if "bias" in layer.params:
            layer.params["bias"][:] = np.linspace(-0.1, 0.1, layer.params["bias"].size)
    return model


def tiny_models(root: Path) -> Path:
    """``root/models``, made, holding the tiny model as ``tiny.npz``."""
    models = root / "models"
    models.mkdir()
    tiny_model().save(models / f"{TINY_ID}.npz")
    return models


# -- images -------------------------------------------------------------------------------


def png(img: Image.Image | np.ndarray, fmt: str = "PNG") -> bytes:
    if isinstance(img, np.ndarray):
        img = Image.fromarray(img)
    buf = io.BytesIO()
    img.save(buf, format=fmt)
    return buf.getvalue()


def data_url(data: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def draw_seven(size: int = 280, ink=0, background=255, mode: str = "L") -> Image.Image:
    """A hand-drawn-looking 7: thick strokes of ``ink`` on ``background``."""
    img = Image.new(mode, (size, size), background)
    d = ImageDraw.Draw(img)
    s = size / 280
    width = int(22 * s)
    d.line([(70 * s, 60 * s), (210 * s, 60 * s)], fill=ink, width=width)
    d.line([(210 * s, 60 * s), (120 * s, 230 * s)], fill=ink, width=width)
    d.line([(130 * s, 140 * s), (190 * s, 140 * s)], fill=ink, width=width)
    return img


def seven_pixels() -> list[list[float]]:
    """:func:`draw_seven` at 56×56 as ink in [0, 1] (white paper is 0)."""
    return (1 - np.asarray(draw_seven(56), dtype=np.float64) / 255).tolist()


def seven_data_url() -> str:
    """:func:`draw_seven` as a PNG data URL: an ``image`` the API decodes."""
    return data_url(png(draw_seven()))


def with_header_size(png_data: bytes, width: int, height: int) -> bytes:
    """``png_data`` with its IHDR claiming ``width × height`` (CRC fixed): a decompression bomb."""
    assert png_data[12:16] == b"IHDR"
    ihdr = png_data[12:29]  # type, then 13 bytes of data
    new = b"IHDR" + struct.pack(">II", width, height) + ihdr[12:]
    crc = struct.pack(">I", zlib.crc32(new) & 0xFFFFFFFF)
    return png_data[:12] + new + crc + png_data[33:]


# -- responses ----------------------------------------------------------------------------


def refused(response, status: int, *words: str) -> str:
    """Assert ``response`` is ``status`` with a non-empty ``detail`` string containing every
    one of ``words``; return the detail."""
    assert response.status_code == status, response.text[:2000]
    detail = response.json()["detail"]
    assert isinstance(detail, str) and detail, detail
    for word in words:
        assert word in detail, detail
    return detail


def reported_limits(client, names: tuple[str, ...]) -> dict[str, int]:
    """``GET /api/limits``: the values of ``names``, each one a positive whole number."""
    limits = client.get("/api/limits").json()
    got = {name: limits[name] for name in names}
    assert all(isinstance(v, int) and v > 0 for v in got.values()), got
    return got


def post_json(client, path: str, body):
    """POST ``body`` as JSON that may hold NaN or infinity (which ``json=`` refuses to send)."""
    return client.post(
        path,
        content=json.dumps(body, allow_nan=True),
        headers={"Content-Type": "application/json"},
    )


def decode_png(response) -> Image.Image:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png"
    img = Image.open(io.BytesIO(response.content))
    img.load()
    return img


def upload(client, name="lenet.onnx", display="My LeNet", **form):
    """POST the ONNX fixture ``name`` (and its external data) to ``/api/models/import``."""
    data, external = fixture_bytes(name)
    files = [("weights", (name.rsplit("/", 1)[-1], data, "application/octet-stream"))]
    files += [("external_data", (k, v, "application/octet-stream")) for k, v in external.items()]
    fields = {"name": display, **{k: json.dumps(v) if not isinstance(v, str) else v
                                  for k, v in form.items()}}  # fmt: skip
    return client.post("/api/models/import", data=fields, files=files)


# -- the anatomy ----------------------------------------------------------------------------

HYPER = ("input", "kernel", "bias", "stride", "padding", "dilation")
DIGIT = np.zeros((28, 28))
DIGIT[5:23, 12:16] = 1.0  # a "1"


def anatomy_client(tmp_path, **limits) -> TestClient:
    """A started client over an app whose registry holds ``two-convs`` (non-zero biases)."""
    app = create_app(Settings(models_dir=tmp_path, **limits))
    client = TestClient(app)
    client.__enter__()
    model = Model.from_spec(TWO_CONVS, (1, 28, 28), seed=7, name="two-convs")
    for layer in model.layers:  # non-zero biases, so the check covers them
        if "bias" in layer.params:
            layer.params["bias"][:] = np.linspace(-0.3, 0.3, layer.params["bias"].size)
    app.state.registry.add("two-convs", model)
    return client


def conv_preset(name: str, **changes) -> dict:
    """The ``/api/conv`` body of preset ``name``, with ``changes``."""
    return {**{k: PRESETS[name][k] for k in HYPER}, **changes}


def post_conv(client, body) -> dict:
    r = client.post("/api/conv", json=body)
    assert r.status_code == 200, r.text
    return r.json()


def matrix_times(matrix: dict, x) -> np.ndarray:
    """``M @ x.flatten() + bias`` rebuilt from the JSON ``WeightMatrix``."""
    m = np.zeros((matrix["rows"], matrix["cols"]))
    for row, col, k in matrix["entries"]:
        m[row, col] = matrix["kernel"][k]
    return m @ np.asarray(x, dtype=float).reshape(-1) + matrix["bias"]


def scipy_reference(x, w, stride, padding, op):
    """``x: (C, H, W)``, ``w: (C, kh, kw)``: SciPy's 'valid' result on the zero-padded input,
    summed over channels, then every ``stride``-th output."""
    xp = np.pad(x, ((0, 0), (padding, padding), (padding, padding)))
    full = sum(op(xp[c], w[c], mode="valid") for c in range(x.shape[0]))
    return full[::stride, ::stride]


# -- an .npz bomb ---------------------------------------------------------------------------

GIB_FLOATS = (1024, 1024, 1024)  # 4 GiB of float32


def bomb(shape=GIB_FLOATS, name="conv1.weight") -> bytes:
    """An .npz whose one member declares ``shape`` float32 and holds that many deflated zeros:
    about 4 MB for 4 GiB. Written as a zip64 by hand from one deflate block of 1 MiB of zeros
    repeated (a full flush makes blocks independent), so building it takes no 4 GiB pass
    through zlib; only the CRC walks the zeros (about a second)."""
    header = io.BytesIO()
    npy_format.write_array_header_1_0(
        header, {"descr": "<f4", "fortran_order": False, "shape": shape}
    )
    head = header.getvalue()
    chunk = bytes(1 << 20)
    n_chunks = int(np.prod(shape)) * 4 // len(chunk)
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = c.compress(head) + c.flush(zlib.Z_FULL_FLUSH)
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)
    data = first + block * n_chunks + b"\x03\x00"  # an empty final block ends the stream
    crc = zlib.crc32(head)
    for _ in range(n_chunks):
        crc = zlib.crc32(chunk, crc)
    size = len(head) + n_chunks * len(chunk)
    fname = f"{name}.npy".encode()
    extra = struct.pack("<HHQQ", 1, 16, size, len(data))  # zip64: real sizes
    common = struct.pack("<HHHHHI", 45, 0, 8, 0, 0x21, crc)
    local = b"PK\x03\x04" + common + struct.pack("<IIHH", 2**32 - 1, 2**32 - 1, len(fname), 20)
    local += fname + extra
    central = b"PK\x01\x02" + struct.pack("<H", 45) + common
    central += struct.pack("<IIHHHHHII", 2**32 - 1, 2**32 - 1, len(fname), 20, 0, 0, 0, 0, 0)
    central += fname + extra
    cd_offset = len(local) + len(data)
    eocd64 = b"PK\x06\x06" + struct.pack("<QHHIIQQQQ", 44, 45, 45, 0, 0, 1, 1, len(central),
                                           cd_offset)  # fmt: skip
    locator = b"PK\x06\x07" + struct.pack("<IQI", 0, cd_offset + len(central), 1)
    eocd = b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, 1, 1, len(central), cd_offset, 0)
    return local + data + central + eocd64 + locator + eocd


TABLE_DEADLINE_S = 600.0  # a whole-test-set table on a loaded machine; ends when the table is ready


def when_ready(client, path: str, **kwargs):
    """``GET path`` as the pages do it: a 503 with ``Retry-After`` (a table still computed in the
    background) is asked again after the seconds it says, until ``TABLE_DEADLINE_S``."""
    deadline = time.monotonic() + TABLE_DEADLINE_S
    while True:
        r = client.get(path, **kwargs)
        retry = r.headers.get("Retry-After")
        if r.status_code != 503 or retry is None or time.monotonic() > deadline:
            return r
        time.sleep(float(retry))  # the server's own pacing, until the table is ready
