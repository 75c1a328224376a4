"""Every request's cost bounded before it starts, and heavy work kept off the drawing path.

- :func:`check_cost`: a request's estimated model work (``engine.cost``: multiply-add
  equivalents) against ``max_request_megamacs``, refused with a 422 naming the fields that set
  it, the estimate and the limit — and, where one exists, the largest value that would fit.
- :data:`HeavyDep`: a dependency for the endpoints that run a model many times (occlusion,
  integrated gradients, maximise, the playground's every-step answers). At most
  ``max_heavy_requests`` of them run at once in the whole server (all workers); one more is
  answered at once with ``503`` and ``Retry-After``, so heavy work never takes more than that
  many cores nor the request threads, and predictions never wait behind it. One client holds at
  most ``max_heavy_requests_per_client`` of them (``app.core.access.client_of``); one more from
  it is a ``429`` with ``Retry-After``, so one client cannot take every slot.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import math
import os
import queue
import tempfile
import threading
from concurrent.futures import Future
from pathlib import Path
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from app.core.access import client_of
from app.core.settings import Settings
from engine.cost import FORWARD_BACKWARD, pass_cost

RETRY_AFTER_SECONDS = 1
MEGA = 1_000_000


def megamacs(cost: float) -> str:
    return f"{cost / MEGA:,.0f} M"


def check_cost(settings: Settings, fields: str, cost: float, how: str, hint: str = "") -> None:
    """422 when ``cost`` (multiply-add equivalents) is over ``max_request_megamacs``."""
    limit = settings.max_request_megamacs
    if cost > limit * MEGA:
        raise HTTPException(
            422,
            f"{fields}: this request would cost about {megamacs(cost)} multiply-adds ({how}), "
            f"more than the limit max_request_megamacs = {limit:,}{hint}",
        )


def largest_fitting(settings: Settings, per_unit: float) -> int:
    """How many units of ``per_unit`` cost fit in the limit (at least 0)."""
    return max(0, math.floor(settings.max_request_megamacs * MEGA / max(per_unit, 1.0)))


def check_passes(settings: Settings, model, passes: int, what: str, stop=None) -> None:
    """A request that runs ``passes`` forward-pass equivalents of one image through ``model``."""
    one = pass_cost(model, stop)
    check_cost(settings, what, passes * one, f"{passes:,} passes × {megamacs(one)} per pass")


def check_gradient(settings: Settings, model, what: str = "model_id") -> None:
    """The prediction, then one forward and one backward pass (saliency, Grad-CAM)."""
    check_passes(settings, model, FORWARD_BACKWARD + 1, what)


# -- the heavy-request limit ---------------------------------------------------------------------


class HeavySlots:
    """``size`` slots shared by every worker process of the server: slot ``i`` is an exclusive
    ``flock`` on ``<lock_dir>/heavy-<i>.lock``, taken without waiting (the kernel drops it if a
    worker dies). Across the workers at most ``size`` heavy requests run, so they take at most
    ``size`` cores and the rest of the machine serves predictions."""

    def __init__(self, size: int, lock_dir: Path):
        self.size = size
        self.lock_dir = lock_dir
        self._ready = False

    def _dir(self) -> Path:
        if not self._ready:
            try:
                self.lock_dir.mkdir(parents=True, exist_ok=True)
            except OSError:  # a read-only cache directory: the same slots under /tmp
                tag = hashlib.sha256(str(self.lock_dir.resolve()).encode()).hexdigest()[:16]
                self.lock_dir = Path(tempfile.gettempdir()) / f"cnn-explorer-slots-{tag}"
                self.lock_dir.mkdir(parents=True, exist_ok=True)
            self._ready = True
        return self.lock_dir

    def acquire(self, name: str = "heavy", size: int | None = None) -> int | None:
        """A held slot's file descriptor, or ``None`` when every slot is taken: one of ``size``
        (default ``self.size``) slots called ``name``."""
        lock_dir = self._dir()
        for i in range(self.size if size is None else size):
            fd = os.open(lock_dir / f"{name}-{i}.lock", os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return fd
            except BlockingIOError:
                os.close(fd)
        return None

    @staticmethod
    def release(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def busy(what: str) -> HTTPException:
    return HTTPException(
        503,
        f"{what}: the server is busy with other heavy requests (max_heavy_requests); "
        f"retry after {RETRY_AFTER_SECONDS} s",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


POLL_SECONDS = 0.05


async def heavy_slot(request: Request):
    """Hold one of ``max_heavy_requests`` slots for the request: wait up to
    ``heavy_wait_seconds`` for one to come free (no CPU: the event loop serves others), then
    503 + ``Retry-After``. The wait also paces a client that ignores ``Retry-After``: its
    connection sends at most one refused request per wait, not hundreds a second."""
    slots: HeavySlots = request.app.state.heavy
    settings: Settings = request.app.state.settings
    share = settings.max_heavy_requests_per_client
    loop = asyncio.get_running_loop()
    deadline = loop.time() + settings.heavy_wait_seconds
    # First one of this client's own slots (a page's two heavy requests at once simply queue),
    # then one of the server's: one client never holds more than its share of them.
    mine = await _slot(slots, deadline, f"client-{hashed(client_of(request))}", share)
    if mine is None:  # this client's share is still running: the others' turn
        raise HTTPException(
            429,
            f"request: you already have {share} heavy request(s) running, the share of one "
            f"client (max_heavy_requests_per_client = {share}); retry after "
            f"{RETRY_AFTER_SECONDS} s",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    try:
        if (fd := await _slot(slots, deadline)) is None:
            raise busy("request")
        try:
            yield
        finally:
            slots.release(fd)
    finally:
        slots.release(mine)


async def _slot(slots: HeavySlots, deadline: float, *which) -> int | None:
    """A slot (``which``: its name and count, default the server's), waiting until ``deadline``
    without CPU: a slot held in another worker frees without a signal."""
    loop = asyncio.get_running_loop()
    while (fd := slots.acquire(*which)) is None:
        if loop.time() >= deadline:
            return None
        await asyncio.sleep(POLL_SECONDS)
    return fd


def hashed(client: str) -> str:
    """A client's address as a short digest: lock files and job records never hold it."""
    return hashlib.sha256(client.encode()).hexdigest()[:16]


class HeavyPool:
    """The threads heavy requests run on: ``max_heavy_requests`` of them, at a lower CPU priority
    (``heavy_nice``: the OS gives predictions the cores first) and separate from the request
    threads, which they never hold. Each thread lowers only its own priority (Linux nice is
    per thread), once, when it starts.

    They are daemon threads, started on first use: a computation still running when the server
    stops (its request already answered 503 by :class:`CancelledAs503`) is abandoned with the
    process instead of holding its exit — a ``ThreadPoolExecutor``'s threads are joined at exit,
    which kept a loaded server alive past Docker's 10 s with five heavy requests in flight."""

    def __init__(self, size: int, nice: int):
        self.size, self.nice = size, nice
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._started = False
        self._lock = threading.Lock()

    def _work(self) -> None:
        with contextlib.suppress(OSError, AttributeError):  # not Linux: the default priority
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), self.nice)
        while (job := self._jobs.get()) is not None:
            future, fn, args = job
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn(*args))
            except BaseException as e:  # handed to the awaiting request
                future.set_exception(e)

    async def run(self, fn, *args):
        with self._lock:
            if not self._started:
                for i in range(self.size):
                    threading.Thread(target=self._work, name=f"heavy-{i}", daemon=True).start()
                self._started = True
        future: Future = Future()
        self._jobs.put((future, fn, args))
        return await asyncio.wrap_future(future)

    def shutdown(self) -> None:
        """Stop the threads after their current job; jobs not started are cancelled."""
        while True:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                break
            if job is not None:
                job[0].cancel()
        for _ in range(self.size):
            self._jobs.put(None)


async def run_heavy(request: Request, fn, *args):
    """``fn(*args)`` on the heavy threads (the caller holds a slot: :data:`HeavyDep`)."""
    return await request.app.state.heavy_pool.run(fn, *args)


HeavyDep = Depends(heavy_slot)
Heavy = Annotated[None, HeavyDep]
BUSY = {503: {"description": "Busy with other heavy requests: retry after `Retry-After` s."}}


class CancelledAs503:
    """ASGI middleware: a request cancelled before its response started — uvicorn cancels the
    ones still running when ``graceful_shutdown_seconds`` run out — is answered ``503`` with
    ``Retry-After`` (the server is going away), never uvicorn's 500."""

    BODY = b'{"detail": "the server is shutting down; retry after 1 s"}'

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = False

        async def watch(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except asyncio.CancelledError:
            if started:
                raise
            headers = [
                (b"content-type", b"application/json"),
                (b"retry-after", str(RETRY_AFTER_SECONDS).encode()),
                (b"content-length", str(len(self.BODY)).encode()),
            ]
            await send({"type": "http.response.start", "status": 503, "headers": headers})
            await send({"type": "http.response.body", "body": self.BODY})
