"""Every refusal is ``{"detail": "<what is wrong, naming the field and the limit>"}``.

``ApiError`` is raised by the app's own checks (image decoding, limits); FastAPI's validation
errors are rewritten so ``detail`` is one readable sentence naming each bad field, with the
structured list kept under ``errors``.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

MAX_SHOWN_INPUT = 40  # characters of a bad value quoted back in a message


class ApiError(Exception):
    """A bad request: ``status_code`` (400/404/413/422) and a ``detail`` sentence."""

    def __init__(self, status_code: int, detail: str):
        super().__init__(detail)
        self.status_code = status_code
        self.detail = detail


async def api_error_handler(request: Request, exc: ApiError) -> JSONResponse:
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)


def _field(loc: tuple) -> str:
    """``("body", "pixels", 0, 3)`` → ``"pixels[0][3]"``; ``("query", "filter")`` → ``"filter"``."""
    parts = [p for p in loc[1:] if p != "__root__"] if len(loc) > 1 else list(loc)
    name = ""
    for p in parts:
        name += f"[{p}]" if isinstance(p, int) else (f".{p}" if name else str(p))
    return name or str(loc[0] if loc else "request")


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) <= MAX_SHOWN_INPUT else text[: MAX_SHOWN_INPUT - 3] + "..."


async def validation_error_handler(request: Request, exc: RequestValidationError) -> JSONResponse:
    """422 with ``detail`` like ``"filter (query): Input should be >= 0, got -1"``."""
    messages, errors = [], []
    for err in exc.errors():
        loc = tuple(err.get("loc", ()))
        where = f"{_field(loc)} ({loc[0]})" if len(loc) > 1 else f"request {loc[0] if loc else ''}"
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        if err.get("type") == "json_invalid":
            messages.append(f"request body is not valid JSON: {msg}")
        elif err.get("type") == "missing" or "input" not in err:
            messages.append(f"{where}: {msg}")
        else:
            messages.append(f"{where}: {msg}, got {_shown(err['input'])}")
        errors.append({"loc": list(loc), "type": err.get("type"), "msg": msg})
    return JSONResponse({"detail": "; ".join(messages), "errors": errors}, status_code=422)
