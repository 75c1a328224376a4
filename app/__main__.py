"""``python -m app``: serve the explorer with uvicorn on ``CNN_EXPLORER_HOST``:``_PORT``, with
``CNN_EXPLORER_WORKERS`` worker processes.

Each worker loads the models itself; they see each other's new and deleted models through the
models directory, and share the training queue through the job records (``app.training.jobs``).
The access log is the app's own (JSON lines, ``app.middleware.AccessLog``), so uvicorn's is off.
"""

import os

import uvicorn

from app.settings import Settings

BLAS_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def main() -> None:
    settings = Settings.from_env()
    # Before NumPy is imported (the workers inherit it): each request thread gets one BLAS
    # thread. On 2 cores, two BLAS threads per request spin against each other and the other
    # requests: the same maximise costs 5-14x the CPU (bench/README.md). A variable already
    # set wins.
    for name in BLAS_VARIABLES:
        os.environ.setdefault(name, str(settings.blas_threads))
    uvicorn.run(
        "app.main:app",
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level=settings.log_level,
        access_log=False,
        proxy_headers=False,  # the client address is the peer's, not a header anyone can send
        # SIGTERM: stop accepting, give in-flight requests this long, then close them, so the
        # whole server is gone within Docker's 10 s grace (tests/app/test_shutdown.py).
        timeout_graceful_shutdown=settings.graceful_shutdown_seconds,
    )


if __name__ == "__main__":
    main()
