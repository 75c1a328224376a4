"""``GET /api/access``: may this client change the server, and if not, why (the pages ask it
before they offer a write button)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from app.core.access import access_report
from app.server.schemas import Access

router = APIRouter(prefix="/api/access", tags=["access"])


@router.get("", response_model=Access, summary="Whether this client may write, and why not")
def access(request: Request) -> dict:
    return access_report(request)
