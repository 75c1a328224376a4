"""Model: shapes, summary, save/load round trip, and files that must be refused."""

import io
import json
import zipfile

import numpy as np
import pytest

from engine import architectures
from engine.model import ARCH_KEY, Model

SPEC = architectures.load_spec("tiny")["layers"]


@pytest.fixture
def model():
    return Model.from_spec(SPEC, seed=3, name="tiny")


def test_forward_returns_every_layer_output(model):
    x = np.random.default_rng(0).random((2, 1, 28, 28), dtype=np.float32)
    outs = model.forward(x, return_all=True)
    assert [o.shape[1:] for o in outs] == [tuple(s) for s in model.shapes[1:]]
    np.testing.assert_allclose(outs[-1].sum(axis=1), 1, rtol=1e-5)
    assert outs[-1].dtype == np.float32


def test_layer_info_and_summary(model):
    info = model.layer_info()
    assert [i["type"] for i in info] == [
        "conv2d",
        "relu",
        "maxpool2d",
        "flatten",
        "dense",
        "softmax",
    ]
    assert info[0]["config"]["kernel_size"] == [3, 3] and info[0]["num_params"] == 4 * 9 + 4
    assert info[4]["input_shape"] == [4 * 14 * 14] and info[4]["num_params"] == 784 * 10 + 10
    text = model.summary()
    assert "conv1 (conv2d)" in text and "(4, 28, 28)" in text and f"{model.num_params:,}" in text


def test_in_channels_and_features_are_inferred_and_checked():
    with pytest.raises(ValueError, match=r"layer 1 .*expects input \(C=3"):
        Model.from_spec(
            [
                {"type": "conv2d", "config": {"out_channels": 2, "kernel_size": 3}},
                {
                    "type": "conv2d",
                    "config": {"in_channels": 3, "out_channels": 2, "kernel_size": 3},
                },
            ]
        )
    with pytest.raises(ValueError, match="kernel spans 31"):
        Model.from_spec([{"type": "conv2d", "config": {"out_channels": 1, "kernel_size": 31}}])


def test_save_load_round_trip(model, tmp_path):
    model.meta["test_accuracy"] = 0.5
    model.save(tmp_path / "m.npz")
    loaded = Model.load(tmp_path / "m.npz")
    x = np.random.default_rng(1).random((3, 1, 28, 28), dtype=np.float32)
    np.testing.assert_array_equal(loaded.forward(x), model.forward(x))
    assert loaded.layer_info() == model.layer_info()
    assert loaded.meta["test_accuracy"] == 0.5 and loaded.name == "tiny"
    assert not list(tmp_path.glob("*.tmp*")), "atomic save left a temporary file"


def _arrays(model):
    arch = json.dumps(model.architecture()).encode()
    return {ARCH_KEY: np.frombuffer(arch, np.uint8), **model.params()}


def _write(path, arrays):
    np.savez(path, **arrays)
    return path


def test_truncated_file(model, tmp_path):
    model.save(tmp_path / "m.npz")
    raw = (tmp_path / "m.npz").read_bytes()
    (tmp_path / "t.npz").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(ValueError, match="t.npz: not a readable"):
        Model.load(tmp_path / "t.npz")


def test_missing_and_mismatched_parameters(model, tmp_path):
    arrays = _arrays(model)
    del arrays["conv1.bias"]
    with pytest.raises(ValueError, match=r"missing \['conv1.bias'\]"):
        Model.load(_write(tmp_path / "a.npz", arrays))
    arrays = _arrays(model)
    arrays["fc1.weight"] = np.zeros((10, 5), np.float32)
    with pytest.raises(ValueError, match=r"fc1.weight has shape \(10, 5\)"):
        Model.load(_write(tmp_path / "b.npz", arrays))
    arrays = _arrays(model)
    arrays["conv1.weight"] = np.full((4, 1, 3, 3), np.nan, np.float32)
    with pytest.raises(ValueError, match="NaN"):
        Model.load(_write(tmp_path / "c.npz", arrays))


def test_bad_architecture(model, tmp_path):
    arrays = _arrays(model)
    arrays[ARCH_KEY] = np.frombuffer(b"{not json", np.uint8)
    with pytest.raises(ValueError, match="not valid JSON"):
        Model.load(_write(tmp_path / "a.npz", arrays))
    arrays = _arrays(model)
    bad = model.architecture()
    bad["layers"][0]["type"] = "os.system"
    arrays[ARCH_KEY] = np.frombuffer(json.dumps(bad).encode(), np.uint8)
    with pytest.raises(ValueError, match="unknown layer type 'os.system'"):
        Model.load(_write(tmp_path / "b.npz", arrays))
    arrays = _arrays(model)
    del arrays[ARCH_KEY]
    with pytest.raises(ValueError, match="not a CNN Explorer model"):
        Model.load(_write(tmp_path / "c.npz", arrays))


def test_pickled_object_arrays_are_refused(model, tmp_path):
    arrays = _arrays(model)
    arrays["conv1.weight"] = np.array([{"evil": 1}], dtype=object)  # would need pickle to load
    with pytest.raises(ValueError, match="not a readable"):
        Model.load(_write(tmp_path / "p.npz", arrays))


def test_not_a_zip(tmp_path):
    (tmp_path / "x.npz").write_bytes(b"hello")
    with pytest.raises(ValueError, match="x.npz"):
        Model.load(tmp_path / "x.npz")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("junk.txt", "x")
    (tmp_path / "z.npz").write_bytes(buf.getvalue())
    with pytest.raises(ValueError, match="z.npz"):
        Model.load(tmp_path / "z.npz")
