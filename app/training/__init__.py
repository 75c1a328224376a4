"""Training from the browser: architectures checked by the engine, jobs queued with huey and run
by its consumers (beside the server, or on other machines), their progress streamed, their
results installed as models.

- ``architecture``: parse and bound-check a list of layer specs, describe its shapes.
- ``store``: the queue (huey: SQLite by default, Redis by URL) and, in its storage, the job
  records, numbered events, cancel flags and heartbeats every process shares.
- ``runner``: one job's run, the queue's one task (engine trainer, progress, cooperative stop).
- ``jobs``: the web side: queue, list, cancel, resume, follow (Server-Sent Events) any job.
- ``consumer``: the consumer process ``python -m app`` starts (or ``huey_consumer`` runs).
- ``schemas``: the request and response bodies of ``/api/train`` and
  ``/api/architectures/validate``.
"""
