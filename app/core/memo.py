"""Memoised results with a memory budget in bytes, not only an entry count.

``ByteLRU`` is cachetools' ``LRUCache`` measured in bytes: it keeps the most recently used
entries whose estimated sizes (:func:`nbytes`: NumPy buffers, strings, and the containers and
dataclasses holding them) add up to at most ``max_bytes``; an entry larger than the whole budget
is not kept at all. cachetools' caches are not thread-safe, so every access holds a lock.
"""

from __future__ import annotations

import dataclasses
import itertools
import sys
import threading
import weakref
from collections.abc import Hashable
from typing import Any

import numpy as np
from cachetools import LRUCache

_tokens = itertools.count()
_token_of: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_token_lock = threading.Lock()


def token(obj: Any) -> int:
    """A number for ``obj`` that no other object ever gets (unlike ``id``, never reused), so a
    cache key holding it cannot keep ``obj`` alive nor match a later object."""
    with _token_lock:
        t = _token_of.get(obj)
        if t is None:
            t = _token_of[obj] = next(_tokens)
        return t


def nbytes(value: Any, _depth: int = 0) -> int:
    """Estimated bytes held by ``value``: arrays' buffers plus containers' own sizes."""
    if _depth > 6:
        return sys.getsizeof(value)
    if isinstance(value, np.ndarray):
        return value.nbytes + 112
    if isinstance(value, (str, bytes, int, float, bool)) or value is None:
        return sys.getsizeof(value)
    if isinstance(value, dict):
        return sys.getsizeof(value) + sum(
            nbytes(k, _depth + 1) + nbytes(v, _depth + 1) for k, v in value.items()
        )
    if isinstance(value, (list, tuple, set, frozenset)):
        return sys.getsizeof(value) + sum(nbytes(v, _depth + 1) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return 64 + sum(
            nbytes(getattr(value, f.name), _depth + 1) for f in dataclasses.fields(value)
        )
    return sys.getsizeof(value)


class ByteLRU:
    """``get``/``put`` by key; least recently used entries go first when over ``max_bytes``."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self._entries = LRUCache(maxsize=max_bytes, getsizeof=nbytes)
        self._lock = threading.Lock()  # a read reorders the entries too

    def get(self, key: Hashable, default=None):
        with self._lock:
            return self._entries.get(key, default)

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            try:
                self._entries[key] = value
            except ValueError:  # larger than the whole budget: not kept, nor its old value
                self._entries.pop(key, None)

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def bytes(self) -> int:
        """Estimated bytes held now (never more than ``max_bytes``)."""
        return self._entries.currsize


class SizedMemo:
    """A module's :class:`ByteLRU` of ``settings.max_cache_bytes``: ``memo(settings)`` gives it,
    made anew when that setting changes (an app made with other settings)."""

    def __init__(self):
        self._memo: ByteLRU | None = None
        self._lock = threading.Lock()

    def __call__(self, settings) -> ByteLRU:
        with self._lock:
            if self._memo is None or self._memo.max_bytes != settings.max_cache_bytes:
                self._memo = ByteLRU(settings.max_cache_bytes)
            return self._memo
