"""``Settings.from_env``: defaults, overrides and refusals."""

import os
from pathlib import Path

import pytest

from app.core.settings import PREFIX, REPO_ROOT, Settings


def from_env(monkeypatch, environ):
    """``Settings.from_env()`` with exactly ``environ`` as the ``CNN_EXPLORER_*`` variables."""
    for name in os.environ:
        if name.startswith(PREFIX):
            monkeypatch.delenv(name)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    return Settings.from_env()


def test_defaults(monkeypatch):
    s = from_env(monkeypatch, {})
    assert (s.host, s.port) == ("127.0.0.1", 8000)
    assert s.models_dir == REPO_ROOT / "models"
    assert s.data_dir == REPO_ROOT / "data"
    assert s.max_image_bytes == 2 * 1024 * 1024


def test_environment_overrides(monkeypatch):
    s = from_env(
        monkeypatch,
        {
            "CNN_EXPLORER_PORT": "9001",
            "CNN_EXPLORER_HOST": "0.0.0.0",
            "CNN_EXPLORER_MODELS_DIR": "/tmp/m",
            "CNN_EXPLORER_MAX_IMAGE_SIDE": "100",
            "CNN_EXPLORER_LOG_LEVEL": "debug",
        },
    )
    assert (s.port, s.host, s.models_dir) == (9001, "0.0.0.0", Path("/tmp/m"))
    assert s.max_image_side == 100 and s.log_level == "debug"


@pytest.mark.parametrize("value", ["abc", "-1", "0", "1.5"])
def test_bad_numbers_name_the_variable(monkeypatch, value):
    with pytest.raises(ValueError, match="CNN_EXPLORER_MAX_IMAGE_BYTES"):
        from_env(monkeypatch, {"CNN_EXPLORER_MAX_IMAGE_BYTES": value})


def test_limits_are_the_max_and_min_fields():
    limits = Settings().limits()
    assert "max_image_bytes" in limits and "min_pixels_side" in limits
    assert "port" not in limits and "models_dir" not in limits
