"""Pen-tablet digits drawn with the pad's brush (engine/pendigits.py)."""

import numpy as np
import pytest

from engine import pendigits
from engine.preprocess import MNIST_BOX
from tests.engine.pendigits_sample import UNIPEN


@pytest.fixture
def digits(tmp_path):
    path = tmp_path / "pendigits-mini"
    path.write_text(UNIPEN)
    return pendigits.load(path)


def test_load_reads_labels_writers_and_strokes(digits):
    assert [(d.label, d.writer, len(d.strokes)) for d in digits] == [(7, 3, 2), (1, 14, 1)]
    assert digits[0].strokes[0].shape == (3, 2)
    np.testing.assert_array_equal(digits[1].strokes[0], [[200, 400], [200, 100]])


def test_writers_from_ranges_and_lists():
    assert pendigits.writers_from("1-3,7, 9-10") == {1, 2, 3, 7, 9, 10}
    with pytest.raises(ValueError, match="writers"):
        pendigits.writers_from("a-3")


def test_place_flips_y_and_keeps_the_digit_on_the_pad(digits):
    rng = np.random.default_rng(0)
    for _ in range(20):
        strokes = pendigits.place(digits[0].strokes, rng, size=(0.4, 0.8), margin=0.05)
        pts = np.concatenate(strokes)
        assert pts.min() >= 0.05 - 1e-9 and pts.max() <= 0.95 + 1e-9
        assert 0.4 - 1e-9 <= (pts.max(0) - pts.min(0)).max() <= 0.8 + 1e-9
        top_bar, tail = strokes[0][0], strokes[0][2]
        assert top_bar[1] < tail[1]  # the 7's bar (y = 400, up) is above its tail on screen


def test_render_agrees_with_its_plain_loop_twin(digits):
    rng = np.random.default_rng(1)
    for digit in digits:
        strokes = pendigits.place(digit.strokes, rng, rotate=10, shear=0.2)
        fast = pendigits.render(strokes, side=40)
        np.testing.assert_allclose(fast, pendigits.render_naive(strokes, side=40), atol=1e-6)
    dot = [np.array([[0.5, 0.5]])]  # a single point: a round dot
    np.testing.assert_allclose(pendigits.render(dot, 40), pendigits.render_naive(dot, 40))


def test_render_is_a_round_brush_of_the_pads_width():
    side, brush = 140, pendigits.PAD_BRUSH
    dot = pendigits.render([np.array([[0.5, 0.5]])], side, brush)
    r = brush * side / 2
    assert dot.sum() == pytest.approx(np.pi * r * r, rel=0.03)  # a disc of the brush's area
    line = pendigits.render([np.array([[0.2, 0.5], [0.8, 0.5]])], side, brush)
    column = line[:, 70]  # across the middle of the line
    assert column.sum() == pytest.approx(2 * r, abs=0.01)  # as wide as the brush
    assert column.max() == 1.0 and column[: 70 - int(r) - 2].max() == 0.0


def test_to_network_input_is_the_servers_28x28(digits):
    rng = np.random.default_rng(2)
    x = pendigits.to_network_input(pendigits.render(pendigits.place(digits[0].strokes, rng)))
    assert x.shape == (28, 28) and x.dtype == np.float32
    rows = np.flatnonzero((x > 0.05).any(axis=1))
    cols = np.flatnonzero((x > 0.05).any(axis=0))
    assert max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1 == MNIST_BOX  # fitted into 20×20


def test_rendered_set_is_seeded_uint8_images_with_labels(digits):
    images, labels = pendigits.rendered_set(digits, copies=3, seed=5)
    assert images.shape == (6, 28, 28) and images.dtype == np.uint8
    assert labels.tolist() == [7, 1] * 3
    assert not np.array_equal(images[0], images[2])  # each copy drawn differently
    np.testing.assert_array_equal(images, pendigits.rendered_set(digits, copies=3, seed=5)[0])
