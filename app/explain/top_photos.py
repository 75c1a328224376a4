"""``POST /api/models/{model_id}/explain/layers/{index}/top-activations``: the top-activating
images of a conv layer among photos the user sends (the filters page's "your photos").

Each photo goes through the model's own resize and crop (``app.core.imaging.model_input``), so
the patches are what the network saw. Checked before any work: ``max_top_photos``, every
photo's own limits (the refusal names ``photos[i]``), ``k`` within the photos, and photos × one
pass to the last conv layer within ``max_request_megamacs``. Nothing is cached: it runs on the
heavy threads and answers at once.
"""

import time

import numpy as np
from fastapi import APIRouter, HTTPException, Request

from app.core.bounds import BUSY, HeavyDep, check_cost, megamacs, run_heavy
from app.core.deps import LayerDep, ModelLayer, SettingsDep
from app.core.imaging import model_input
from app.core.responses import ERRORS
from app.core.settings import Settings
from app.explain.image_sets import ImageSet, answer, patches_of
from app.explain.schemas import TopActivationsResult, TopPhotosRequest
from app.explain.units import conv_layer, filter_list
from engine.convention import model_convention
from engine.cost import pass_cost
from engine.explain.top_activations import compute_top_activations, conv_layers

DEFAULT_K = 3
router = APIRouter(prefix="/api/models/{model_id}/explain", tags=["explain"])


def _photos(ml: ModelLayer, settings: Settings, body: TopPhotosRequest) -> ImageSet:
    """The photos as the model sees them, uint8 in its channel order; every limit first."""
    n = len(body.photos)
    if n > settings.max_top_photos:
        limit = settings.max_top_photos
        raise HTTPException(422, f"photos: {n}, more than the limit max_top_photos = {limit}")
    if body.names is not None and len(body.names) != n:
        raise HTTPException(422, f"names: {len(body.names)} names for {n} photos")
    if body.k is not None and body.k > n:
        raise HTTPException(422, f"k: {body.k} is more than the {n} photos sent")
    model = ml.entry.model
    one = pass_cost(model, conv_layers(model)[-1] + 1)
    check_cost(settings, "photos", n * one, f"{n} photos × {megamacs(one)} per pass")
    shown = []
    for i, photo in enumerate(body.photos):
        try:
            shown.append(model_input(photo, model, settings)[1])  # (H, W) or (3, H, W) in [0, 1]
        except HTTPException as e:
            raise HTTPException(e.status_code, f"photos[{i}].{e.detail}") from None
    pictures = (255 * np.clip(np.stack(shown), 0, 1)).round().astype(np.uint8)
    rgb = pictures.ndim == 4  # (N, 3, H, W) RGB; a one-channel model's are (N, H, W)
    if rgb and (model_convention(model) or {}).get("channels") == "bgr":
        pictures = np.ascontiguousarray(pictures[:, ::-1])
    names = body.names or [f"photo {i + 1}" for i in range(n)]
    return ImageSet("your photos", pictures, names, rgb)


@router.post(
    "/layers/{index}/top-activations",
    response_model=TopActivationsResult,
    responses={**ERRORS, **BUSY},
    dependencies=[HeavyDep],
    summary="Your own photos ranked by what excites each filter most, with the patch each saw",
)
async def top_photos(
    request: Request, ml: LayerDep, settings: SettingsDep, body: TopPhotosRequest
) -> dict:
    conv_layer(ml)
    filters = filter_list(ml, body.filter)
    images = _photos(ml, settings, body)
    k = min(DEFAULT_K, len(images.images)) if body.k is None else body.k
    return await run_heavy(request, _rank, ml, images, filters, k)


def _rank(ml: ModelLayer, images: ImageSet, filters: list[int], k: int) -> dict:
    t0 = time.perf_counter()
    tops = compute_top_activations(ml.entry.model, images.images, k=k, patches=False)
    layer = tops[ml.index]
    patches = patches_of(ml.entry, images, layer, filters, k)
    return answer(ml, layer, images, filters, patches, False, time.perf_counter() - t0)
