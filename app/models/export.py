"""``GET /api/models/{model_id}/model.onnx``: an installed model as a standard ONNX file."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from fastapi.responses import Response

from app.core.deps import ModelDep
from app.core.schemas import ErrorBody
from engine.onnx_export import onnx_bytes

router = APIRouter(prefix="/api/models", tags=["models"])

MEDIA_TYPE = "application/octet-stream"  # ONNX has no registered media type


@router.get(
    "/{model_id}/model.onnx",
    response_class=Response,
    responses={
        200: {
            "content": {MEDIA_TYPE: {}},
            "description": "The model as an ONNX file (opset 17): input `input` (N, C, H, W) "
            "with a symbolic batch N, output `output` as the last layer gives it (probabilities "
            "after a softmax layer, else logits); class labels and the input convention in "
            "`metadata_props`. onnxruntime runs it with the engine's outputs.",
        },
        404: {"model": ErrorBody, "description": "Unknown model."},
        422: {"model": ErrorBody, "description": "A layer has no ONNX form; `detail` names it."},
    },
    summary="Download the model as ONNX",
)
def model_onnx(entry: ModelDep) -> Response:
    try:
        data = onnx_bytes(entry.model)
    except ValueError as e:
        raise HTTPException(
            422, f"model_id: {entry.id!r} cannot be exported to ONNX: {e}"
        ) from None
    return Response(
        data,
        media_type=MEDIA_TYPE,
        headers={
            "Content-Disposition": f'attachment; filename="{entry.id}.onnx"',
            "Cache-Control": "no-store",
        },
    )
