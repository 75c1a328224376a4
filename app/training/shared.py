"""Several server processes (uvicorn workers), one training queue.

Each worker has its own :class:`~app.training.jobs.JobManager`; they share the jobs directory.
Exactly one of them, the *leader*, runs jobs: it holds an exclusive ``flock`` on
``<jobs_dir>/leader.lock`` for as long as it lives (the kernel drops the lock when the process
dies, however it dies). So at most ``max_running_jobs`` jobs train at once whatever the number of
workers. The others talk to it through the directory, which every one of them can read:

- a job started on another worker is written as a ``queued`` record (``<id>.json``, created with
  ``O_EXCL``); the leader adopts it at its next look (every ``POLL_SECONDS``) and runs it in turn;
- cancel and resume requests for the leader's jobs are marker files (``<id>.cancel``,
  ``<id>.resume``) that the leader acts on at its next look;
- the leader keeps each running job's record up to date (at most every ``PROGRESS_SECONDS``)
  and the latest filters in ``<id>.filters.json``; an event stream opened on another worker
  turns the changes it reads into the same events (``state``, ``step``, ``epoch``, ``filters``,
  ``end``).

Every worker tries for the lock at each look, so when the leader dies another takes over: the
jobs the dead leader was running are marked interrupted (failed, resumable), the queued ones run.
On a single worker this is the old behaviour: it leads from the start.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import time
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: one process, no lock needed
    fcntl = None

log = logging.getLogger("cnn_explorer.training")

POLL_SECONDS = 0.25  # how often every worker looks at the jobs directory
PROGRESS_SECONDS = 1.0  # how often the leader rewrites a running job's record
FORWARD_WAIT_SECONDS = 3.0  # how long a worker waits to see the leader act on its marker
MAX_STEPS_PER_LOOK = 200  # step events a follower stream replays from one look


def write_quick(path: Path, data: bytes) -> None:
    """Replace ``path`` atomically, without ``fsync`` (progress, not state)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


class Coordinator:
    """The jobs directory as the workers' shared state (see the module's docstring)."""

    def __init__(self, directory: Path):
        self.dir = directory
        self._fd: int | None = None
        self.leading = False
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._followers: dict[str, dict] = {}  # job id → what its remote streams last saw
        self._lock = threading.Lock()

    # -- leadership --------------------------------------------------------------------------

    def try_lead(self) -> bool:
        """Take the leader lock if it is free; ``True`` if this process leads (now or already)."""
        if self.leading:
            return True
        if fcntl is None:
            self.leading = True
            return True
        if not self.dir.is_dir():  # no jobs yet: the first to queue one creates it, and leads
            return False
        try:
            fd = os.open(self.dir / "leader.lock", os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as e:  # a read-only directory: nobody can share it; run alone
            log.warning("jobs directory %s not writable (%s): training runs here", self.dir, e)
            self.leading = True
            return True
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd, self.leading = fd, True
        return True

    def start(self, look) -> None:
        """Call ``look()`` every ``POLL_SECONDS`` in a daemon thread until :meth:`stop`."""

        def loop():
            while not self._stop.wait(POLL_SECONDS):
                try:
                    look()
                except Exception:  # a bad record must not stop the loop
                    log.exception("looking at the jobs directory")

        self._thread = threading.Thread(target=loop, name="jobs-directory", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        if self._fd is not None:
            os.close(self._fd)  # releases the lock
            self._fd = None
        self.leading = False

    # -- records -----------------------------------------------------------------------------

    def record_path(self, job_id: str) -> Path:
        return self.dir / f"{job_id}.json"

    def read(self, job_id: str) -> dict:
        """The job's record as the leader last wrote it; ``KeyError`` if there is none."""
        try:
            job = json.loads(self.record_path(job_id).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise KeyError(job_id) from None
        if not isinstance(job, dict) or job.get("id") != job_id:
            raise KeyError(job_id)
        return job

    def read_all(self) -> list[dict]:
        jobs = []
        for path in sorted(self.dir.glob("*.json")):
            if path.name.endswith(".filters.json"):
                continue
            with contextlib.suppress(KeyError):
                jobs.append(self.read(path.stem))
        return jobs

    def create(self, job: dict) -> None:
        """Write a new ``queued`` record for the leader to adopt (fails if the id exists)."""
        self.dir.mkdir(parents=True, exist_ok=True)
        data = json.dumps(job, indent=1, allow_nan=False).encode()
        tmp = self.dir / f".{job['id']}.new.tmp"
        tmp.write_bytes(data)
        try:
            os.link(tmp, self.record_path(job["id"]))  # atomic, and refuses an existing name
        finally:
            tmp.unlink(missing_ok=True)

    def unknown_ids(self, known) -> list[str]:
        """Records on disk that ``known`` does not hold, oldest name first."""
        out = []
        for path in self.dir.glob("*.json"):
            job_id = path.stem
            if not path.name.endswith(".filters.json") and job_id not in known:
                out.append(job_id)
        return sorted(out)

    # -- requests forwarded to the leader ----------------------------------------------------

    def forward(self, job_id: str, action: str, done) -> dict:
        """Leave a marker asking the leader to ``action`` the job, and wait (a little) until
        ``done(record)`` says it did; the record as it then is."""
        (self.dir / f"{job_id}.{action}").touch()
        deadline = time.monotonic() + FORWARD_WAIT_SECONDS
        job = self.read(job_id)
        while not done(job) and time.monotonic() < deadline:
            time.sleep(POLL_SECONDS / 2)  # bounded by the deadline above
            job = self.read(job_id)
        return job

    def markers(self) -> list[tuple[str, str]]:
        """``(job_id, action)`` for every marker waiting, each removed as it is returned."""
        out = []
        for action in ("cancel", "resume"):
            for path in sorted(self.dir.glob(f"*.{action}")):
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
                    out.append((path.stem, action))
        return out

    # -- filters for other workers' streams ---------------------------------------------------

    def filters_path(self, job_id: str) -> Path:
        return self.dir / f"{job_id}.filters.json"

    def write_filters(self, job_id: str, event: dict) -> None:
        with contextlib.suppress(OSError, ValueError):
            write_quick(self.filters_path(job_id), json.dumps(event, allow_nan=False).encode())

    def read_filters(self, job_id: str) -> dict | None:
        try:
            return json.loads(self.filters_path(job_id).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    # -- event streams for jobs another worker runs -------------------------------------------

    def follow(self, job_id: str, job: dict) -> None:
        """Start turning changes of ``job_id``'s record into events (from ``job`` on)."""
        with self._lock:
            if job_id not in self._followers:
                filters = self.filters_path(job_id)
                self._followers[job_id] = {
                    "count": 0,
                    "job": job,
                    "filters": filters.stat().st_mtime_ns if filters.exists() else None,
                }
            self._followers[job_id]["count"] += 1

    def unfollow(self, job_id: str) -> None:
        with self._lock:
            seen = self._followers.get(job_id)
            if seen is not None:
                seen["count"] -= 1
                if seen["count"] <= 0:
                    del self._followers[job_id]

    def followed_events(self, snapshot) -> list[tuple[str, dict]]:
        """``(job_id, event)`` for what changed in the followed jobs since the last look."""
        with self._lock:
            followed = dict(self._followers)
        out = []
        for job_id, seen in followed.items():
            try:
                job = self.read(job_id)
            except KeyError:
                continue
            before = seen["job"]
            out += [(job_id, e) for e in _progress_events(before, job)]
            with contextlib.suppress(OSError):
                mtime = self.filters_path(job_id).stat().st_mtime_ns
                if mtime != seen["filters"]:
                    seen["filters"] = mtime
                    filters = self.read_filters(job_id)
                    if filters:
                        out.append((job_id, filters))
            if (job["state"], job.get("message")) != (before["state"], before.get("message")):
                kind = "end" if job["state"] in ("done", "failed", "cancelled") else "state"
                out.append((job_id, {"event": kind, "job": snapshot(job)}))
            seen["job"] = job
        return out


def _progress_events(before: dict, job: dict) -> list[dict]:
    """The ``step`` and ``epoch`` events between two versions of a running job's record."""
    events = []
    steps = job.get("steps") or 0
    new_steps = job.get("steps_history", [])[len(before.get("steps_history", [])) :]
    for point in new_steps[-MAX_STEPS_PER_LOOK:]:
        events.append(
            {
                "event": "step",
                **point,
                "step_in_epoch": point["step"] - (point["epoch"] - 1) * steps,
                "steps": steps,
                "epochs": job["epochs"],
                "progress": job.get("progress", 0.0),
                "elapsed": job.get("elapsed", 0.0),
                "eta": job.get("eta"),
            }
        )
    seen_epochs = {h["epoch"] for h in before.get("history", [])}
    for record in job.get("history", []):
        if record["epoch"] not in seen_epochs:
            events.append({"event": "epoch", **record, "epochs": job["epochs"]})
    return events
