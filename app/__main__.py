"""``python -m app``: serve the explorer with uvicorn on ``CNN_EXPLORER_HOST``:``_PORT``, with
``CNN_EXPLORER_WORKERS`` worker processes.

Each worker loads the models itself; they see each other's new and deleted models through the
models directory, and share the training queue through the job records (``app.training.jobs``).
The access log is the app's own (JSON lines, ``app.middleware.AccessLog``), so uvicorn's is off.
"""

import uvicorn

from app.settings import Settings


def main() -> None:
    settings = Settings.from_env()
    uvicorn.run(
        "app.main:app",
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level=settings.log_level,
        access_log=False,
        proxy_headers=False,  # the client address is the peer's, not a header anyone can send
    )


if __name__ == "__main__":
    main()
