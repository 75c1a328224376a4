"""The command line, run as a user runs it."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine.cli import main
from engine.model import Model
from tests.zips import make_zip, pattern_bytes

ROOT = Path(__file__).resolve().parents[2]


def test_help_explains_each_command():
    out = subprocess.run(
        [sys.executable, "-m", "engine", "train", "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    ).stdout
    for option in ("--data-dir", "--download", "--epochs", "--arch", "--seed", "--no-augment"):
        assert option in out


def test_train_summary_evaluate(tmp_path, capsys):
    # data/ ships only the test split: a folder where it stands in for the training split too
    mnist, out = tmp_path / "mnist", tmp_path / "m.npz"
    mnist.mkdir()
    for split in ("train", "t10k"):
        for kind in ("images-idx3", "labels-idx1"):
            src = ROOT / "data" / "mnist" / f"t10k-{kind}-ubyte.gz"
            (mnist / f"{split}-{kind}-ubyte.gz").symlink_to(src)
    argv = [
        "train",
        "--arch",
        "tiny",
        "--data-dir",
        str(tmp_path),
        "--epochs",
        "1",
        "--limit",
        "300",
    ]
    assert main([*argv, "--out", str(out)]) == 0
    model = Model.load(out)
    assert model.meta["train_images"] == 300 and "python -m engine train" in model.meta["command"]
    assert main(["summary", str(out)]) == 0
    assert "conv1 (conv2d)" in capsys.readouterr().out
    assert main(["evaluate", str(out), "--data-dir", str(ROOT / "data")]) == 0
    assert "accuracy" in capsys.readouterr().out
    assert main(["summary", str(out), "--markdown"]) == 0
    card = capsys.readouterr().out
    assert "| 0 | conv1 | conv2d | (4, 28, 28) | 40 |" in card
    assert f"test accuracy | {model.meta['test_accuracy']:.2%}" in card and "| 1 | " in card


def test_errors_are_clear_not_tracebacks(tmp_path, capsys):
    assert main(["evaluate", str(tmp_path / "missing.npz")]) == 2
    assert "missing.npz" in capsys.readouterr().err
    assert main(["train", "--arch", "nope", "--data-dir", str(tmp_path)]) == 2
    assert "architecture 'nope'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["train", "--epochs", "lots"])


def test_import_onnx_writes_a_model_with_its_convention(tmp_path, capsys):
    from engine.cli import main
    from engine.model import Model
    from tests.onnx_fixtures import FIXTURES, mnist_digits, network_input

    argv = ["import", str(FIXTURES / "lenet.onnx"), "--name", "My LeNet", "--mean", "0.1307"]
    argv += ["--std", "0.3081", "--models-dir", str(tmp_path)]
    assert main(argv) == 0
    assert "wrote" in capsys.readouterr().out
    model = Model.load(tmp_path / "my-lenet.npz")
    assert model.meta["input"]["mean"] == [0.1307] and model.meta["source"] == "onnx"
    ink, labels = mnist_digits(20)
    assert (model.predict_proba(network_input("lenet.onnx", ink)).argmax(1) == labels).mean() > 0.8
    assert main(argv) == 2  # exists: refused without --force
    dynamo = FIXTURES / "dynamo"
    argv = ["import", str(dynamo / "model.onnx"), "--models-dir", str(tmp_path)]
    assert main(argv) == 2
    assert "upload it as external_data" in capsys.readouterr().err
    assert main([*argv, "--external-data", str(dynamo / "model.onnx.data")]) == 0


def test_train_and_evaluate_on_an_image_folder_with_flips_and_crops(tmp_path, capsys):
    files = {
        f"{which}/{cls}/{i}.png": pattern_bytes(8, 8, 10 * c + i)[0]
        for c, cls in enumerate(("cat", "dog"))
        for which in ("train", "test")
        for i in range(4)
    }
    (tmp_path / "pets.zip").write_bytes(make_zip(files))
    spec = {
        "input_shape": [3, 8, 8],
        "layers": [{"type": "flatten"}, {"type": "dense", "config": {"out_features": 2}}],
    }
    (tmp_path / "arch.json").write_text(json.dumps(spec))
    out = tmp_path / "pets.npz"
    argv = ["train", "--dataset", str(tmp_path / "pets.zip"), "--arch", str(tmp_path / "arch.json")]
    argv += ["--epochs", "1", "--no-augment", "--flip", "--crop", "2", "--out", str(out)]
    assert main(argv) == 0
    assert Model.load(out).classes == ["cat", "dog"]
    assert main(["evaluate", str(out), "--dataset", str(tmp_path / "pets.zip")]) == 0
    assert "accuracy" in capsys.readouterr().out
    assert main(["evaluate", str(out), "--dataset", "nope"]) == 2
    assert "--dataset must be one of mnist, fashion-mnist, cifar10" in capsys.readouterr().err


def test_train_adds_pen_digits_and_starts_from_a_saved_model(tmp_path):
    from tests.engine.pendigits_sample import UNIPEN

    mnist, pen, first = tmp_path / "mnist", tmp_path / "pen", tmp_path / "a.npz"
    mnist.mkdir()
    for split in ("train", "t10k"):
        for kind in ("images-idx3", "labels-idx1"):
            src = ROOT / "data" / "mnist" / f"t10k-{kind}-ubyte.gz"
            (mnist / f"{split}-{kind}-ubyte.gz").symlink_to(src)
    pen.write_text(UNIPEN)
    argv = ["train", "--arch", "tiny", "--data-dir", str(tmp_path), "--epochs", "1"]
    argv += ["--limit", "100", "--pendigits", str(pen), "--pendigits-writers", "3,14"]
    assert main([*argv, "--pendigits-copies", "3", "--out", str(first)]) == 0
    assert Model.load(first).meta["train_images"] == 100 + 2 * 3
    second = tmp_path / "b.npz"  # another seed would start elsewhere: --init must win
    argv += ["--init", str(first), "--lr", "1e-12", "--seed", "1", "--out", str(second)]
    assert main(argv) == 0
    a, b = Model.load(first).state(), Model.load(second).state()
    assert all(np.allclose(a[k], b[k], atol=1e-6) for k in a)  # the same weights, barely moved
