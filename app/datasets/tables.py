"""Whole-test-set tables (a model's evaluation, its top-activating digits): computed once, in the
background, one at a time, and kept within a memory budget.

Such a table classifies all 10,000 test digits — seconds of CPU, more than any request may
spend — so no request computes one. The first request for it starts the computation on this
module's single background thread and waits up to ``table_wait_seconds`` for it; if it is not
done by then the answer is ``503`` with ``Retry-After`` (the browser's API client retries), and
the computation carries on for the next request. Results are kept in a :class:`ByteLRU` of
``max_cache_bytes``. At shutdown the thread is told to stop and the computation stops at its
next batch (``progress`` raises :class:`Cancelled`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from fastapi import HTTPException

from app.core.memo import ByteLRU
from app.core.settings import Settings

RETRY_AFTER_SECONDS = 2


class Cancelled(Exception):
    """The server is shutting down: a background table stops at its next batch."""


class Tables:
    def __init__(self, settings: Settings):
        self.wait_seconds = settings.table_wait_seconds
        self._done = ByteLRU(settings.max_cache_bytes)
        self._running: dict[Hashable, Future] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tables")

    def progress(self) -> None:
        """Called by a computation between batches: raises :class:`Cancelled` at shutdown."""
        if self._stop.is_set():
            raise Cancelled("the server is shutting down")

    def cached(self, key: Hashable):
        return self._done.get(key)

    def get(self, key: Hashable, compute: Callable[[], Any], what: str) -> tuple[Any, bool]:
        """``(table, from memory)``: the cached table, or ``compute()`` run in the background.

        Raises ``HTTPException(503)`` with ``Retry-After`` when it is not ready in time, and
        whatever ``compute`` raised when it failed (which is not kept: the next request tries
        again).
        """
        hit = self._done.get(key)
        if hit is not None:
            return hit, True
        with self._lock:
            future = self._running.get(key)
            if future is None:
                if self._stop.is_set():
                    raise HTTPException(503, f"{what}: the server is shutting down")
                future = self._pool.submit(self._run, key, compute)
                self._running[key] = future
        try:
            return future.result(timeout=self.wait_seconds), False
        except (Cancelled, CancelledError):
            raise HTTPException(503, f"{what}: the server is shutting down") from None
        except FutureTimeout:
            raise HTTPException(
                503,
                f"{what}: being computed over the whole test set in the background (a one-off "
                f"per model, longer than table_wait_seconds = {self.wait_seconds}); retry after "
                f"{RETRY_AFTER_SECONDS} s",
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            ) from None

    def _run(self, key: Hashable, compute: Callable[[], Any]):
        try:
            value = compute()
            self._done.put(key, value)
            return value
        finally:
            with self._lock:
                self._running.pop(key, None)

    def shutdown(self) -> None:
        self._stop.set()
        self._pool.shutdown(wait=False, cancel_futures=True)
