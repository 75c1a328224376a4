"""``show()``: one background server per kernel, shown as an iframe with a plain link."""

from __future__ import annotations

import json
import urllib.request
from html.parser import HTMLParser

import pytest

import cnn_explorer


class Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


@pytest.fixture
def kernel(user_dir):
    yield
    cnn_explorer.stop()


def get(url: str):
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.status, dict(r.headers), r.read()


def test_show_serves_the_model_and_embeds_it(kernel, user_dir, onnx_file):
    shown = cnn_explorer.show(onnx_file, name="Notebook net", std=[0.5])
    assert shown.url.endswith("/?model=notebook-net")
    parser = Tags()
    parser.feed(shown._repr_html_())
    (iframe,) = [a for t, a in parser.tags if t == "iframe"]
    (link,) = [a for t, a in parser.tags if t == "a"]
    assert iframe["src"] == shown.url == link["href"]

    status, _, body = get(shown.url.split("?")[0] + "api/health")
    assert status == 200
    assert {"notebook-net", "mnist-cnn"} <= set(json.loads(body)["models"])
    status, headers, page = get(shown.url)
    assert status == 200 and b"<html" in page
    assert "x-frame-options" not in {k.lower() for k in headers}  # a notebook may frame it
    assert "frame-ancestors 'self' http://localhost:*" in headers["content-security-policy"]

    again = cnn_explorer.show()  # the same server, on the explorer's own start page
    assert again.url == shown.url.split("?")[0]
