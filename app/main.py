"""Create the app: settings, the model registry (loaded once at start-up), middleware, routers."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles

import engine
from app.errors import ApiError, api_error_handler, validation_error_handler
from app.middleware import BodyLimit, ServerTiming
from app.registry import ModelRegistry
from app.routes import anatomy, health, limits, models, pages
from app.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    logging.getLogger("cnn_explorer").setLevel(settings.log_level.upper())
    registry = ModelRegistry(settings.models_dir, settings.default_model)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        registry.reload()
        yield

    app = FastAPI(
        title="CNN Explorer",
        version=engine.__version__,
        description="See inside a convolutional network: every layer's output for your drawing, "
        "the filters, and convolution as a matrix. Limits: `GET /api/limits`.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.registry = registry
    app.add_middleware(BodyLimit, max_bytes=settings.max_request_bytes)
    app.add_middleware(ServerTiming)
    app.add_exception_handler(ApiError, api_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    for module in (health, limits, models, anatomy, pages):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=settings.static_dir, check_dir=False), "static")
    return app


app = create_app()
