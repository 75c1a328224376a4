"""Top-activating examples: really the maxima (brute force), the right patches, and the cache."""

import numpy as np
import pytest

from engine.explain import top_activations
from engine.explain.common import detached
from engine.explain.geometry import input_box, receptive_field
from engine.explain.top_activations import compute_top_activations
from tests.engine.explain_nets import small_model


@pytest.fixture
def images():
    return np.random.default_rng(5).integers(0, 256, (40, 8, 8), dtype=np.uint8)


def test_receptive_fields_follow_the_layer_geometry():
    model = small_model()
    assert receptive_field(model, 0) == (3, 3)  # conv 3×3
    assert receptive_field(model, 2) == (4, 4)  # + pool 2×2 stride 2
    assert receptive_field(model, 3) == (8, 8)  # + conv 3×3 on a stride-2 grid: 4 + 2*2
    assert input_box(model, 0, 0, 0) == (-1, -1, 2, 2)  # padding 1 sticks out
    assert input_box(model, 3, 1, 0) == (1, -1, 9, 7)
    top, left, bottom, right = input_box(model, 6, 0, 0)  # the dense layer, past the flatten:
    assert top <= 0 and left <= 0 and bottom >= 8 and right >= 8  # it reads the whole image


@pytest.mark.parametrize("layer", [0, 3])
def test_an_activation_depends_only_on_its_input_box(layer):
    model = small_model()
    net = detached(model)
    x = np.random.default_rng(0).random((1, 1, 8, 8))
    out = net.forward(x, train=True, stop=layer + 1)
    _, _, h, w = out.shape
    for i, j in [(0, 0), (h - 1, w - 1), (h // 2, w // 3)]:
        dout = np.zeros_like(out)
        dout[0, :, i, j] = 1
        net.forward(x, train=True, stop=layer + 1)
        grad = net.backward(dout, stop=layer + 1, input_grad=True)[0, 0]  # (8, 8)
        top, left, bottom, right = input_box(model, layer, i, j)
        outside = np.ones((8, 8), dtype=bool)
        outside[max(top, 0) : bottom, max(left, 0) : right] = False
        assert np.abs(grad[outside]).max(initial=0) == 0


def test_top_activations_are_the_brute_force_maxima(images):
    model, k = small_model(), 4
    result = compute_top_activations(model, images, k=k, batch_size=7)
    assert sorted(result) == [0, 3]
    for L, top in result.items():
        # brute force: one image at a time, one filter at a time
        maxima = np.array(
            [
                model.forward(img[None, None] / 255.0, stop=L + 1)[0].max(axis=(1, 2))
                for img in images
            ]
        )  # (N, F)
        F = maxima.shape[1]
        assert top.index.shape == top.value.shape == (F, k)
        for f in range(F):
            want = np.argsort(-maxima[:, f], kind="stable")[:k]
            assert top.index[f].tolist() == want.tolist()
            np.testing.assert_allclose(top.value[f], maxima[want, f], rtol=1e-6)
            for r in range(k):
                n, i, j = top.index[f, r], top.row[f, r], top.col[f, r]
                fmap = model.forward(images[n][None, None] / 255.0, stop=L + 1)[0, f]
                assert fmap[i, j] == pytest.approx(maxima[n, f])
                t, left, b, right = top.box[f, r]
                padded = np.pad(images[n], 8)
                np.testing.assert_array_equal(
                    top.patches[f, r], padded[t + 8 : b + 8, left + 8 : right + 8]
                )


def test_the_cache_is_reused_and_invalidated_when_the_weights_change(tmp_path, images):
    model = small_model()
    first = top_activations(model, images, k=3, cache_dir=tmp_path)
    assert not first.from_cache
    files = list(tmp_path.glob("*.npz"))
    assert len(files) == 1
    again = top_activations(model, images, k=3, cache_dir=tmp_path)
    assert again.from_cache and again.key == first.key
    for L in first.layers:
        np.testing.assert_array_equal(again.layers[L].patches, first.layers[L].patches)
        np.testing.assert_array_equal(again.layers[L].index, first.layers[L].index)
    with np.load(files[0], allow_pickle=False) as npz:  # no pickled objects inside
        assert "__meta__" in npz.files

    model.layers[0].params["weight"][0, 0, 1, 1] += 1.0  # the model changes
    changed = top_activations(model, images, k=3, cache_dir=tmp_path)
    assert not changed.from_cache and changed.key != first.key
    assert len(list(tmp_path.glob("*.npz"))) == 2
    assert top_activations(model, images, k=3, cache_dir=tmp_path).from_cache

    files[0].write_bytes(b"not a zip")  # a damaged cache is recomputed, not trusted
    model.layers[0].params["weight"][0, 0, 1, 1] -= 1.0
    redo = top_activations(model, images, k=3, cache_dir=tmp_path)
    assert not redo.from_cache and redo.key == first.key
    np.testing.assert_array_equal(redo.layers[3].index, first.layers[3].index)
