"""The training tests' live server: ``python -m app`` (uvicorn and the training consumer,
``tests.live``) over a temporary models directory and a data directory in which the shipped
MNIST test set stands in for the training set too. Module-scoped: each test module has its own.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from app.core.settings import Settings
from tests.app.trainset import directories
from tests.live import LiveServer, app_env


@pytest.fixture(scope="module")
def settings(tmp_path_factory) -> Settings:
    models, data = directories(tmp_path_factory.mktemp("train"))
    return Settings(models_dir=models, data_dir=data, sse_heartbeat_seconds=1)


@pytest.fixture(scope="module")
def server(settings) -> Iterator[LiveServer]:
    """``python -m app`` over these directories: the server and its training consumer."""
    env = app_env(
        models_dir=settings.models_dir,
        data_dir=settings.data_dir,
        sse_heartbeat_seconds=1,
        log_level="warning",
    )
    with LiveServer(settings.models_dir.parent / "server.log", env) as s:
        yield s


@pytest.fixture(scope="module")
def http(server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as c:
        yield c
