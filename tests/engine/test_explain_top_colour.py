"""Top-activating images of a colour model: the shipped CIFAR-10 LeNet on the CIFAR sample that
ships with the repository — brute-force maxima, colour patches, patches cut on demand."""

from pathlib import Path

import numpy as np
import pytest

from engine import cifar10
from engine.explain.top_activations import compute_top_activations, cut, top_activations
from engine.model import Model

MODEL = Path(__file__).resolve().parents[2] / "models" / "cifar10-lenet.npz"


@pytest.fixture(scope="module")
def lenet_and_photos():
    images, _ = cifar10.load_sample()  # (150, 3, 32, 32) uint8
    return Model.load(MODEL), images[::3]  # 50 photos keep it fast


def test_colour_top_activations_are_the_brute_force_maxima(lenet_and_photos):
    model, images = lenet_and_photos
    k = 3
    result = compute_top_activations(model, images, k=k, batch_size=16)
    assert sorted(result) == [0, 3]
    x = images.astype(np.float32) / 255.0
    for L, top in result.items():
        maps = model.forward(x, stop=L + 1)  # (N, F, h, w)
        maxima = maps.max(axis=(2, 3))  # (N, F)
        h, w = (int(v) for v in top.box[0, 0, 2:] - top.box[0, 0, :2])
        assert top.patches.shape == (maxima.shape[1], k, 3, h, w)
        for f in range(maxima.shape[1]):
            want = np.argsort(-maxima[:, f], kind="stable")[:k]
            assert top.index[f].tolist() == want.tolist()
            np.testing.assert_allclose(top.value[f], maxima[want, f], rtol=1e-5)
            t, left, b, right = top.box[f, 0]
            padded = np.pad(images[want[0]], ((0, 0), (16, 16), (16, 16)))
            np.testing.assert_array_equal(
                top.patches[f, 0], padded[:, t + 16 : b + 16, left + 16 : right + 16]
            )


def test_uncut_tables_are_cached_apart_and_cut_on_demand(lenet_and_photos, tmp_path):
    model, images = lenet_and_photos
    cut_table = top_activations(model, images, k=2, cache_dir=tmp_path)
    uncut = top_activations(model, images, k=2, cache_dir=tmp_path, patches=False)
    assert not uncut.from_cache and uncut.key != cut_table.key
    assert all(top.patches is None for top in uncut.layers.values())
    again = top_activations(model, images, k=2, cache_dir=tmp_path, patches=False)
    assert again.from_cache and again.layers[3].patches is None
    for L, top in again.layers.items():
        np.testing.assert_array_equal(top.index, cut_table.layers[L].index)
        patches = cut(images, top, [1, 4], 2)
        np.testing.assert_array_equal(patches, cut_table.layers[L].patches[[1, 4]])


def test_images_of_the_wrong_shape_are_refused(lenet_and_photos):
    model, images = lenet_and_photos
    with pytest.raises(ValueError, match=r"\(N, 3, 32, 32\)"):
        compute_top_activations(model, images[:, 0], k=2)
