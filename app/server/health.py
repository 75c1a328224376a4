"""``GET /api/health``: is the server up, and which models did it load."""

from __future__ import annotations

from fastapi import APIRouter

import engine
from app.core.deps import RegistryDep
from app.server.schemas import Health

router = APIRouter(prefix="/api/health", tags=["health"])


@router.get("", response_model=Health, summary="Liveness and the models loaded")
def health(registry: RegistryDep) -> dict:
    return {
        "status": "ok",
        "engine_version": engine.__version__,
        "models_loaded": len(registry),
        "models": registry.ids(),
        "model_errors": dict(registry.errors),
    }
