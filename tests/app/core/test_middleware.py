"""Security headers, the Content-Security-Policy the pages must satisfy, CORS only when configured,
and the JSON access log with its request id."""

from __future__ import annotations

import json
import logging
import re

import pytest

from app.core.middleware import CONTENT_SECURITY_POLICY, access_log
from app.core.settings import REPO_ROOT

PAGES = ["/", "/anatomy", "/train", "/evaluate", "/filters", "/color"]


def csp_directives(header: str) -> dict[str, list[str]]:
    out = {}
    for part in header.split(";"):
        name, *values = part.split()
        out[name] = values
    return out


@pytest.mark.parametrize("path", ["/", "/api/health", "/api/models/none", "/static/css/base.css"])
def test_every_response_carries_the_security_headers(client, path):
    h = client.get(path).headers
    assert h["x-content-type-options"] == "nosniff"
    assert h["referrer-policy"] == "no-referrer"
    assert h["x-frame-options"] == "DENY"
    csp = csp_directives(h["content-security-policy"])
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["default-src"] == ["'self'"]


def test_the_policy_allows_no_inline_code_and_nothing_from_elsewhere():
    csp = csp_directives(CONTENT_SECURITY_POLICY)
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    for values in csp.values():
        assert not any(v.startswith(("http", "'unsafe")) or v == "*" for v in values), values


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "an inline <script>"),
    (re.compile(r"<style\b", re.I), "a <style> element"),
    (re.compile(r"\sstyle\s*=", re.I), "a style= attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "an inline event handler"),
    (re.compile(r"javascript:", re.I), "a javascript: URL"),
    (re.compile(r"https?://", re.I), "a resource from another origin"),
]


@pytest.mark.parametrize("template", sorted((REPO_ROOT / "templates").glob("*.html")), ids=str)
def test_templates_have_no_inline_code_or_styles(template):
    """What the CSP would block: the pages must not need it (the browser tests see violations)."""
    text = template.read_text()
    for pattern, what in INLINE:
        m = pattern.search(text)
        assert m is None, f"{template.name}: {what}: {text[m.start() : m.start() + 60]!r}"


def test_scripts_set_no_style_attributes_as_markup():
    """``el.style.x = ...`` (CSSOM) is allowed by the CSP; ``style="..."`` in HTML strings and
    ``setAttribute("style", ...)`` are not."""
    bad = re.compile(r"style=|setAttribute\(\s*['\"]style|cssText|insertAdjacentHTML|\beval\(")
    for path in sorted((REPO_ROOT / "static" / "js").rglob("*.js")):
        for n, line in enumerate(path.read_text().splitlines(), 1):
            assert not bad.search(line), f"{path.relative_to(REPO_ROOT)}:{n}: {line.strip()}"


@pytest.mark.parametrize("path", PAGES)
def test_pages_load_only_their_own_scripts(client, path):
    r = client.get(path)
    assert r.status_code == 200
    for src in re.findall(r"<script[^>]*\bsrc=\"([^\"]+)\"", r.text):
        assert src.startswith("/static/"), src


# -- CORS -----------------------------------------------------------------------------------


def test_no_cors_headers_unless_configured(client):
    r = client.get("/api/health", headers={"Origin": "https://elsewhere.example"})
    assert "access-control-allow-origin" not in r.headers
    r = client.options(
        "/api/health",
        headers={"Origin": "https://elsewhere.example", "Access-Control-Request-Method": "GET"},
    )
    assert "access-control-allow-origin" not in r.headers


def test_cors_for_the_configured_origins_only(make_client):
    client = make_client(cors_origins="https://a.example, https://b.example/")
    r = client.get("/api/health", headers={"Origin": "https://b.example"})
    assert r.headers["access-control-allow-origin"] == "https://b.example"
    assert "x-request-id" in r.headers["access-control-expose-headers"].lower()
    r = client.get("/api/health", headers={"Origin": "https://c.example"})
    assert "access-control-allow-origin" not in r.headers
    r = client.options(
        "/api/models/tiny/predict",
        headers={
            "Origin": "https://a.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == "https://a.example"


# -- the access log -------------------------------------------------------------------------


class Lines(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(record.getMessage())


@pytest.fixture
def log_lines():
    handler = Lines()
    access_log.addHandler(handler)
    yield handler.lines
    access_log.removeHandler(handler)


def test_one_json_line_per_request(client, log_lines):
    r = client.get("/api/models/tiny?secret=1")
    client.post("/api/models/tiny/predict", json={"pixels": "nope"})
    first, second = (json.loads(line) for line in log_lines[-2:])
    assert first["method"] == "GET" and first["path"] == "/api/models/tiny"
    assert first["status"] == 200 and first["duration_ms"] >= 0 and first["bytes"] > 0
    assert first["request_id"] == r.headers["x-request-id"]
    assert "secret" not in log_lines[-2]
    assert (second["method"], second["status"]) == ("POST", 422)
    assert set(first) == {
        "ts",
        "method",
        "path",
        "status",
        "duration_ms",
        "bytes",
        "request_id",
        "client",
        "pid",
    }


def test_the_request_id_is_the_clients_when_it_is_a_token(client, log_lines):
    r = client.get("/api/health", headers={"X-Request-ID": "abc-123.x_y"})
    assert r.headers["x-request-id"] == "abc-123.x_y"
    assert json.loads(log_lines[-1])["request_id"] == "abc-123.x_y"
    r = client.get("/api/health", headers={"X-Request-ID": "bad id\twith spaces" * 10})
    assert re.fullmatch(r"[0-9a-f]{32}", r.headers["x-request-id"])


def test_refusals_before_the_app_are_logged_too(make_client, log_lines):
    client = make_client(max_request_bytes=100)
    r = client.post("/api/models/tiny/predict", content=b"x" * 1000)
    assert r.status_code == 413
    assert json.loads(log_lines[-1])["status"] == 413


def test_the_api_reference_is_served_by_the_app(client):
    """``/docs``: Swagger UI from the app's own files, started by a script file, not inline."""
    r = client.get("/docs")
    assert r.status_code == 200
    sources = re.findall(r"<script[^>]*\bsrc=\"([^\"]+)\"", r.text)
    assert sources and all(s.startswith(("/docs/assets/", "/static/")) for s in sources)
    assert len(re.findall(r"<script", r.text)) == len(sources)  # no inline script
    for src in sources + re.findall(r"<link[^>]*href=\"(/docs/[^\"]+)\"", r.text):
        assert client.get(src).status_code == 200, src


def test_the_import_route_has_its_own_larger_body_limit(make_client):
    client = make_client(max_request_bytes=100, max_import_bytes=2000)
    r = client.post("/api/models/tiny/predict", content=b"x" * 1000)
    assert r.status_code == 413 and "max_request_bytes = 100" in r.json()["detail"]
    r = client.post("/api/models/import", files={"weights": ("w.onnx", b"x" * 1000)})
    assert r.status_code == 422  # past the body limit: the form itself is judged (no name)
    r = client.post("/api/models/import", files={"weights": ("w.onnx", b"x" * 3000)})
    assert r.status_code == 413
    assert "max_import_bytes + max_request_bytes = 2,100" in r.json()["detail"]


def test_a_chunked_body_is_counted_as_it_streams_and_replayed_whole(make_client):
    client = make_client(max_request_bytes=5000)
    body = json.dumps({"pixels": [[0.0] * 8] * 8}).encode()

    def chunks(data: bytes, size: int = 100):
        yield from (data[i : i + size] for i in range(0, len(data), size))

    json_type = {"content-type": "application/json"}
    r = client.post("/api/models/tiny/predict", content=chunks(body), headers=json_type)
    assert r.status_code == 200, r.text  # replayed in full from the spool
    r = client.post("/api/models/tiny/predict", content=chunks(b" " * 6000), headers=json_type)
    assert r.status_code == 413 and "max_request_bytes = 5,000" in r.json()["detail"]
