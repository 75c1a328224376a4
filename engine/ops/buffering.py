"""NumPy's ufunc buffer, made small around passes over strided views with short runs.

NumPy iterates a ufunc over non-contiguous operands in chunks of its buffer size (8192
elements by default). Measured on this project's passes (NumPy 2.4, float32, one thread): an
in-place add onto a strided view whose contiguous runs are shorter than about half the buffer
goes ~3× slower per element than the same add with a buffer no larger than a run — e.g. the
convolution's scatter of column gradients onto ``dx_pad`` (runs of ``W_out*N`` values) for the
MNIST net's conv2 at 64 examples: 2.26 ms with the default buffer, 0.71 ms with 512 elements.
The 2×2 max-pool forward's reductions of strided views (runs of N on batch-last input) gain
too (0.375 → 0.29 ms at 64 × 16 × 28²); its backward, whose passes broadcast, goes slower
and keeps the default. Contiguous passes, and runs longer than the buffer, do not change.

The setting is NumPy's own (per thread; :func:`numpy.setbufsize`), so :func:`small_buffer`
restores it on the way out, also when the body raises. Results are unchanged: an elementwise
pass computes each element the same way whatever the chunking.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

SMALL_BUFFER = 512  # elements; at most the shortest run the scatter sees in practice


@contextmanager
def small_buffer(elements: int | None = None) -> Iterator[None]:
    """Run the body with NumPy's ufunc buffer at ``elements`` (restored afterwards)."""
    old = np.getbufsize()
    np.setbufsize(elements or SMALL_BUFFER)
    try:
        yield
    finally:
        np.setbufsize(old)
