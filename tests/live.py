"""The tests' one way to run a real server: ``free_port()`` and :class:`LiveServer`, a
subprocess (``python -m app`` unless told otherwise) on a free loopback port, up when
``/api/health`` answers, stopped with SIGTERM (killed after a deadline) when the test is done.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import httpx
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]

START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 30.0
EVENTS_TIMEOUT_S = 300.0  # a busy machine trains slowly; the waits end as soon as events come


def free_port() -> int:
    """A loopback port nobody listens on (the kernel's choice)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def app_env(**settings) -> dict[str, str]:
    """This process's environment without any ``CNN_EXPLORER_*``, plus ``settings`` as
    ``CNN_EXPLORER_<NAME>`` variables (``models_dir=...`` → ``CNN_EXPLORER_MODELS_DIR``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CNN_EXPLORER_")}
    env["PYTHONPATH"] = str(REPO_ROOT)
    return env | {f"CNN_EXPLORER_{k.upper()}": str(v) for k, v in settings.items()}


class LiveServer:
    """``cmd`` (default ``python -m app``) serving on ``self.url``; its output in ``self.log``.
    ``{port}`` in ``cmd`` is the port (for commands that take it as an argument, as uvicorn)."""

    def __init__(self, log: Path, env: dict[str, str], cmd: list[str] | None = None, cwd=None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        env = {**env, "CNN_EXPLORER_PORT": str(self.port)}
        cmd = [part.format(port=self.port) for part in cmd or [sys.executable, "-m", "app"]]
        with open(log, "ab") as out:
            self.proc = subprocess.Popen(
                cmd, cwd=cwd or REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def wait_until_up(self, ready=lambda: True) -> dict:
        """The health report once the server answers (and ``ready()`` holds)."""
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"the server exited with {self.proc.returncode}:\n{self.output()}")
            try:
                with urllib.request.urlopen(self.url + "/api/health", timeout=2) as r:
                    if r.status == 200 and ready():
                        return json.load(r)
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)  # polling interval, bounded by the deadline
        pytest.fail(f"the server did not start in {START_TIMEOUT_S:.0f} s:\n{self.output()}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = STOP_TIMEOUT_S) -> float:
        """Send ``sig`` and wait for the process to end; the seconds it took (killed and
        ``inf`` if it took longer than ``timeout``)."""
        if self.proc.poll() is not None:
            return 0.0
        t0 = time.monotonic()
        self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
            return float("inf")
        return time.monotonic() - t0

    def __enter__(self) -> LiveServer:
        try:
            self.wait_until_up()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def follow(url: str, job_id: str, until=lambda kind, data: False, out: list | None = None):
    """The job's events as ``(kind, data)`` until the stream ends or ``until`` says so."""
    out = [] if out is None else out
    deadline = time.monotonic() + EVENTS_TIMEOUT_S
    try:
        with httpx.stream("GET", f"{url}/api/train/{job_id}/events", timeout=30) as r:
            kind = None
            for line in r.iter_lines():
                assert time.monotonic() < deadline, out[-3:]
                if line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: "):
                    out.append((kind, json.loads(line[6:])))
                    if until(kind, out[-1][1]):
                        break
    except httpx.HTTPError as e:  # the stopping server closed it: what an open stream sees
        out.append(("closed", str(e)))
    return out
