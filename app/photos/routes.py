"""``POST /api/photos`` (an image, the request's body) and ``GET /api/photos/{photo_id}``: a
photo kept a while, so a link can name it (``#photo=<id>`` on the explorer).

The body is read as it streams in, never past ``max_image_bytes``; then it is decoded like any
``image`` input (PNG, JPEG or WebP, within ``max_image_side`` and ``max_image_pixels``, checked
on the header first), and only a photo that decodes is stored. Photos last
``max_photo_age_days``, within ``max_photos`` and ``max_photo_store_bytes`` (oldest first):
the answer says when this one expires.
"""

from __future__ import annotations

import io
from email.utils import formatdate

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, Field

from app.core.access import upload_route
from app.core.deps import SettingsDep
from app.core.imaging import decode
from app.core.kept import stream_to
from app.core.schemas import ErrorBody
from app.photos import store

router = APIRouter(prefix="/api/photos", tags=["photos"])
ERRORS = {
    404: {"model": ErrorBody, "description": "No such photo: never stored, or expired."},
    413: {"model": ErrorBody, "description": "Over max_image_bytes, _side or _pixels."},
    422: {"model": ErrorBody, "description": "Not a PNG, JPEG or WebP, or it does not decode."},
}
IMAGE = {200: {"content": {"image/png": {}, "image/jpeg": {}, "image/webp": {}}}}


class PhotoInfo(BaseModel):
    id: str = Field(description="Name it in a link: `#photo=<id>`.")
    url: str = Field(description="Where it is: `GET` it for the image as uploaded.")
    media_type: str
    bytes: int
    width: int
    height: int
    created: float = Field(description="Unix seconds.")
    expires: float = Field(description="Unix seconds: after this the photo (and links) are gone.")
    kept_days: int = Field(description="max_photo_age_days: how long every photo is kept.")


@router.post(
    "",
    response_model=PhotoInfo,
    **upload_route(ERRORS),
    summary="Keep a photo (the body: PNG, JPEG or WebP) for a link; answers its id and expiry",
)
async def upload_photo(request: Request, settings: SettingsDep) -> dict:
    buffer = io.BytesIO()
    await stream_to(request.stream(), buffer, settings.max_image_bytes, "image", "max_image_bytes")
    data = buffer.getvalue()
    picture = await run_in_threadpool(decode, data, settings)  # 413/422 naming `image`
    height, width = picture.shape[:2]
    record = await run_in_threadpool(store.add, settings, data, width, height)
    return {
        **record,
        "url": f"/api/photos/{record['id']}",
        "kept_days": settings.max_photo_age_days,
    }


@router.get(
    "/{photo_id}",
    response_class=Response,
    responses={**IMAGE, 404: ERRORS[404]},
    summary="A kept photo, as uploaded (`Expires`: when it goes)",
)
def get_photo(photo_id: str, settings: SettingsDep) -> Response:
    try:
        record, data = store.get(settings, photo_id)
    except store.UnknownPhoto as e:
        raise HTTPException(404, f"photo_id: {e.args[0]}") from None
    headers = {"Cache-Control": "private", "Expires": formatdate(record["expires"], usegmt=True)}
    return Response(data, media_type=record["media_type"], headers=headers)
