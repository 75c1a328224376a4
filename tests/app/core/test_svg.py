"""The API's SVG twins: well-formed, laid out as the PNG, and their text holds the numbers."""

from __future__ import annotations

import base64
import io
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PIL import Image

from app.core.render import ColourScale, _fmt, number, to_png
from app.core.render_layers import feature_maps_figure
from app.core.svg import to_svg
from tests.utils import TINY_ID, draw_seven, png

NS = {"svg": "http://www.w3.org/2000/svg"}
XLINK = "{http://www.w3.org/1999/xlink}href"


def parse(data: bytes) -> ET.Element:
    root = ET.fromstring(data)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    return root


def texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iterfind(".//svg:text", NS)]


def test_a_figure_has_the_same_size_pictures_and_numbers_as_its_png():
    maps = np.random.default_rng(0).standard_normal((4, 5, 5))
    fig, _ = feature_maps_figure(maps, "layer 0 (conv1, conv2d): output 4x5x5", signed=True)
    root = parse(to_svg(fig, "CNN Explorer, model m, input x, layer 0"))
    width, height = Image.open(io.BytesIO(to_png(fig))).size
    assert int(root.get("width")) >= width and int(root.get("height")) > height  # + caption
    words = texts(root)
    scale = ColourScale.for_values(maps, signed=True)
    assert _fmt(scale.lo) in words and _fmt(scale.hi) in words  # the colour bar's ends
    assert f"values {_fmt(maps.min())} to {_fmt(maps.max())} (symmetric around 0)" in words
    assert "layer 0 (conv1, conv2d): output 4x5x5; all 4 channels" in words
    assert "CNN Explorer, model m, input x, layer 0" in words
    images = root.findall(".//svg:image", NS)
    assert len(images) == 4
    tile = Image.open(io.BytesIO(base64.b64decode(images[1].get(XLINK).split(",", 1)[1])))
    assert tile.size == (5, 5)  # one pixel per value, exactly the colours of the PNG's tile
    assert np.array_equal(np.asarray(tile.convert("RGB")), scale.colour(maps[1]))


def test_text_is_escaped():
    fig, _ = feature_maps_figure(np.zeros(3), "a < b & c")
    assert "a < b & c" in texts(parse(to_svg(fig, '"quoted" <caption>')))


# -- the routes ---------------------------------------------------------------------------

BASE = f"/api/models/{TINY_ID}"


def drawing() -> dict:
    return {"image": base64.b64encode(png(draw_seven())).decode()}


@pytest.mark.parametrize(
    "method, path, body",
    [
        ("post", "/layers/0/feature-maps", "drawing"),
        ("get", "/layers/3/filters", None),
        ("get", "/layers/0/weight-matrix", None),
        ("post", "/explain/saliency", "drawing"),
        ("post", "/explain/gradcam", "drawing"),
    ],
)
def test_every_png_has_an_svg_twin(client, method, path, body):
    kwargs = {"json": drawing()} if body else {}
    as_png = getattr(client, method)(f"{BASE}{path}.png", **kwargs)
    as_svg = getattr(client, method)(f"{BASE}{path}.svg", **kwargs)
    assert as_png.status_code == as_svg.status_code == 200, as_svg.text[:300]
    assert as_svg.headers["content-type"] == "image/svg+xml"
    for header in ("x-value-min", "x-value-max"):
        assert as_svg.headers[header] == as_png.headers[header]
    words = " ".join(texts(parse(as_svg.content)))
    low, high = (float(as_svg.headers[h]) for h in ("x-value-min", "x-value-max"))
    if "weight-matrix" not in path:  # the colour bar states the data's range
        assert f"values {_fmt(low)} to {_fmt(high)}" in words
    assert f"model {TINY_ID}" in words
    layer = {"/layers/0": "layer 0 (", "/layers/3": "layer 3 ("}.get(path[:9], "")
    assert layer in words
    if body:
        assert "input a drawn image" in words


def test_svg_refusals_are_the_pngs(client):
    r = client.get(f"{BASE}/layers/1/filters.svg")
    assert r.status_code == 404 and "no weights" in r.json()["detail"]
    r = client.post(f"{BASE}/layers/0/feature-maps.svg", json={})
    assert r.status_code == 422


def test_a_page_of_a_layer_as_svg_is_the_pngs_page(client):
    """The paged renders' ``first``/``count`` and ``X-Page`` hold for the .svg twins too."""
    url = f"{BASE}/layers/0/feature-maps"
    as_png = client.post(f"{url}.png?first=1&count=2", json=drawing())
    as_svg = client.post(f"{url}.svg?first=1&count=2", json=drawing())
    assert as_png.status_code == as_svg.status_code == 200, as_svg.text[:300]
    assert as_svg.headers["x-page"] == as_png.headers["x-page"]
    assert as_svg.headers["x-page"].startswith("1-2/")
    assert len(parse(as_svg.content).findall(".//svg:image", NS)) == 2
    r = client.post(f"{url}.svg?first=999", json=drawing())
    assert r.status_code == 422 and "first" in r.json()["detail"]


def test_a_relu_maps_negative_zeros_read_as_zero():
    """A ReLU keeps -0.0 (as PyTorch's does); a figure's numbers say 0, never "-0"."""
    maps = np.array([[[-0.0, 0.0], [-0.0, -0.0]], [[-0.0, -0.0], [-0.0, -0.0]]])  # all zeros
    fig, _ = feature_maps_figure(maps, "layer 1 (relu1, relu): output 2x2x2", signed=False)
    words = texts(parse(to_svg(fig, "caption")))
    assert not [w for w in words if "-0" in w], words
    assert number(-0.0) == "0" and number(-0.25, 3) == "-0.25" and number(1234.5678) == "1235"
