"""Atomic writes: the target is replaced whole or not at all, and no temporary file is left."""

from __future__ import annotations

import numpy as np
import pytest

from engine.io import atomic_path, atomic_write_bytes


def test_atomic_write_bytes_creates_and_replaces(tmp_path):
    path = tmp_path / "file.bin"
    atomic_write_bytes(path, b"first")
    atomic_write_bytes(path, b"second")
    assert path.read_bytes() == b"second"
    assert [p.name for p in tmp_path.iterdir()] == ["file.bin"]


def test_atomic_path_leaves_old_file_on_failure(tmp_path):
    path = tmp_path / "model.npz"
    path.write_bytes(b"old")
    with pytest.raises(RuntimeError, match="boom"), atomic_path(path) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("boom")
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]


def test_atomic_path_works_with_np_savez(tmp_path):
    path = tmp_path / "model.npz"
    with atomic_path(path) as tmp:
        assert tmp.parent == tmp_path and tmp.suffix == ".npz"  # savez must not append .npz
        np.savez(tmp, w=np.arange(3))
    with np.load(path) as f:
        np.testing.assert_array_equal(f["w"], np.arange(3))
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]


def test_atomic_path_complains_when_nothing_was_written(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing was written"), atomic_path(tmp_path / "x"):
        pass
    assert not (tmp_path / "x").exists()
