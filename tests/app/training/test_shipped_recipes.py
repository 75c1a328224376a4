"""The shipped models' own recipes fit the default training limits: a user who presses "Use
its recipe" on the Train page (or sends the card's request) gets a job, not a 422."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.settings import Settings
from app.training.architecture import check
from engine import architectures
from engine.model import Model

ROOT = Path(__file__).resolve().parents[3]
BUILT_IN = ("cifar10-bn", "cifar10-lenet", "mnist-cnn")  # shipped models with an architecture


@pytest.mark.parametrize("name", BUILT_IN)
def test_a_shipped_models_recipe_is_within_the_default_limits(name, tmp_path):
    meta = Model.load(ROOT / "models" / f"{name}.npz").meta
    config = meta["training"]["config"]
    spec = architectures.load_spec(name)
    checked = check(spec["layers"], meta["dataset"], Settings(models_dir=tmp_path),
                    batch_size=config["batch_size"])  # fmt: skip
    assert checked.model.num_params == Model.load(ROOT / "models" / f"{name}.npz").num_params
