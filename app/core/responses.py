"""What the route modules share: the error responses they document, PNG responses, the one
templates object every page is rendered with, and the ``group`` query of a grouped conv."""

from __future__ import annotations

import inspect

from fastapi.responses import Response
from fastapi.templating import Jinja2Templates

from app.core import render, svg
from app.core.paths import RESOURCES
from app.core.schemas import ErrorBody

ERRORS = {
    404: {"model": ErrorBody, "description": "Unknown model or layer."},
    413: {"model": ErrorBody, "description": "Input larger than a limit."},
    422: {"model": ErrorBody, "description": "Malformed input; `detail` names the field."},
}
TABLE_503 = {
    503: {
        "description": "The MNIST test set is not installed, or the table is still being "
        "computed in the background (then with `Retry-After`)."
    }
}
PNG = {200: {"content": {"image/png": {}}, "description": "A PNG image."}}
templates = Jinja2Templates(directory=RESOURCES / "templates")


SVG = {
    200: {
        "content": {"image/svg+xml": {}},
        "description": "The PNG's twin as an SVG: the same layout, its text as text, a caption.",
    }
}


def png_response(
    png: bytes, vmin: float | None = None, vmax: float | None = None, media_type="image/png"
) -> Response:
    """``image/png``; the value range drawn, if any, also in ``X-Value-Min`` / ``X-Value-Max``."""
    headers = {"Cache-Control": "no-store"}
    if vmin is not None and vmax is not None:
        headers["X-Value-Min"], headers["X-Value-Max"] = f"{vmin:.6g}", f"{vmax:.6g}"
    return Response(png, media_type=media_type, headers=headers)


def figure_response(fig, fmt: str, caption: str, vmin: float, vmax: float) -> Response:
    """A ``render.Figure`` as ``fmt`` ``"png"`` or ``"svg"`` (with ``caption``), as above."""
    if fmt == "svg":
        return png_response(svg.to_svg(fig, caption), vmin, vmax, "image/svg+xml")
    return png_response(render.to_png(fig), vmin, vmax)


def figure_routes(router, method: str, path: str, summary: str, draw) -> None:
    """Register ``{path}.png`` (``summary``) and its twin ``{path}.svg``, each answered by
    ``draw(..., fmt="png" | "svg")``; they take ``draw``'s other parameters (its dependencies).
    Their functions are named ``<draw's name>_png`` / ``_svg`` (the OpenAPI operation ids)."""
    sig = inspect.signature(draw, eval_str=True)  # real types: the route lives in another module
    params = [p for p in sig.parameters.values() if p.name != "fmt"]
    for fmt, doc, what in (("png", PNG, summary), ("svg", SVG, f"{summary}, as an SVG")):

        def route(*args, _fmt=fmt, **kwargs) -> Response:
            return draw(*args, fmt=_fmt, **kwargs)

        route.__signature__ = sig.replace(parameters=params)
        route.__name__ = f"{draw.__name__.lstrip('_')}_{fmt}"
        getattr(router, method)(
            f"{path}.{fmt}", response_class=Response, responses={**doc, **ERRORS}, summary=what
        )(route)


def input_text(body) -> str:
    """How a caption names a request's input: a drawn image, or a grid of pixels."""
    if getattr(body, "pixels", None) is not None:
        return f"{len(body.pixels)}x{len(body.pixels[0])} pixels"
    return "a drawn image" if getattr(body, "image", None) is not None else "the model's input"
