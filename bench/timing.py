"""The benchmarks' one stopwatch: :func:`timed` runs a function ``n`` times and keeps the wall
and CPU seconds of each run, and the last result."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Timing:
    out: Any = None  # what the last run returned
    wall: list[float] = field(default_factory=list)  # seconds, one per run
    cpu: list[float] = field(default_factory=list)  # this process's CPU seconds, one per run

    @property
    def median(self) -> float:
        """The median wall seconds."""
        return statistics.median(self.wall)


def timed(fn: Callable[[], Any], n: int = 1) -> Timing:
    """Call ``fn()`` ``n`` times, timing each call."""
    t = Timing()
    for _ in range(n):
        c0, w0 = time.process_time(), time.perf_counter()
        t.out = fn()
        t.wall.append(time.perf_counter() - w0)
        t.cpu.append(time.process_time() - c0)
    return t
