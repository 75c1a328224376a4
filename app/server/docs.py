"""``/docs``: the API reference (Swagger UI over ``/openapi.json``), served by the app itself.

FastAPI's own ``/docs`` loads Swagger UI from a CDN and starts it with an inline script; here the
files come from the ``fastapi-offline`` package, which ships a current Swagger UI (mounted at
``/docs/assets``), and the start-up code is ``static/js/pages/docs/main.js``, so the page needs
no other origin and passes the app's Content-Security-Policy (no inline scripts).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)

ASSETS_URL = "/docs/assets"
PAGE = f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>CNN Explorer API</title>
  <link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
  <link rel="stylesheet" href="{ASSETS_URL}/swagger-ui.css">
  <link rel="stylesheet" href="/static/css/docs.css">
</head>
<body>
  <nav class="docs-back" aria-label="Back to the app">
    <a href="/" data-testid="back-to-app">← CNN Explorer</a>
    <a href="/evaluate#models">Models: import and export</a>
  </nav>
  <div id="swagger-ui"></div>
  <script src="{ASSETS_URL}/swagger-ui-bundle.js"></script>
  <script src="/static/js/pages/docs/main.js"></script>
</body>
</html>
"""


def assets_dir() -> Path | None:
    """Where the ``fastapi-offline`` package keeps Swagger UI, or ``None`` without it."""
    try:
        import fastapi_offline
    except ImportError:
        return None
    return Path(fastapi_offline.__file__).parent / "static"


@router.get("/docs", response_class=HTMLResponse)
def docs() -> HTMLResponse:
    """The interactive API reference."""
    return HTMLResponse(PAGE)
