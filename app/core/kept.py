"""A store of uploads: how an upload arrives (streamed to a file, counted against a limit) and
what the store keeps (each upload has a lifetime, and the store a count and a byte budget; past
any of them the oldest go first). Uploaded data sets (``app.datasets``) and photos
(``app.photos``) are both kept so.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from fastapi import HTTPException


@dataclass(frozen=True)
class Stored:
    """One upload: its id, when it was stored (``time.time()``) and its bytes on disk."""

    id: str
    created: float
    size: int


@dataclass(frozen=True)
class Budget:
    """How long an upload is kept (seconds), and how many and how many bytes at most."""

    max_age: float
    max_count: int
    max_bytes: int


def past_budget(
    stored: list[Stored], budget: Budget, now: float, keep: str | None = None
) -> list[str]:
    """The ids to delete, oldest first: every upload older than ``max_age``, then the oldest
    while there are more than ``max_count`` or they hold more than ``max_bytes`` — never
    ``keep`` (the one just stored)."""
    total, count = sum(s.size for s in stored), len(stored)
    gone = []
    for s in sorted(stored, key=lambda s: (s.created, s.id)):
        too_many = count > budget.max_count or total > budget.max_bytes
        if s.id != keep and (now - s.created > budget.max_age or too_many):
            gone.append(s.id)
            total, count = total - s.size, count - 1
    return gone


async def stream_to(
    chunks: AsyncIterator[bytes], out: BinaryIO, limit: int, field: str, name: str
) -> int:
    """Write ``chunks`` to the file ``out`` as they come (never more than ``limit`` bytes held or
    written: past it a 413 naming ``field`` and the setting ``name``). Returns the bytes written."""
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise HTTPException(413, f"{field}: more than the limit {name} = {limit:,}")
        out.write(chunk)
    return size


def prune_folder(
    folder: Path, ids: list[str], suffix: str, budget: Budget, keep: str | None = None
) -> list[str]:
    """Delete the uploads of ``folder`` past ``budget`` — each ``<id>.json`` (its record, with
    ``created``) and ``<id><suffix>`` (its data), the record first so it is unlisted at once.
    Returns the ids deleted."""
    stored = []
    for upload_id in ids:
        record = json.loads((folder / f"{upload_id}.json").read_text())
        size = (folder / f"{upload_id}{suffix}").stat().st_size
        stored.append(Stored(upload_id, record.get("created", 0.0), size))
    gone = past_budget(stored, budget, time.time(), keep)
    for upload_id in gone:
        (folder / f"{upload_id}.json").unlink(missing_ok=True)
        (folder / f"{upload_id}{suffix}").unlink(missing_ok=True)
    return gone
