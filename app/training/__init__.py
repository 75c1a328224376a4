"""Training from the browser: architectures checked by the engine, jobs queued with huey and run
by its consumers (beside the server, or on other machines), their progress streamed, their
results installed as models.

- ``architecture``: parse and bound-check a list of layer specs, describe its shapes.
- ``queue``: the queue (huey: SQLite by default, Redis by URL); in its storage the job records,
  numbered events (pruned once a job is long finished) and heartbeats every process shares; and
  its one task, a job's run (engine trainer, progress, cooperative stop).
- ``jobs``: the web side: queue, list, cancel, resume, follow (Server-Sent Events) any job.
- ``consumer``: the consumer process ``python -m app`` starts (or ``huey_consumer`` runs).
- ``routes``: ``/api/train`` and ``/api/architectures/validate``.
- ``schemas``: the request and response bodies of ``/api/train`` and
  ``/api/architectures/validate``.
"""
