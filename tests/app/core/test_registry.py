"""The model registry: loaded once, ids from file names, cards, bad files kept out."""

import pytest

from app.core.registry import ModelRegistry, check_model_id
from tests.utils import tiny_model


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


# -- several processes over one directory (uvicorn workers) ------------------------------------


def _two_registries(tmp_path):
    tiny_model().save(tmp_path / "a.npz")
    one, two = ModelRegistry(tmp_path), ModelRegistry(tmp_path)
    one.reload()
    two.reload()
    return one, two


def test_a_model_saved_by_another_process_appears(tmp_path):
    one, two = _two_registries(tmp_path)
    model = tiny_model()
    model.save(tmp_path / "b.npz")  # what model_store.install does in the other process
    one.add("b", model)
    assert two.ids() == ["a", "b"]
    assert two.get("b").model.num_params == model.num_params


def test_a_model_deleted_or_replaced_by_another_process_follows(tmp_path):
    one, two = _two_registries(tmp_path)
    before = two.get("a")
    (tmp_path / "a.json").write_text('{"name": "renamed elsewhere"}')
    assert two.get("a").info()["name"] == "renamed elsewhere"
    assert two.get("a") is not before  # a whole new entry, swapped in
    (tmp_path / "a.npz").unlink()
    (tmp_path / "a.json").unlink()
    one.remove("a")
    with pytest.raises(KeyError):
        two.get("a")
    assert two.ids() == []


def test_nothing_is_reloaded_when_nothing_changed(tmp_path):
    one, two = _two_registries(tmp_path)
    entry = two.get("a")
    for _ in range(3):
        two.refresh()
    assert two.get("a") is entry


def test_a_model_added_in_memory_only_stays(tmp_path):
    one, _ = _two_registries(tmp_path)
    one.add("memory-only", tiny_model())
    tiny_model().save(tmp_path / "c.npz")
    assert one.ids() == ["a", "c", "memory-only"]


def test_a_file_broken_by_another_process_is_reported(tmp_path):
    one, two = _two_registries(tmp_path)
    (tmp_path / "d.npz").write_bytes(b"no zip")
    assert two.ids() == ["a"]
    assert "d.npz" in two.errors
