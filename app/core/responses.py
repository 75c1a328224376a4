"""What the route modules share: the error responses they document, PNG responses, the one
templates object every page is rendered with, and the ``group`` query of a grouped conv."""

from __future__ import annotations

from fastapi.responses import Response
from fastapi.templating import Jinja2Templates

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


def png_response(png: bytes, vmin: float | None = None, vmax: float | None = None) -> Response:
    """``image/png``; the value range drawn, if any, also in ``X-Value-Min`` / ``X-Value-Max``."""
    headers = {"Cache-Control": "no-store"}
    if vmin is not None and vmax is not None:
        headers["X-Value-Min"], headers["X-Value-Max"] = f"{vmin:.6g}", f"{vmax:.6g}"
    return Response(png, media_type="image/png", headers=headers)
