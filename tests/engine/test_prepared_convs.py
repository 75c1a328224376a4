"""A fused convolution's folded weights and epilogue are kept between inference forwards
(engine/fusion.py, PreparedConvs) — and remade whenever anything they came from changes: an
edit in place, a reassigned array, eps, a clamp bound, the batch size (which decides the fold)
or the dtype. Each forward is compared with the plain forward (every layer on its own)."""

from __future__ import annotations

import numpy as np
import pytest

from engine import fusion
from engine.model import Model
from tests.engine.fused_nets import RELU6, bn, conv, with_statistics

SHAPE = (3, 9, 9)
SPECS = [
    conv("c1", 4, bias=False),  # 4·3·3·3 = 108 weights: folded at any batch
    bn("b1"),
    {"type": "relu", "name": "r1"},
    conv("c2", 40),  # 40·4·3·3 = 1,440 weights against 3,240 outputs a sample: folded
    bn("b2"),
    {"name": "r2", **RELU6},
]


@pytest.fixture
def model():
    return with_statistics(Model.from_spec(SPECS, SHAPE, seed=1), seed=3)


def x_of(batch=2, dtype=np.float32):
    return np.random.default_rng(4).standard_normal((batch, *SHAPE)).astype(dtype)


def check(model, x):
    """The fused forward against the plain one; returns the fused output."""
    fused, plain = model.forward(x), model.forward(x, return_all=True)[-1]
    np.testing.assert_allclose(fused, plain, rtol=1e-5, atol=1e-5 * np.abs(plain).max())
    return fused


def count_builds(monkeypatch) -> list:
    built = []
    real = fusion.chain_epilogue
    monkeypatch.setattr(fusion, "chain_epilogue", lambda *a: built.append(a) or real(*a))
    return built


def test_a_second_forward_reuses_what_the_first_prepared(model, monkeypatch):
    built = count_builds(monkeypatch)
    first = check(model, x_of())
    assert len(built) == 2  # one per fused convolution
    assert np.array_equal(model.forward(x_of()), first) and len(built) == 2


EDITS = {
    "running variance in place": lambda m: m.layers[1].buffers["running_var"].__imul__(3.0),
    "gamma reassigned": lambda m: m.layers[4].params.__setitem__(
        "weight", m.layers[4].params["weight"] * -1.5
    ),
    "a folded weight in place": lambda m: (
        m.layers[3].params["weight"].__setitem__((0, 0, 1, 1), 9.0)
    ),
    "a folded bias in place": lambda m: m.layers[3].params["bias"].__iadd__(2.0),
    "eps": lambda m: setattr(m.layers[1], "eps", 0.5),
    "the clamp's upper bound": lambda m: setattr(m.layers[5], "max_val", 0.25),
}


@pytest.mark.parametrize("keep", [fusion.KEEP_FOLDED_VALUES, 0])  # folded weights kept or not
@pytest.mark.parametrize("edit", sorted(EDITS))
def test_any_change_to_a_source_is_seen_by_the_next_forward(model, edit, keep, monkeypatch):
    monkeypatch.setattr(fusion, "KEEP_FOLDED_VALUES", keep)
    before = check(model, x_of())
    built = count_builds(monkeypatch)
    EDITS[edit](model)
    after = check(model, x_of())  # equal to the plain forward of the edited model
    assert not np.array_equal(after, before)
    assert built or (keep == 0 and "folded" in edit)  # not kept: folded again, nothing rebuilt


def test_large_folded_weights_are_folded_again_not_kept(model, monkeypatch):
    monkeypatch.setattr(fusion, "KEEP_FOLDED_VALUES", 200)  # c1's 108 weights kept, c2's 1,440 not
    first = check(model, x_of())
    entries = model._prepared._entries
    assert entries[0][2] not in (None, "refold") and entries[3][2] == "refold"
    assert np.array_equal(model.forward(x_of()), first)


def test_the_batch_size_and_dtype_remake_the_entry(model, monkeypatch):
    check(model, x_of(batch=2))
    built = count_builds(monkeypatch)
    check(model, x_of(batch=1))
    assert len(built) == 2
    out = check(model, x_of(batch=1, dtype=np.float64))
    assert out.dtype == np.float64 and len(built) == 4
