"""Every refusal is ``{"detail": "<what is wrong, naming the field and the limit>"}``.

The app's own checks (image decoding, limits) raise FastAPI's ``HTTPException(status, detail)``,
which FastAPI sends as that body (with any ``headers``, e.g. ``Retry-After``). Its validation
errors are rewritten here so ``detail`` is one readable sentence naming each bad field, with the
structured list kept under ``errors``.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

MAX_SHOWN_INPUT = 40  # characters of a bad value quoted back in a message


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


# What ``validation_error_handler`` sends, for the OpenAPI document: FastAPI documents every 422
# as its own ``HTTPValidationError`` (``detail`` a list), which is not what clients get.
VALIDATION_ERROR_BODY = {
    "title": "HTTPValidationError",
    "type": "object",
    "required": ["detail", "errors"],
    "properties": {
        "detail": {
            "type": "string",
            "title": "Detail",
            "description": "Each bad field named, with what is wrong and the value sent.",
        },
        "errors": {
            "type": "array",
            "title": "Errors",
            "items": {
                "type": "object",
                "required": ["loc", "msg"],
                "properties": {
                    "loc": {"type": "array", "items": {"type": ["string", "integer"]}},
                    "type": {"type": ["string", "null"]},
                    "msg": {"type": "string"},
                },
            },
        },
    },
}


def document_validation_errors(app: FastAPI) -> None:
    """Make ``/openapi.json`` describe 422 bodies as :func:`validation_error_handler` sends them."""

    def openapi() -> dict:
        if app.openapi_schema is None:
            schema = FastAPI.openapi(app)  # builds and caches app.openapi_schema
            components = schema.get("components", {}).get("schemas", {})
            if "HTTPValidationError" in components:
                components["HTTPValidationError"] = VALIDATION_ERROR_BODY
                components.pop("ValidationError", None)
        return app.openapi_schema

    app.openapi = openapi
