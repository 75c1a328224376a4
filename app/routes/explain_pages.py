"""The explanation pages: ``/filters`` (what each conv filter looks for) and ``/color`` (a
colour photo's channels and 3-channel filters). Both fetch everything from the JSON API."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.routes.common import templates

router = APIRouter(tags=["pages"])


@router.get("/filters", response_class=HTMLResponse, include_in_schema=False)
def filters_page(request: Request) -> HTMLResponse:
    """Every conv filter: its weights, its activation-maximising input, its top test digits."""
    return templates.TemplateResponse(request, "filters.html", {"active": "filters"})


@router.get("/color", response_class=HTMLResponse, include_in_schema=False)
def color_page(request: Request) -> HTMLResponse:
    """A colour image as R, G, B grids, and a filter whose depth matches them."""
    return templates.TemplateResponse(request, "color.html", {"active": "color"})
