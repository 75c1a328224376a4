"""NumPy's ufunc buffer made small around the convolution's scatter: restored afterwards (also
on an error), and the scatter's sums bit for bit those of the same adds at the default size."""

import threading

import numpy as np
import pytest

from engine.ops import im2col
from engine.ops.buffering import SMALL_BUFFER, small_buffer

rng = np.random.default_rng(23)


def test_small_buffer_sets_and_restores_numpys_buffer_size():
    before = np.getbufsize()
    with small_buffer():
        assert np.getbufsize() == SMALL_BUFFER
        with small_buffer(64):
            assert np.getbufsize() == 64
        assert np.getbufsize() == SMALL_BUFFER
    assert np.getbufsize() == before


def test_small_buffer_is_restored_when_the_body_raises():
    before = np.getbufsize()
    with pytest.raises(RuntimeError, match="boom"), small_buffer():
        raise RuntimeError("boom")
    assert np.getbufsize() == before


def test_small_buffer_leaves_other_threads_alone():
    seen = []
    with small_buffer():
        worker = threading.Thread(target=lambda: seen.append(np.getbufsize()))
        worker.start()
        worker.join()
    assert seen == [np.getbufsize()] and seen[0] != SMALL_BUFFER


@pytest.mark.parametrize(("stride", "dilation"), [((1, 1), (1, 1)), ((2, 1), (1, 2))])
def test_scatter_add_equals_the_same_adds_at_the_default_buffer(stride, dilation):
    C, kh, kw, rows, W_out, N, first = 3, 3, 2, 4, 5, 7, 1
    (sh, sw), (dh, dw) = stride, dilation
    Hp = (first + rows - 1) * sh + (kh - 1) * dh + 1
    Wp = (W_out - 1) * sw + (kw - 1) * dw + 1
    dx_pad = rng.standard_normal((C, Hp, Wp, N)).astype(np.float32)
    dcols = rng.standard_normal((C, kh, kw, rows, W_out, N)).astype(np.float32)
    want = dx_pad.copy()
    for a in range(kh):  # the scatter written out, at NumPy's default buffer
        for b in range(kw):
            for t in range(rows):
                i = (first + t) * sh + a * dh
                want[:, i, b * dw : b * dw + sw * W_out : sw] += dcols[:, a, b, t]
    im2col.scatter_add(dx_pad, dcols, first, stride, dilation)
    np.testing.assert_array_equal(dx_pad, want)
