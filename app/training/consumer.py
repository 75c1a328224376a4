"""The training consumer, huey's, over the queue the ``CNN_EXPLORER_*`` settings name.

``python -m app`` starts one (``python -m app.training.consumer --with-parent``) unless
``CNN_EXPLORER_TRAINING_MODE`` says otherwise. On another machine (same ``QUEUE_URL``, a Redis;
the same models and jobs directories, shared; the data): ``python -m app.training.consumer``,
or huey's own ``huey_consumer app.training.consumer.huey -w 1 -g TERM -t 8``. SIGTERM stops it
gracefully: running jobs stop at their next step, interrupted and resumable.
"""

import logging
import os
import signal
import sys
import threading
import time

from app.core.settings import Settings
from app.training.queue import make_queue

settings = Settings.from_env()
huey = make_queue(settings)


def _exit_with_parent(parent: int) -> None:
    """Stop (gracefully) once the process that started this one is gone."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os.kill(os.getpid(), signal.SIGTERM)


if __name__ == "__main__":
    logging.basicConfig(level=settings.log_level.upper(), format="%(name)s: %(message)s")
    if "--with-parent" in sys.argv:
        watch = threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True)
        watch.start()
    huey.create_consumer().run()
