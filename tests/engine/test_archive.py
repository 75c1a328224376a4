"""``engine.archive``: an .npz is judged by its zip directory and .npy headers before any array
is decompressed — a compressed bomb is refused in well under a second, in little memory."""

from __future__ import annotations

import io
import time
import tracemalloc
import zipfile

import numpy as np
import pytest
from numpy.lib import format as npy_format

from engine import archive
from engine.model import Model
from tests.specs import TWO_CONVS
from tests.utils import GIB_FLOATS, bomb


@pytest.fixture(scope="module")
def bomb_bytes() -> bytes:
    return bomb()


def test_the_bomb_is_small_and_declares_4_gib(bomb_bytes):
    assert len(bomb_bytes) < 5_000_000
    with zipfile.ZipFile(io.BytesIO(bomb_bytes)) as zf:
        assert zf.infolist()[0].file_size > 4 * 1024**3
        with zf.open("conv1.weight.npy") as f:  # a real deflate stream of the header + zeros
            assert npy_format.read_magic(f) == (1, 0)
            assert npy_format.read_array_header_1_0(f)[0] == GIB_FLOATS
            assert f.read(1 << 20) == bytes(1 << 20)


def test_a_bomb_is_refused_fast_in_little_memory(bomb_bytes):
    tracemalloc.start()
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match="more than the limit") as e:
        archive.inspect_npz(bomb_bytes, max_bytes=archive.MAX_MODEL_BYTES)
    seconds = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert seconds < 1.0, seconds
    assert peak < 50 * 1024 * 1024, peak
    assert "4,294,967," in str(e.value)  # the declared size, named


def test_a_member_whose_header_and_zip_size_disagree_is_refused():
    """A header declaring 4 GiB in a member the zip says is tiny: the mismatch is named."""
    header = io.BytesIO()
    npy_format.write_array_header_1_0(
        header, {"descr": "<f4", "fortran_order": False, "shape": GIB_FLOATS}
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("conv1.weight.npy", header.getvalue() + bytes(64))
    with pytest.raises(ValueError, match="declares a float32 array of shape"):
        archive.inspect_npz(buf.getvalue(), max_bytes=archive.MAX_MODEL_BYTES)


def test_object_arrays_and_non_npy_members_are_refused():
    buf = io.BytesIO()
    np.savez(buf, a=np.array([{"x": 1}], dtype=object))
    with pytest.raises(ValueError, match="Python objects"):
        archive.inspect_npz(buf.getvalue(), max_bytes=1 << 20)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("evil.txt", b"hello")
    with pytest.raises(ValueError, match="not an .npy array"):
        archive.inspect_npz(buf.getvalue(), max_bytes=1 << 20)


def test_headers_are_read_and_checked_against_the_expected_parameters():
    model = Model.from_spec(TWO_CONVS, seed=0)
    buf = io.BytesIO()
    np.savez(buf, **model.params())
    members = archive.inspect_npz(buf.getvalue(), max_bytes=1 << 24)
    expected = {k: p.shape for k, p in model.params().items()}
    assert {k: m.shape for k, m in members.items()} == expected
    archive.check_expected(members, expected)
    first = next(iter(expected))
    wrong = {**expected, first: (1, 2, 3)}
    with pytest.raises(ValueError, match=f"{first} has shape"):
        archive.check_expected(members, wrong)
    with pytest.raises(ValueError, match="missing"):
        archive.check_expected(members, {**expected, "fc9.weight": (1,)})


def test_a_model_file_bomb_is_refused_by_model_loading(tmp_path, bomb_bytes):
    path = tmp_path / "bomb.npz"
    path.write_bytes(bomb_bytes)
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match="more than the limit"):
        Model.load(path)
    assert time.perf_counter() - t0 < 1.0


def test_a_saved_model_still_loads(tmp_path):
    model = Model.from_spec(TWO_CONVS, seed=3)
    model.save(tmp_path / "m.npz")
    again = Model.load(tmp_path / "m.npz")
    for k, p in model.params().items():
        np.testing.assert_array_equal(again.params()[k], p)
