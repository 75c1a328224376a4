"""ASGI middleware: a request-body size limit, the server time of every response, security
headers, and a structured access log.

``BodyLimit`` refuses a body over ``max_bytes`` (or a route's own, larger limit: the model
import) with 413 before the app reads it: at once when ``Content-Length`` says so, else while it
streams in (spooled to a temporary file past 1 MiB, never held whole in memory).
``ServerTiming`` adds
``Server-Timing: app;dur=<ms>`` (the time from request to the start of the response), which
browsers' developer tools and the benchmarks read. ``SecurityHeaders`` adds a strict
Content-Security-Policy (the pages load only their own scripts and styles, with no inline code)
and the usual hardening headers. ``AccessLog`` writes one JSON line per request (method, path,
status, duration, request id) and returns the request id as ``X-Request-ID``.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import tempfile
import time
import uuid

SPOOL_BYTES = 1024 * 1024  # a chunked body past this waits in a temporary file, not in memory
REPLAY_CHUNK = 1024 * 1024


class BodyLimit:
    """``max_bytes`` for every route, ``routes[path] = (limit, setting name)`` for the few with
    a larger one (the model import: ``max_import_bytes``)."""

    def __init__(self, app, max_bytes: int, routes: dict[str, tuple[int, str]] | None = None):
        self.app = app
        self.max_bytes = max_bytes
        self.routes = routes or {}

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit, name = self.routes.get(scope.get("path", ""), (self.max_bytes, "max_request_bytes"))
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None:
            try:
                too_big = int(length) > limit
            except ValueError:
                too_big = False
            if too_big:
                return await self._refuse(send, int(length), limit, name)
            return await self.app(scope, receive, send)
        # No length given (chunked): spool up to the limit, then replay the body.
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
            size = 0
            while True:
                message = await receive()
                if message["type"] != "http.request":
                    break
                size += spool.write(message.get("body", b""))
                if size > limit:
                    return await self._refuse(send, size, limit, name)
                if not message.get("more_body", False):
                    break
            spool.seek(0)
            done = False

            async def replay():
                nonlocal done
                if done:
                    return await receive()
                chunk = spool.read(REPLAY_CHUNK)
                done = spool.tell() >= size
                return {"type": "http.request", "body": chunk, "more_body": not done}

            return await self.app(scope, replay, send)

    async def _refuse(self, send, size: int, limit: int, name: str):
        detail = f"request body: {size:,} bytes is more than the limit {name} = {limit:,}"
        body = json.dumps({"detail": detail}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class ServerTiming:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        start = time.perf_counter()

        async def timed_send(message):
            if message["type"] == "http.response.start":
                ms = (time.perf_counter() - start) * 1000
                headers = list(message.get("headers", []))
                headers.append((b"server-timing", f"app;dur={ms:.2f}".encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, timed_send)


def content_security_policy(frame_ancestors: str = "") -> str:
    """The pages' CSP; ``frame_ancestors`` (space-separated sources) may embed them, else none."""
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",  # style attributes set from scripts (CSSOM) are not affected
            "img-src 'self' data: blob:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            f"frame-ancestors {frame_ancestors.strip() or chr(39) + 'none' + chr(39)}",
        ]
    )


def security_headers(frame_ancestors: str = "") -> list[tuple[bytes, bytes]]:
    """Every response's security headers; framing only by ``frame_ancestors`` (a notebook)."""
    headers = [
        (b"content-security-policy", content_security_policy(frame_ancestors).encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
        (b"cross-origin-opener-policy", b"same-origin"),
        # the camera for the explorer's photo input (a colour model), from this origin only
        (b"permissions-policy", b"camera=(self), microphone=(), geolocation=()"),
    ]
    if not frame_ancestors.strip():  # older browsers ignore the CSP's frame-ancestors
        headers.insert(3, (b"x-frame-options", b"DENY"))
    return headers


CONTENT_SECURITY_POLICY = content_security_policy()
SECURITY_HEADERS = security_headers()


class SecurityHeaders:
    """Adds :data:`SECURITY_HEADERS` to every response that does not set them itself."""

    def __init__(self, app, headers=SECURITY_HEADERS):
        self.app = app
        self.headers = list(headers)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(k, v) for k, v in self.headers if k not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


access_log = logging.getLogger("cnn_explorer.access")
REQUEST_ID = re.compile(rb"^[A-Za-z0-9._-]{1,64}$")


class AccessLog:
    """One JSON line per request on the ``cnn_explorer.access`` logger, when it ends:
    ``{"ts", "method", "path", "status", "duration_ms", "bytes", "request_id", "client", "pid"}``.

    The request id is the client's ``X-Request-ID`` when it is a short token, else a new one; it
    is sent back as ``X-Request-ID`` and is in ``scope["state"]["request_id"]`` for the app.
    The path is logged without its query string (which may hold user data).
    """

    def __init__(self, app, logger: logging.Logger = access_log):
        self.app = app
        self.log = logger

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        start = time.perf_counter()
        given = dict(scope.get("headers") or []).get(b"x-request-id", b"")
        request_id = given.decode() if REQUEST_ID.match(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        status, size = 500, 0

        async def logged_send(message):
            nonlocal status, size
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            elif message["type"] == "http.response.body":
                size += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, logged_send)
        finally:
            if self.log.isEnabledFor(logging.INFO):
                client = scope.get("client")
                record = {
                    "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + "Z",
                    "method": scope.get("method"),
                    "path": scope.get("path"),
                    "status": status,
                    "duration_ms": round((time.perf_counter() - start) * 1000, 2),
                    "bytes": size,
                    "request_id": request_id,
                    "client": client[0] if client else None,
                    "pid": os.getpid(),  # which worker served it
                }
                self.log.info(json.dumps(record))


class JsonLinesFormatter(logging.Formatter):
    """The message as is when it is already a JSON object, else wrapped in one."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if message.startswith("{"):
            return message
        level = record.levelname.lower()
        return json.dumps({"level": level, "logger": record.name, "msg": message})


class _StdoutHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stdout`` is at the time (test runners replace it)."""

    @property
    def stream(self):
        return sys.stdout

    @stream.setter
    def stream(self, _value):
        pass


def configure_access_log(level: str) -> None:
    """Send the access log, as bare JSON lines, to standard output (once per process)."""
    access_log.setLevel(level.upper())
    if not any(isinstance(h, _StdoutHandler) for h in access_log.handlers):
        handler = _StdoutHandler()
        handler.setFormatter(JsonLinesFormatter())
        access_log.addHandler(handler)
        access_log.propagate = False
