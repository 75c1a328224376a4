from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "onnx"


@pytest.fixture
def user_dir(tmp_path, monkeypatch) -> Path:
    """A per-user folder of the test's own: the command and the notebook write only there."""
    monkeypatch.setenv("CNN_EXPLORER_USER_DIR", str(tmp_path / "user"))
    monkeypatch.delenv("CNN_EXPLORER_MODELS_DIR", raising=False)
    monkeypatch.delenv("CNN_EXPLORER_CACHE_DIR", raising=False)
    return tmp_path / "user"


@pytest.fixture
def onnx_file() -> Path:
    return FIXTURES / "bn_dropout.onnx"
