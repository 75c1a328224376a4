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

# path → the page's name (its template ``<name>.html`` and its nav entry), and what it shows
PAGES = {
    "/": ("explorer", "The explorer: drawing pad, prediction, every layer's maps, filters and a "
          "gallery."),
    "/anatomy": ("anatomy", "The convolution anatomy page."),
    "/evaluate": ("evaluate", "Accuracy, the confusion matrix and the mistakes of each model; "
                  "model management."),
    "/train": ("train", "Build a network, train it, watch it learn."),
    "/filters": ("filters", "Every conv filter: its weights, its activation-maximising input, "
                 "its top test digits."),
    "/color": ("color", "A colour image as R, G, B grids, and a filter whose depth matches them."),
}  # fmt: skip


def _page(name: str, what: str):
    def page(request: Request) -> HTMLResponse:
        return templates.TemplateResponse(request, f"{name}.html", {"active": name})

    page.__name__, page.__doc__ = f"{name}_page", what
    return page


for _path, (_name, _what) in PAGES.items():
    router.get(_path, response_class=HTMLResponse, include_in_schema=False)(_page(_name, _what))
