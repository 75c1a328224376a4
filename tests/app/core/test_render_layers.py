"""Pictures of one layer: maps and filters, a big layer in pages within the side limit, and a
first layer's 3-deep filters in colour."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from app.core.render_layers import Paging, feature_maps_png, filters_png, page_of, rgb_filters


def load(data: bytes) -> np.ndarray:
    img = Image.open(io.BytesIO(data))
    assert img.format == "PNG"
    return np.asarray(img.convert("RGB"))


def test_feature_maps_of_maps_and_of_a_vector():
    maps, page = feature_maps_png(np.random.default_rng(0).random((8, 7, 7)), "maps")
    assert (page.first, page.count, page.total) == (0, 8, 8)
    maps = load(maps)
    vector = load(feature_maps_png(np.linspace(-1, 1, 10), "vector")[0])
    long_vector = load(feature_maps_png(np.arange(300.0), "flatten")[0])
    assert maps.shape[0] > 2 * 64 and maps.shape[1] > 2 * 64  # a 3x3 grid of 7x7 tiles
    assert vector.shape[1] >= 10 * 32
    assert long_vector.shape[0] > vector.shape[0]  # wrapped over several rows


def test_filters_one_channel_several_channels_and_dense():
    rng = np.random.default_rng(0)
    assert load(filters_png(rng.standard_normal((8, 1, 5, 5)), "conv1")[0]).shape[1] > 100
    multi = load(filters_png(rng.standard_normal((4, 3, 3, 3)), "conv2")[0])
    assert multi.shape[0] > 4 * 24  # a row per filter
    assert load(filters_png(rng.standard_normal((10, 50)), "fc")[0]).shape[1] >= 50


def test_a_big_layer_is_drawn_in_pages_within_the_side_limit():
    out = np.random.default_rng(1).random((512, 112, 112)).astype(np.float32)
    png, page = feature_maps_png(out, "layer1", paging=Paging(max_side=2048))
    img = load(png)
    assert max(img.shape[:2]) <= 2048
    assert page.first == 0 and 1 <= page.count < 512 and page.total == 512
    png, later = feature_maps_png(out, "layer1", paging=Paging(500, 64, 2048))
    assert (later.first, later.count) == (500, 12)  # the rest of the layer
    assert later.header() == "500-511/512"
    assert max(load(png).shape[:2]) <= 2048


def test_a_deep_conv_layer_shows_a_page_of_filters_and_the_channels_that_fit():
    w = np.random.default_rng(2).standard_normal((512, 512, 3, 3))
    png, page = filters_png(w, "layer4", paging=Paging(max_side=2048))
    assert max(load(png).shape[:2]) <= 2048
    assert 1 <= page.count < 512


def test_first_layer_filters_are_colour_tiles_with_grey_zero():
    w = np.zeros((2, 3, 1, 1))
    w[0, 0] = 1.0  # filter 0: red only, positive
    w[1, 2] = -1.0  # filter 1: blue only, negative
    rgb, m = rgb_filters(w, "rgb")
    assert m == 1.0
    assert tuple(rgb[0, 0, 0]) == (255, 128, 128)  # more red, grey elsewhere
    assert tuple(rgb[1, 0, 0]) == (128, 128, 0)  # less blue: yellowish
    bgr, _ = rgb_filters(w, "bgr")  # a BGR network's channel 0 is blue
    assert tuple(bgr[0, 0, 0]) == (128, 128, 255)


def test_a_colour_filter_picture_has_the_filters_colours():
    w = np.zeros((4, 3, 7, 7))
    w[0, 0] = 1.0  # pure positive red
    png, page = filters_png(w, "conv1", colour="rgb")
    pixels = {tuple(p) for p in load(png).reshape(-1, 3)}
    assert (255, 128, 128) in pixels and (128, 128, 128) in pixels
    assert page.count == 4


def test_page_of_clamps_to_what_fits():
    assert page_of(100, 0, None, 30).count == 30
    assert page_of(100, 90, None, 30).count == 10
    assert page_of(100, 10, 5, 30).count == 5
