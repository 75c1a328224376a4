"""Fixtures for the app tests: a small model saved in a temporary models dir, and clients.

The app tests never depend on the shipped trained model (``models/mnist-cnn.npz``); only
``models/test_shipped.py`` looks at it, and skips when it is not there.
"""

from __future__ import annotations

import base64
import io
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image, ImageDraw

from app.core.settings import Settings
from app.main import create_app
from engine.model import Model
from tests.app.trainset import directories

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


@pytest.fixture(scope="session")
def model() -> Model:
    """The model the app serves as ``tiny`` (same weights: built from the same seed)."""
    return tiny_model()


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("models")
    tiny_model().save(d / f"{TINY_ID}.npz")
    (d / f"{TINY_ID}.json").write_text('{"description": "a card beside the weights"}')
    (d / "broken.npz").write_bytes(b"not a zip file")
    tiny_model().save(d / "tiny.ckpt.npz")  # a training checkpoint: not a model
    return d


@pytest.fixture(scope="session")
def settings(models_dir, tmp_path_factory) -> Settings:
    return Settings(models_dir=models_dir, data_dir=tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="session")
def client(settings) -> TestClient:
    with TestClient(create_app(settings)) as c:
        yield c


@pytest.fixture
def make_client(settings) -> Callable[..., TestClient]:
    """``make_client(max_image_bytes=100)``: a client over an app with some settings changed."""
    clients = []

    def make(**changes) -> TestClient:
        c = TestClient(create_app(settings.model_copy(update=changes)))
        c.__enter__()
        clients.append(c)
        return c

    yield make
    for c in clients:
        c.__exit__(None, None, None)


@pytest.fixture(scope="module")
def mnist_settings(tmp_path_factory) -> Settings:
    """A models dir with the stand-in default model, the MNIST test set as data (both sets)."""
    models, data = directories(tmp_path_factory.mktemp("mnist"))
    return Settings(models_dir=models, data_dir=data)


@pytest.fixture(scope="module")
def http(mnist_settings) -> TestClient:
    """A client of the app over ``mnist_settings``."""
    with TestClient(create_app(mnist_settings)) as c:
        yield c


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


def with_header_size(png_data: bytes, width: int, height: int) -> bytes:
    """``png_data`` with its IHDR claiming ``width × height`` (CRC fixed): a decompression bomb."""
    assert png_data[12:16] == b"IHDR"
    ihdr = png_data[12:29]  # type, then 13 bytes of data
    new = b"IHDR" + struct.pack(">II", width, height) + ihdr[12:]
    crc = struct.pack(">I", zlib.crc32(new) & 0xFFFFFFFF)
    return png_data[:12] + new + crc + png_data[33:]
