"""The pages (``/``, ``/anatomy``, ...): filled in by the pages work; wired by ``app.main``."""

from fastapi import APIRouter

router = APIRouter(tags=["pages"])
