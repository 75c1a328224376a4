"""Who runs the queue: every training consumer beats its heart in the queue's own storage, so
any server process — on this machine or another sharing the Redis queue — knows whether one is
alive, and a job that nobody runs says so instead of waiting in silence.

- :class:`BeatingScheduler`: huey's scheduler, which every consumer runs (``python -m app``'s
  child, the app's own thread, ``huey_consumer`` on another machine), writing the consumer's
  beat every ``BEAT_SECONDS`` and removing it when the consumer stops.
- :class:`Heartbeats`: the beats, one record per consumer, in a namespace of the queue's
  storage; a consumer whose beat is older than ``STALE_SECONDS`` is gone.
- :func:`elect`: one process of many (uvicorn workers) wins the right to start a consumer when
  none is alive, through the storage's atomic ``put_if_empty``.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import time

from huey.consumer import Scheduler

BEAT_SECONDS = 2.0  # a consumer's beat is written this often
STALE_SECONDS = 10.0  # a beat older than this: that consumer is gone
ELECTION_SECONDS = 15.0  # one election per window of this length
NO_WORKER = (
    "waiting for a training worker: none is running. Start one with "
    "`python -m app.training.consumer` (with the server's CNN_EXPLORER_* settings), or serve "
    "with `python -m app` or with CNN_EXPLORER_TRAINING_MODE=auto (the default)"
)


def consumer_id(kind: str) -> str:
    """A name for one consumer: where it runs and a random suffix (pids repeat across hosts)."""
    return f"{socket.gethostname()}:{os.getpid()}:{kind}:{secrets.token_hex(3)}"


class Heartbeats:
    """The consumers' beats: ``{id: {"id", "host", "pid", "kind", "beat"}}`` in the storage
    namespace ``<queue>_consumers`` (SQLite or Redis, as the queue)."""

    def __init__(self, storage):
        self.storage = storage

    def beat(self, cid: str) -> None:
        host, pid, kind, _ = cid.split(":")
        record = {"id": cid, "host": host, "pid": int(pid), "kind": kind, "beat": time.time()}
        self.storage.put_data(cid, json.dumps(record).encode())

    def forget(self, cid: str) -> None:
        self.storage.pop_data(cid)

    def live(self) -> list[dict]:
        """The consumers that beat within ``STALE_SECONDS``; older beats are removed."""
        alive, now = [], time.time()
        for cid, raw in self.storage.result_items().items():
            record = json.loads(bytes(raw))
            if now - record["beat"] <= STALE_SECONDS:
                alive.append(record)
            elif now - record["beat"] > 10 * STALE_SECONDS:
                self.storage.pop_data(cid)  # long gone: keep the namespace small
        return sorted(alive, key=lambda r: r["id"])


class BeatingScheduler(Scheduler):
    """Huey's scheduler (one per consumer, looping about once a second), which also beats the
    consumer's heart every ``BEAT_SECONDS`` and forgets it on shutdown."""

    def __init__(self, huey, *args, **kwargs):
        super().__init__(huey, *args, **kwargs)
        self.cid, self._next_beat = consumer_id(huey.consumer_kind), 0.0
        self.huey.heartbeats.beat(self.cid)  # alive from the start: a job queued now sees it

    def loop(self, now=None):
        if time.monotonic() >= self._next_beat:
            self.huey.heartbeats.beat(self.cid)
            self._next_beat = time.monotonic() + BEAT_SECONDS
        super().loop(now)

    def shutdown(self):
        self.huey.heartbeats.forget(self.cid)
        super().shutdown()


def elect(storage, candidate: str) -> bool:
    """True for exactly one caller per ``ELECTION_SECONDS`` window: the one that may start a
    consumer now that none is alive (the others see its beat within ``BEAT_SECONDS``)."""
    window = int(time.time() // ELECTION_SECONDS)
    return bool(storage.put_if_empty(f"consumer-election:{window}", candidate.encode()))
