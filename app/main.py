"""Create the app: settings, the model registry (loaded once at start-up), middleware, routers."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles

import engine
from app.anatomy import routes as anatomy
from app.core.access import exposure_warning
from app.core.bounds import CancelledAs503, HeavyPool, HeavySlots
from app.core.errors import document_validation_errors, validation_error_handler
from app.core.middleware import (
    AccessLog,
    BodyLimit,
    SecurityHeaders,
    ServerTiming,
    configure_access_log,
    security_headers,
)
from app.core.registry import ModelRegistry
from app.core.settings import Settings
from app.datasets import gallery
from app.datasets import routes as datasets
from app.datasets.tables import Tables
from app.evaluation import routes as evaluation
from app.explain import color, kernel, top_images, top_photos, visualise
from app.explain import filters as explain_filters
from app.explain import routes as explain
from app.models import connections, export, manage
from app.models import routes as models
from app.pages import routes as pages
from app.photos import routes as photos
from app.server import access, docs, health, limits
from app.server.openapi_limits import document_limits
from app.teach import routes as teach
from app.training import routes as training
from app.training.jobs import JobManager

# Every router, in the order FastAPI matches them (and lists them in /openapi.json).
ROUTERS = [
    health.router,
    limits.router,
    access.router,
    models.router,
    connections.router,
    anatomy.router,
    pages.router,
    explain.router,
    explain_filters.router,
    top_images.router,
    top_photos.router,
    visualise.router,
    kernel.router,
    color.router,
    teach.router,
    export.router,
    gallery.router,
    datasets.router,
    photos.router,
    training.router,
    evaluation.router,
    manage.router,
    docs.router,
]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    logging.getLogger("cnn_explorer").setLevel(settings.log_level.upper())
    configure_access_log(settings.log_level)
    registry = ModelRegistry(settings.models_dir, settings.default_model)
    jobs = JobManager(settings)  # trained models reach the registry through the directory
    tables = Tables(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # Requests run on the GIL: more threads than this only contend (measured in bench/).
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.request_threads
        registry.reload()
        if warning := exposure_warning(settings):
            logging.getLogger("cnn_explorer").warning(warning)
        jobs.start()
        yield
        tables.shutdown()  # a whole-test-set table stops at its next batch
        heavy_pool.shutdown()
        jobs.shutdown()

    app = FastAPI(
        title="CNN Explorer",
        version=engine.__version__,
        description="See inside a convolutional network: every layer's output for your drawing, "
        "the filters, and convolution as a matrix. Limits: `GET /api/limits`.",
        lifespan=lifespan,
        docs_url=None,  # app.server.docs serves /docs without a CDN
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.registry = registry
    app.state.jobs = jobs
    app.state.tables = tables
    app.state.heavy = HeavySlots(settings.max_heavy_requests, settings.cache_dir / "slots")
    app.state.heavy_pool = heavy_pool = HeavyPool(settings.max_heavy_requests, settings.heavy_nice)
    # The last added runs first: the access log sees every response, 413s included.
    # The import's files may be larger than any other body: its own limit, and the form around.
    import_limit = (
        settings.max_import_bytes + settings.max_request_bytes,
        "max_import_bytes + max_request_bytes",
    )
    app.add_middleware(
        BodyLimit,
        max_bytes=settings.max_request_bytes,
        routes={
            "/api/models/import": import_limit,
            "/api/datasets": (settings.max_dataset_upload_bytes, "max_dataset_upload_bytes"),
        },
    )
    app.add_middleware(ServerTiming)
    if settings.cors_origin_list:  # no CORS headers at all unless origins are configured
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origin_list,
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=["Content-Type", "X-Request-ID", "Authorization"],
            expose_headers=["X-Request-ID", "X-Value-Min", "X-Value-Max", "Server-Timing"],
            max_age=600,
        )
    app.add_middleware(SecurityHeaders, headers=security_headers(settings.frame_ancestors))
    app.add_middleware(AccessLog)
    app.add_middleware(CancelledAs503)  # outermost: shutdown's cancelled requests get a 503
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    document_validation_errors(app)
    document_limits(app, settings)  # the schema states the limits the server enforces
    for router in ROUTERS:
        app.include_router(router)
    if docs.assets_dir() is not None:
        app.mount(docs.ASSETS_URL, StaticFiles(directory=docs.assets_dir()), "docs-assets")
    app.mount("/static", StaticFiles(directory=settings.static_dir, check_dir=False), "static")
    return app


app = create_app()
