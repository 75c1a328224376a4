"""Keep the memory a training step frees for the next step, instead of faulting it in again.

A training step of the shipped model at batch 128 allocates and frees about 50 MB of
activations and gradients. glibc's malloc hands blocks over its dynamic threshold straight back
to the kernel, and trims the heap's free top, so every step page-faults the same memory in
again — in a VM that measured 12-30 ms of kernel time per step (of ~90 ms CPU), for NumPy and
PyTorch alike. :func:`keep_freed_memory` fixes both thresholds with ``mallopt``: blocks under
32 MiB come from the heap, and up to 256 MiB of free heap stays mapped. The process keeps its
peak heap size; nothing else changes. Where malloc is not glibc's it does nothing.

Inference forwards call it too. In a script that only ran forwards, an imported MobileNetV2 at
224×224 took 49–50 ms for every layer's output without it and 31–32 ms with it, a 7×7
depthwise layer 0.45 ms against 0.25; the explorer's server measured no change (its other large
frees had already raised glibc's dynamic threshold). Figures: bench/README.md, fifth round.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import platform

M_TRIM_THRESHOLD = -1  # glibc's mallopt parameter numbers (malloc.h)
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 << 20  # glibc's upper limit for it on 64-bit systems
TRIM_THRESHOLD = 256 << 20

_done: bool | None = None


def keep_freed_memory() -> bool:
    """Raise glibc's mmap and trim thresholds, once per process; True if they are set."""
    global _done
    if _done is None:
        _done = False
        if platform.system() == "Linux" and platform.libc_ver()[0] == "glibc":
            try:
                libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
                _done = bool(
                    libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
                    and libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)
                )
            except (OSError, AttributeError):
                pass
    return _done
