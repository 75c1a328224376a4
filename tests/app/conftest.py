"""Fixtures for the app tests: a small model saved in a temporary models dir, and clients.

The app tests never depend on the shipped trained model (``models/mnist-cnn.npz``); only
``models/test_shipped.py`` looks at it, and skips when it is not there.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.core.settings import Settings
from app.main import create_app
from engine.model import Model
from tests.app.trainset import directories
from tests.utils import TINY_ID, tiny_model


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


# -- the fuzz's figures in the terminal summary ---------------------------------------------

FUZZ_STATS = pytest.StashKey[dict]()


@pytest.fixture(scope="session")
def fuzz_stats(request) -> dict:
    """What the API fuzz (``test_fuzz_api.py``) counts: requests, their seconds, the slowest."""
    return request.config.stash.setdefault(FUZZ_STATS, {"cases": 0, "seconds": 0.0})


def pytest_terminal_summary(terminalreporter, config) -> None:
    """How many requests the fuzz made, when it ran: a figure for the report."""
    stats = config.stash.get(FUZZ_STATS, None)
    if stats and stats["cases"]:
        seconds, operation = stats.get("slowest", (0.0, "-"))
        terminalreporter.write_line(
            f"fuzz: {stats['cases']} requests in {stats['seconds']:.1f} s; "
            f"slowest {seconds:.2f} s ({operation})"
        )
