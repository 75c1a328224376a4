"""Every page: ``/`` (the explorer: draw a digit, see every layer respond), ``/anatomy``,
``/train``, ``/evaluate``, ``/filters`` and ``/color``.

Pages are Jinja2 templates from ``templates/``; each passes ``active`` so the shared nav in
``base.html`` marks where the person is. The pages fetch everything else from the JSON API.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.core.responses import templates

router = APIRouter(tags=["pages"])


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def explorer(request: Request) -> HTMLResponse:
    """The explorer: drawing pad, prediction, every layer's maps, filters and a gallery."""
    return templates.TemplateResponse(request, "explorer.html", {"active": "explorer"})


@router.get("/anatomy", response_class=HTMLResponse, include_in_schema=False)
def anatomy_page(request: Request) -> HTMLResponse:
    """The convolution anatomy page."""
    return templates.TemplateResponse(request, "anatomy.html", {"active": "anatomy"})


@router.get("/evaluate", response_class=HTMLResponse, include_in_schema=False)
def evaluate_page(request: Request) -> HTMLResponse:
    """Accuracy, the confusion matrix and the mistakes of each model; model management."""
    return templates.TemplateResponse(request, "evaluate.html", {"active": "evaluate"})


@router.get("/train", response_class=HTMLResponse, include_in_schema=False)
def train_page(request: Request) -> HTMLResponse:
    """Build a network, train it, watch it learn."""
    return templates.TemplateResponse(request, "train.html", {"active": "train"})


@router.get("/filters", response_class=HTMLResponse, include_in_schema=False)
def filters_page(request: Request) -> HTMLResponse:
    """Every conv filter: its weights, its activation-maximising input, its top test digits."""
    return templates.TemplateResponse(request, "filters.html", {"active": "filters"})


@router.get("/color", response_class=HTMLResponse, include_in_schema=False)
def color_page(request: Request) -> HTMLResponse:
    """A colour image as R, G, B grids, and a filter whose depth matches them."""
    return templates.TemplateResponse(request, "color.html", {"active": "color"})
