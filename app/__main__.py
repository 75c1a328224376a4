"""``python -m app``: serve the explorer with uvicorn on ``CNN_EXPLORER_HOST``:``_PORT``, with
``CNN_EXPLORER_WORKERS`` worker processes, and run the training consumer beside them.

Each worker loads the models itself; they see each other's new and deleted models through the
models directory, and share the training queue (``app.training.queue``). With the default
``CNN_EXPLORER_TRAINING_MODE=auto`` (or ``process``) a child process runs the queue's consumer
(``app.training.consumer``), and the workers are told so: they start none of their own.
SIGTERM or SIGINT stops both at once: requests get
``CNN_EXPLORER_GRACEFUL_SHUTDOWN_SECONDS`` to finish, a running training job stops at its next
step, recorded as interrupted and resumable: the whole server is gone within Docker's 10 s.
The access log is the app's own (JSON lines, ``app.core.middleware.AccessLog``), so
uvicorn's is off.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import uvicorn
from uvicorn.supervisors import Multiprocess

from app.core.settings import Settings

BLAS_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def _start_consumer(settings: Settings) -> subprocess.Popen | None:
    if settings.training_mode not in ("auto", "process"):
        return None
    os.environ["CNN_EXPLORER_TRAINING_MODE"] = "process"  # the workers: a consumer is beside them
    cmd = [sys.executable, "-m", "app.training.consumer", "--with-parent"]
    return subprocess.Popen(cmd, start_new_session=True)  # a terminal's Ctrl-C reaches us only


def _stop_consumer(consumer: subprocess.Popen | None, wait: float | None = None) -> None:
    if consumer is None or consumer.poll() is not None:
        return
    consumer.send_signal(signal.SIGTERM)  # graceful: its jobs stop at their next step
    if wait is not None:
        try:
            consumer.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            consumer.kill()
            consumer.wait()


def _exit(sig, frame) -> None:
    raise SystemExit(0)


def main() -> None:
    settings = Settings.from_env()
    # Before NumPy is imported (the workers and the consumer inherit it): each request thread
    # gets one BLAS thread. On 2 cores, two BLAS threads per request spin against each other and
    # the other requests: the same maximise costs 5-14x the CPU (bench/README.md). A variable
    # already set wins.
    for name in BLAS_VARIABLES:
        os.environ.setdefault(name, str(settings.blas_threads))
    config = uvicorn.Config(
        "app.main:app",
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level=settings.log_level,
        access_log=False,
        # The client address is the peer's, not a header anyone can send — unless a proxy in
        # CNN_EXPLORER_FORWARDED_ALLOW_IPS sends it (the per-client shares use it).
        proxy_headers=bool(settings.forwarded_allow_ips),
        forwarded_allow_ips=settings.forwarded_allow_ips or None,
        # SIGTERM: stop accepting, give in-flight requests this long, then close them, so the
        # whole server is gone within Docker's 10 s grace (tests/app/test_shutdown.py).
        timeout_graceful_shutdown=settings.graceful_shutdown_seconds,
    )
    for sig in (signal.SIGTERM, signal.SIGINT):  # after uvicorn's shutdown: on to `finally`
        signal.signal(sig, _exit)
    consumer = _start_consumer(settings)

    class Server(uvicorn.Server):
        def handle_exit(self, sig, frame) -> None:
            _stop_consumer(consumer)  # in parallel with the server's own shutdown
            super().handle_exit(sig, frame)

    class Supervisor(Multiprocess):
        def handle_int(self) -> None:
            _stop_consumer(consumer)
            super().handle_int()

        def handle_term(self) -> None:
            _stop_consumer(consumer)
            super().handle_term()

    try:
        if config.workers > 1:
            Supervisor(config, sockets=[config.bind_socket()]).run()
        else:
            server = Server(config)
            server.run()
            if not server.started:
                sys.exit(3)  # uvicorn's STARTUP_FAILURE
    finally:
        _stop_consumer(consumer, wait=10.0)


if __name__ == "__main__":
    main()
