"""The training consumer: huey's, over the queue the ``CNN_EXPLORER_*`` settings name.

``python -m app`` starts one (``python -m app.training.consumer --with-parent``) unless
``CNN_EXPLORER_TRAINING_MODE`` says otherwise. On another machine, with the same
``CNN_EXPLORER_QUEUE_URL`` (Redis), models and jobs directories (a shared file system) and data:

    python -m app.training.consumer                   # CNN_EXPLORER_MAX_RUNNING_JOBS workers
    huey_consumer app.training.consumer.huey -w 1 -g TERM -t 8     # or huey's own command

SIGTERM (or SIGINT) stops it gracefully: the running jobs stop at their next step and are
recorded as interrupted, resumable from their last epoch's checkpoint.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading

from app.settings import Settings
from app.training.jobs import CONSUMER_OPTIONS, SHUTDOWN_SECONDS, make_queue

settings = Settings.from_env()
huey = make_queue(settings)


def _exit_with_parent() -> None:
    """Stop (gracefully) if the process that started this one is gone."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            threading.Event().wait(0.5)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    logging.basicConfig(level=settings.log_level.upper(), format="%(name)s: %(message)s")
    consumer = huey.create_consumer(
        workers=settings.max_running_jobs,
        worker_type="thread",
        graceful_signal="TERM",
        shutdown_timeout=SHUTDOWN_SECONDS,
        **CONSUMER_OPTIONS,
    )
    if "--with-parent" in argv:
        _exit_with_parent()
    consumer.run()


if __name__ == "__main__":
    main()
