"""Training from the browser: architectures checked by the engine, jobs run outside the server's
request threads, their progress streamed, their results installed as models.

- ``architecture``: parse and bound-check a list of layer specs, describe its shapes.
- ``worker``: one job's work (load data, train, evaluate, save), free of any web code.
- ``jobs``: the queue, the runners (a process per job, or a thread), job records on disk,
  progress fan-out to Server-Sent Events subscribers, recovery after a restart.
- ``schemas``: the request and response bodies of ``/api/train`` and
  ``/api/architectures/validate``.
"""
