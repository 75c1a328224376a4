"""Who may change the server: reading is open, writing (import, rename, delete, train, cancel,
resume, anything that writes to disk or to the queue) needs the write token when the server has
one (``CNN_EXPLORER_WRITE_TOKEN``), and nobody may write to a read-only server
(``CNN_EXPLORER_READ_ONLY=1``).

- :data:`WriteAccess`: the dependency every writing route declares.
- :func:`access_report`: what the pages ask (``GET /api/access``) to explain a write button
  they cannot offer, before anyone presses it.
- :func:`client_of`: the client a request comes from, for the per-client shares: the peer's
  address, or the proxy's ``X-Forwarded-For`` when uvicorn was told to trust that proxy
  (``CNN_EXPLORER_FORWARDED_ALLOW_IPS``).

The token is compared in constant time and never logged, nor repeated in any message.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging

from fastapi import Depends, HTTPException, Request

from app.core.settings import Settings

log = logging.getLogger("cnn_explorer.access")

READ_ONLY = (
    "this server is read-only (CNN_EXPLORER_READ_ONLY=1): it shows models but does not import, "
    "rename, delete or train; run your own copy to change things"
)
NO_TOKEN = (
    "this server needs its write token for this: send 'Authorization: Bearer <token>' (the "
    "pages ask for it once); the token is the CNN_EXPLORER_WRITE_TOKEN the server was started "
    "with — ask whoever runs it"
)
WRONG_TOKEN = "the write token sent in 'Authorization: Bearer …' is not this server's"


def bearer(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, else ``None``."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def token_matches(sent: str, expected: str) -> bool:
    """Constant-time comparison (of digests, so the length leaks nothing either)."""
    digest = lambda s: hashlib.sha256(s.encode()).digest()  # noqa: E731
    return hmac.compare_digest(digest(sent), digest(expected))


def require_write(request: Request) -> None:
    """403 on a read-only server; with a write token, 401 without it and 403 with another."""
    settings: Settings = request.app.state.settings
    if settings.read_only:
        raise HTTPException(403, READ_ONLY)
    if not settings.write_token:
        return
    sent = bearer(request)
    if sent is None:
        raise HTTPException(401, NO_TOKEN, headers={"WWW-Authenticate": "Bearer"})
    if not token_matches(sent, settings.write_token):
        raise HTTPException(403, WRONG_TOKEN, headers={"WWW-Authenticate": "Bearer"})


WriteAccess = Depends(require_write)


def upload_route(errors: dict) -> dict:
    """What every route that stores an upload (a data set, a photo) declares: ``201 Created``,
    write access, and its own 413 (over a limit) and 422 (unreadable) from ``errors``."""
    responses = {k: errors[k] for k in (413, 422)}
    return {"status_code": 201, "dependencies": [WriteAccess], "responses": responses}


def access_report(request: Request) -> dict:
    """``GET /api/access``: whether this client may write, and if not, why."""
    settings: Settings = request.app.state.settings
    if settings.read_only:
        return {"read_only": True, "token_required": False, "can_write": False, "why": READ_ONLY}
    if not settings.write_token:
        return {"read_only": False, "token_required": False, "can_write": True, "why": None}
    sent = bearer(request)
    ok = sent is not None and token_matches(sent, settings.write_token)
    why = None if ok else (WRONG_TOKEN if sent else NO_TOKEN)
    return {"read_only": False, "token_required": True, "can_write": ok, "why": why}


def client_of(request: Request) -> str:
    """The client's address as uvicorn gives it (the proxy's ``X-Forwarded-For`` only when
    ``--forwarded-allow-ips`` trusts that proxy), or ``"unknown"``."""
    return request.client.host if request.client else "unknown"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def exposure_warning(settings: Settings) -> str | None:
    """The start-up warning for a server others can reach that lets anyone write."""
    if is_loopback(settings.host) or settings.read_only or settings.write_token:
        return None
    return (
        f"listening on {settings.host}, which other machines can reach, with no "
        "CNN_EXPLORER_WRITE_TOKEN: anyone who can reach it can import, rename and delete models "
        "and fill the training queue. Set CNN_EXPLORER_WRITE_TOKEN=<a secret> (writes then need "
        "it) or CNN_EXPLORER_READ_ONLY=1"
    )
