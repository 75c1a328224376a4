"""Spread big elementwise NumPy work over the machine's cores.

BLAS runs the matmuls on every core, but NumPy's copies and ufuncs run on one. They release
the GIL while they loop, so Python threads that are each handed one block of an array's
channel axis do run at the same time. The calling thread takes the first block itself; work
under ``MIN_ELEMENTS`` elements runs inline, where the hand-off (tens of µs) would cost more
than it saves — so a batch-1 forward never leaves the calling thread.

``fn(s)`` must read and write only the part of its arrays that the slice ``s`` selects, so the
blocks never touch the same memory.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

MIN_ELEMENTS = 1 << 17  # 128 Ki elements: about 0.1 ms of copying


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


_threads = _cpus()
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def set_threads(n: int) -> None:
    """Use ``n`` threads for elementwise work from now on (1: all inline)."""
    global _threads, _pool
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"threads must be an int >= 1, got {n!r}")
    with _pool_lock:
        if n != _threads and _pool is not None:
            _pool.shutdown(wait=True)
            _pool = None
        _threads = n


def threads() -> int:
    """How many threads elementwise work is split over (the CPUs this process may use)."""
    return _threads


def blocks(n: int, parts: int) -> list[slice]:
    """``range(n)`` cut into ``min(parts, n)`` slices of near-equal length, in order."""
    parts = max(1, min(parts, n))
    edges = [n * i // parts for i in range(parts + 1)]
    return [slice(edges[i], edges[i + 1]) for i in range(parts)]


def run(fn: Callable[[slice], object], n: int, elements: int) -> None:
    """Call ``fn(s)`` for slices ``s`` that cover ``range(n)``, spread over the threads when the
    work touches at least ``MIN_ELEMENTS`` array elements; exceptions propagate."""
    if elements < MIN_ELEMENTS or _threads == 1 or n == 1:
        fn(slice(0, n))
        return
    parts = blocks(n, _threads)
    futures = [_executor().submit(fn, s) for s in parts[1:]]
    try:
        fn(parts[0])
    finally:
        for f in futures:
            f.result()


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=_threads - 1, thread_name_prefix="engine-ops")
        return _pool
