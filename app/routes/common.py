"""What the route modules share: the error responses they document, PNG responses, the one
templates object every page is rendered with, and the ``group`` query of a grouped conv."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates

from app.schemas import ErrorBody
from app.settings import REPO_ROOT

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
templates = Jinja2Templates(directory=REPO_ROOT / "templates")
GroupQuery = Annotated[
    int | None,
    Query(
        ge=0,
        description="A grouped conv (`groups` > 1, depthwise when `groups` = in_channels) "
        "taken apart one group at a time: with `group`, M spans only the group's input "
        "channels (`group_in_channels`) and `filter` must be one of the group's "
        "(`group_out_channels`). Without it, the weight matrix spans all C input channels "
        "(the other groups' columns are structural zeros) and the filter's group is reported; "
        "the layer anatomy takes the filter's group (0 without a filter).",
    ),
]


def png_response(png: bytes, vmin: float | None = None, vmax: float | None = None) -> Response:
    """``image/png``; the value range drawn, if any, also in ``X-Value-Min`` / ``X-Value-Max``."""
    headers = {"Cache-Control": "no-store"}
    if vmin is not None and vmax is not None:
        headers["X-Value-Min"], headers["X-Value-Max"] = f"{vmin:.6g}", f"{vmax:.6g}"
    return Response(png, media_type="image/png", headers=headers)
