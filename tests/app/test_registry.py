"""The model registry: loaded once, ids from file names, cards, bad files kept out."""

import pytest

from app.registry import ModelRegistry, check_model_id
from tests.app.conftest import tiny_model


def test_loads_models_skips_checkpoints_and_reports_broken_files(models_dir):
    reg = ModelRegistry(models_dir)
    reg.reload()
    assert reg.ids() == ["tiny"]
    assert list(reg.errors) == ["broken.npz"]
    entry = reg.get("tiny")
    assert entry.card["description"] == "a card beside the weights"  # from tiny.json
    assert entry.card["dataset"] == "none"  # from the weights' meta
    assert entry.info()["test_accuracy"] == 0.5


def test_bad_file_name_is_an_error_not_a_model(tmp_path):
    tiny_model().save(tmp_path / "Bad Name.npz")
    reg = ModelRegistry(tmp_path)
    reg.reload()
    assert len(reg) == 0
    assert "model id must match" in reg.errors["Bad Name.npz"]


def test_default_model_first(tmp_path):
    for name in ("aaa", "mnist-cnn", "zzz"):
        tiny_model().save(tmp_path / f"{name}.npz")
    reg = ModelRegistry(tmp_path, default_id="mnist-cnn")
    reg.reload()
    assert reg.ids() == ["mnist-cnn", "aaa", "zzz"]
    assert reg.default == "mnist-cnn"


def test_add_and_reload(tmp_path):
    reg = ModelRegistry(tmp_path)
    reg.reload()
    assert reg.default is None
    reg.add("extra", tiny_model(), {"dataset": "x"})
    assert reg.get("extra").info()["dataset"] == "x"
    reg.reload()  # the directory is the truth again
    with pytest.raises(KeyError):
        reg.get("extra")


@pytest.mark.parametrize("bad", ["", "-x", "A", "a b", "a/b", "x" * 65, "..", "é"])
def test_model_ids_are_checked(bad):
    with pytest.raises(ValueError, match="model id must match"):
        check_model_id(bad)


def test_card_must_be_a_json_object(tmp_path):
    tiny_model().save(tmp_path / "m.npz")
    (tmp_path / "m.json").write_text("[1, 2]")
    reg = ModelRegistry(tmp_path)
    reg.reload()
    assert "JSON object" in reg.errors["m.npz"]
