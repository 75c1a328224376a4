"""Uploaded photos on disk: ``<photos_dir>/<id>.img`` (the file as uploaded: PNG, JPEG or WebP)
and ``<id>.json`` (its record), each written atomically, the image first: a photo is there only
once both are. A photo is kept ``max_photo_age_days``, within ``max_photos`` and
``max_photo_store_bytes``; past any of them the oldest go first (``app.core.kept``), and asking
for one that went says it may have expired and why.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from pathlib import Path

from app.core.kept import Budget, prune_folder
from app.core.settings import Settings
from engine.io import atomic_write_bytes
from engine.photo import image_format

ID_PATTERN = r"^[A-Za-z0-9_-]{16}$"  # 12 random bytes, base64url
MEDIA_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}


class UnknownPhoto(KeyError):
    """No photo has this id (never stored, or expired); the message says how long they last."""


def photos_dir(settings: Settings) -> Path:
    return settings.photos_dir or settings.models_dir / ".photos"


def kept(settings: Settings) -> str:
    """How long photos are kept, for the messages about one that is gone."""
    return (
        f"photos are kept {settings.max_photo_age_days} days (max_photo_age_days), and past "
        f"max_photos = {settings.max_photos} or max_photo_store_bytes = "
        f"{settings.max_photo_store_bytes:,} the oldest go first"
    )


def _ids(folder: Path) -> list[str]:
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.glob("*.json") if (folder / f"{p.stem}.img").is_file())


def add(settings: Settings, data: bytes, width: int, height: int) -> dict:
    """Store ``data`` (an image already decoded within the limits: ``width × height``); returns
    its record: ``id``, ``media_type``, ``bytes``, ``width``, ``height``, ``created`` and
    ``expires`` (Unix seconds)."""
    folder = photos_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    photo_id = secrets.token_urlsafe(12)
    created = time.time()
    record = {
        "id": photo_id,
        "media_type": MEDIA_TYPES[image_format(data)],
        "bytes": len(data),
        "width": width,
        "height": height,
        "created": created,
        "expires": created + settings.max_photo_age_days * 86_400,
    }
    atomic_write_bytes(folder / f"{photo_id}.img", data)
    try:
        atomic_write_bytes(folder / f"{photo_id}.json", json.dumps(record).encode())
    except OSError:
        (folder / f"{photo_id}.img").unlink(missing_ok=True)
        raise
    prune(settings, keep=photo_id)
    return record


def get(settings: Settings, photo_id: str) -> tuple[dict, bytes]:
    """The record and the image of ``photo_id``; :class:`UnknownPhoto` when there is none."""
    prune(settings)  # expired ones first: an old link says it is gone
    folder = photos_dir(settings)
    if re.match(ID_PATTERN, photo_id) and photo_id in _ids(folder):
        record = json.loads((folder / f"{photo_id}.json").read_text())
        return record, (folder / f"{photo_id}.img").read_bytes()
    raise UnknownPhoto(f"no photo {photo_id!r} here (it may have expired: {kept(settings)})")


def prune(settings: Settings, keep: str | None = None) -> list[str]:
    """Delete the photos past their lifetime or the store's budget, oldest first (never
    ``keep``, the one just stored). Returns the ids deleted."""
    budget = Budget(
        settings.max_photo_age_days * 86_400, settings.max_photos, settings.max_photo_store_bytes
    )
    folder = photos_dir(settings)
    return prune_folder(folder, _ids(folder), ".img", budget, keep)
