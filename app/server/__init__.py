"""The server itself: ``/api/health``, ``/api/limits``, the limits stated in ``/openapi.json`` and
the API reference at ``/docs``.
"""
