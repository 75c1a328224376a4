"""``GET /api/limits``: every limit the API enforces (part of the contract)."""

from __future__ import annotations

from fastapi import APIRouter

from app.core.deps import SettingsDep
from app.server.schemas import Limits

router = APIRouter(prefix="/api/limits", tags=["limits"])


@router.get("", response_model=Limits, summary="The input and size limits")
def limits(settings: SettingsDep) -> dict:
    return settings.limits()
