"""The pages: ``/`` is the explorer (draw a digit, see every layer respond).

Pages are Jinja2 templates from ``templates/``; each passes ``active`` so the shared nav in
``base.html`` marks where the person is. The pages fetch everything else from the JSON API.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.routes.common import templates

router = APIRouter(tags=["pages"])


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def explorer(request: Request) -> HTMLResponse:
    """The explorer: drawing pad, prediction, every layer's maps, filters and a gallery."""
    return templates.TemplateResponse(request, "explorer.html", {"active": "explorer"})
