"""The training queue and what every process shares about its jobs, in huey's storage.

:func:`make_huey` gives the queue: a SQLite file (``<jobs_dir>/queue.sqlite3``) by default, Redis
when ``CNN_EXPLORER_QUEUE_URL`` names one (then web servers and training consumers on several
machines share it). Huey queues, claims and revokes the tasks; :class:`JobStore` keeps, beside
them in the same storage, what is ours:

- each job's record (JSON, ``GET /api/train/{id}``), in a namespace of its own so it can be listed;
- each job's events, numbered ``1, 2, ...`` by an atomic counter; a record carries ``seq``, the
  last event it reflects, so an event stream on any process starts from a record and reads on
  from ``seq + 1``, missing and repeating nothing;
- a job's cancel flag, its latest filters, and its heartbeat (a record left ``running`` whose
  heartbeat stopped belongs to a consumer that died: :func:`interrupted` says what was lost).
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

from huey import Huey
from huey.constants import EmptyData
from huey.consumer import Consumer
from huey.storage import RedisStorage, SqliteStorage

from app.settings import Settings

TERMINAL = ("done", "failed", "cancelled")
QUEUE_NAME = "cnn-explorer"
STALE_SECONDS = 20.0  # a running job whose heartbeat is older than this has no runner
SHUTDOWN_SECONDS = 8.0  # a consumer waits this long for its jobs to stop (Docker allows 10)
BATCH = 64  # events read per look


def jobs_dir(settings: Settings) -> Path:
    return Path(settings.jobs_dir or settings.models_dir / ".jobs")


class JobsHuey(Huey):
    """A huey whose consumer's stop flag the running jobs see (``stopping``: a consumer shutting
    down gracefully stops them at their next step), with the job store beside its queue."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.stopping, self.jobs = threading.Event(), JobStore(self)

    def create_consumer(self, **options) -> Consumer:  # huey_consumer's way in too
        consumer = super().create_consumer(**options)
        self.stopping = consumer.stop_flag
        return consumer


def make_consumer(huey: JobsHuey, settings: Settings) -> Consumer:
    """``max_running_jobs`` worker threads, polling SQLite at least every 0.5 s; SIGTERM stops
    them gracefully (their jobs at the next step) within ``SHUTDOWN_SECONDS``."""
    options = {"max_delay": 0.5, "graceful_signal": "TERM", "shutdown_timeout": SHUTDOWN_SECONDS}
    return huey.create_consumer(workers=settings.max_running_jobs, **options)


def make_huey(settings: Settings) -> JobsHuey:
    """The queue ``settings`` name (``queue_url``, else the SQLite file in the jobs directory)."""
    url = settings.queue_url
    if url:
        if not url.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(f"CNN_EXPLORER_QUEUE_URL must be a redis:// URL, got {url!r}")
        return JobsHuey(QUEUE_NAME, results=False, storage_class=RedisStorage, url=url)
    directory = jobs_dir(settings)
    directory.mkdir(parents=True, exist_ok=True)
    filename = str(directory / "queue.sqlite3")
    return JobsHuey(QUEUE_NAME, results=False, storage_class=SqliteStorage, filename=filename)


class JobStore:
    """Records, events, cancel flags, filters and heartbeats (see the module's docstring)."""

    def __init__(self, huey: Huey):
        kwargs = huey.storage_kwargs
        self.records = huey.storage_class(f"{QUEUE_NAME}_records", **kwargs)
        self.data = huey.storage  # events, flags, heartbeats: never listed

    def put(self, job: dict) -> None:
        record = {k: v for k, v in job.items() if k != "position"}
        self.records.put_data(job["id"], json.dumps(record, allow_nan=False).encode())

    def get(self, job_id: str) -> dict:
        """The job's record; ``KeyError`` if there is none."""
        raw = self.records.peek_data(job_id)
        if raw is EmptyData:
            raise KeyError(job_id)
        return json.loads(bytes(raw))

    def all(self) -> list[dict]:
        return [json.loads(bytes(v)) for v in self.records.result_items().values()]

    def emit(self, job: dict, event: dict) -> None:
        """Append ``event`` to the job's events; ``job["seq"]`` becomes its number."""
        job["seq"] = self.data.incr(f"{job['id']}:seq")
        self.data.put_data(f"{job['id']}:{job['seq']}", json.dumps(event).encode())

    def events_after(self, job_id: str, seq: int) -> list[tuple[int, dict]]:
        """The job's events numbered ``seq + 1`` on (up to ``BATCH``), as ``(number, event)``."""
        keys = [f"{job_id}:{n}" for n in range(seq + 1, seq + 1 + BATCH)]
        found = self.data.peek_many(keys)
        out = []
        for n, key in enumerate(keys, seq + 1):
            if key not in found:
                break
            out.append((n, json.loads(bytes(found[key]))))
        return out

    def flag(self, job_id: str, name: str, value: bytes | None = b"1") -> None:
        """Set (``None``: clear) a flag of the job: ``cancel``, ``filters`` or ``beat``."""
        key = f"{job_id}:{name}"
        if value is None:
            self.data.delete_data(key)
        else:
            self.data.put_data(key, value)

    def read_flag(self, job_id: str, name: str) -> bytes | None:
        raw = self.data.peek_data(f"{job_id}:{name}")
        return None if raw is EmptyData else bytes(raw)

    def beat(self, job_id: str) -> None:
        self.flag(job_id, "beat", str(time.time()).encode())

    def stale(self, job: dict) -> bool:
        """Whether ``job`` is recorded running but nobody has run it for ``STALE_SECONDS``."""
        beat = self.read_flag(job["id"], "beat")
        return job["state"] == "running" and time.time() - float(beat or 0) > STALE_SECONDS


def interrupted(job: dict) -> dict:
    """``job``, stopped by a shutdown (or its runner's death), as failed and resumable, with a
    message saying which epoch was lost and where the checkpoint is."""
    done, ckpt = job["epochs_done"], job["checkpoint"]
    if not Path(ckpt).is_file():
        done, where = 0, "before the first checkpoint"
    else:
        where = f"the checkpoint after epoch {done} is at {ckpt}"
    resume = f"resume it with POST /api/train/{job['id']}/resume"
    if done >= job["epochs"]:
        message = f"the server stopped after the last epoch, before the model was saved; {where}"
        message += f"; {resume} to evaluate and save it"
    else:
        message = f"the server stopped during epoch {done + 1}; {where}; {resume} (from there)"
    now = time.time()
    elapsed = now - job["started"] if job.get("started") else 0.0
    change = {"message": message, "epochs_done": done, "finished": now, "elapsed": elapsed}
    return job | change | {"state": "failed", "resumable": True, "eta": None}
