"""``cnn-explorer``: its options, importing into the per-user folder, refusals, serving."""

from __future__ import annotations

import pytest

from app.core.paths import RESOURCES
from cnn_explorer import cli, local
from engine.model import Model
from tests.onnx_fixtures import FIXTURES


def test_help_lists_every_option(capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(["--help"])
    assert e.value.code == 0
    text = capsys.readouterr().out
    options = [s for a in cli.parser()._actions for s in a.option_strings if s.startswith("--")]
    for name in ("--port", "--host", "--no-browser", "--channels", "--mean", "--std", "--classes"):
        assert name in options
    for option in options:
        assert option in text


@pytest.fixture
def served(monkeypatch):
    """What ``main`` would serve and open, instead of serving it."""
    calls = {}
    monkeypatch.setattr(cli, "serve", lambda env: calls.setdefault("env", env))
    monkeypatch.setattr(cli, "open_when_up", lambda url: calls.setdefault("url", url))
    return calls


def test_a_model_is_imported_into_the_user_folder_and_opened(user_dir, onnx_file, served):
    code = cli.main(
        [str(onnx_file), "--name", "My Net", "--mean", "0.5", "--std", "0.25", "--port", "8123"]
    )
    assert code == 0
    models = user_dir / "models"
    model = Model.load(models / "my-net.npz")
    assert model.meta["input"]["mean"] == [0.5] and model.meta["input"]["std"] == [0.25]
    assert served["url"] == "http://127.0.0.1:8123/?model=my-net"
    assert served["env"]["CNN_EXPLORER_MODELS_DIR"] == str(models)
    assert served["env"]["CNN_EXPLORER_PORT"] == "8123"
    assert (models / "mnist-cnn.npz").is_file()  # the shipped models are served too
    assert not (RESOURCES / "models" / "my-net.npz").exists()  # never into the checkout


def test_opening_the_same_file_again_replaces_its_import(user_dir, onnx_file, served):
    assert cli.main([str(onnx_file), "--no-browser"]) == 0
    assert cli.main([str(onnx_file), "--no-browser", "--std", "2"]) == 0
    models = user_dir / "models"
    assert sorted(p.name for p in models.glob("bn-dropout*")) == ["bn-dropout.npz"]
    assert Model.load(models / "bn-dropout.npz").meta["input"]["std"] == [2.0]
    assert "url" not in served  # --no-browser


def test_a_refused_file_prints_the_importers_message(user_dir, tmp_path, served, capsys):
    bad = tmp_path / "broken.onnx"
    bad.write_bytes(b"this is not a protobuf")
    assert cli.main([str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"cnn-explorer: {bad}: ") and len(err.strip()) > len(str(bad)) + 16
    assert not (user_dir / "models" / "broken.npz").exists()
    assert served == {}  # nothing served


def test_a_bad_convention_is_refused_by_name(user_dir, onnx_file, served, capsys):
    assert cli.main([str(onnx_file), "--std", "0"]) == 2
    assert "std" in capsys.readouterr().err


def test_shipped_models_are_copied_once(tmp_path):
    target = tmp_path / "models"
    copied = local.seed(target)
    assert "mnist-cnn.npz" in copied and "README.md" not in copied
    (target / "mnist-mlp.npz").unlink()  # the user deleted it: it stays deleted
    assert local.seed(target) == []
    assert not (target / "mnist-mlp.npz").exists()


def test_a_colour_model_is_labelled_with_cifar10s_classes(user_dir, served):
    onnx = FIXTURES / "big" / "resnet18_narrow.onnx"  # 3×32×32 in, 10 logits out
    argv = [str(onnx), "--channels", "rgb", "--dataset", "cifar10", "--no-browser"]
    assert cli.main(argv) == 0
    model = Model.load(user_dir / "models" / "resnet18-narrow.npz")
    assert model.classes[:3] == ["airplane", "automobile", "bird"]
