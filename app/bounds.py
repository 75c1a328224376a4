"""Every request's cost bounded before it starts, and heavy work kept off the drawing path.

- :func:`check_cost`: a request's estimated model work (``engine.cost``: multiply-add
  equivalents) against ``max_request_megamacs``, refused with a 422 naming the fields that set
  it, the estimate and the limit — and, where one exists, the largest value that would fit.
- :data:`HeavyDep`: a dependency for the endpoints that run a model many times (explanations,
  the playground, whole-test-set tables, imports). At most ``max_heavy_requests`` of them run
  at once in a worker; one more is answered at once with ``503`` and ``Retry-After``, so the
  request threads stay free for predictions, which never wait behind them.
"""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from app.errors import ApiError
from app.settings import Settings
from engine.cost import FORWARD_BACKWARD, pass_cost

RETRY_AFTER_SECONDS = 1
MEGA = 1_000_000


def megamacs(cost: float) -> str:
    return f"{cost / MEGA:,.0f} M"


def check_cost(settings: Settings, fields: str, cost: float, how: str, hint: str = "") -> None:
    """422 when ``cost`` (multiply-add equivalents) is over ``max_request_megamacs``."""
    limit = settings.max_request_megamacs
    if cost > limit * MEGA:
        raise ApiError(
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
    """One forward and one backward pass (saliency, Grad-CAM)."""
    check_passes(settings, model, FORWARD_BACKWARD, what)


# -- the heavy-request limit ---------------------------------------------------------------------


class HeavySlots:
    """A counter of running heavy requests; only the event loop touches it (no lock needed)."""

    def __init__(self, size: int):
        self.size = size
        self.running = 0


def busy(what: str) -> HTTPException:
    return HTTPException(
        503,
        f"{what}: the server is busy with other heavy requests (max_heavy_requests); "
        f"retry after {RETRY_AFTER_SECONDS} s",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


async def heavy_slot(request: Request):
    """Hold one of ``max_heavy_requests`` slots for the request, or 503 + ``Retry-After``."""
    slots: HeavySlots = request.app.state.heavy
    if slots.running >= slots.size:
        raise busy("request")
    slots.running += 1
    try:
        yield
    finally:
        slots.running -= 1


HeavyDep = Depends(heavy_slot)
Heavy = Annotated[None, HeavyDep]
BUSY = {503: {"description": "Busy with other heavy requests: retry after `Retry-After` s."}}
