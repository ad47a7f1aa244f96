"""create_app(): the kindmap API — lifespan (connection pool), middleware, routers."""
from __future__ import annotations

import gc
import time
from contextlib import asynccontextmanager

import anyio.to_thread
import structlog
from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from sqlalchemy import Engine
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from app import auth, caching, errors
from app.compression import GZipMiddleware
from app.costs import CostGuard
from app.guard import RequestGuard
from store.db import api_engine
from store.logging import configure_logging
from app.pages import assets as page_assets
from app.pages import profile
from app.pages import router as pages
from app.routers import (access, closures, coverage, edits, grants, grants_layer, health, ogc_features, priorities,
                         reviews, small_areas, spending, tiles, validation)
from store.settings import ApiSettings, api_settings, database_settings

log = structlog.get_logger(__name__)


class AccessLog:
    """One log line per request: method, path, status, milliseconds to the last byte. Pure ASGI,
    as the guard: Starlette's BaseHTTPMiddleware would add a task and a body stream per request."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started, status = time.perf_counter(), []

        async def sending(message):
            if message["type"] == "http.response.start":
                status.append(message["status"])
            await send(message)

        await self.app(scope, receive, sending)
        log.info("request", method=scope["method"], path=scope["path"], status=status[0] if status else None,
                 ms=round((time.perf_counter() - started) * 1000, 1))


def create_app(engine: Engine | None = None, settings: ApiSettings | None = None) -> FastAPI:
    """The app; ``engine`` and ``settings`` default to the configured ones (tests pass their own)."""
    settings = settings or api_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.engine = engine or api_engine()
        # As many requests at once as pooled connections (Starlette's default is 40 threads): more
        # would only wait for a connection, or open and close one each, while contending for the GIL.
        anyio.to_thread.current_default_thread_limiter().total_tokens = database_settings().pool_size
        # What is alive once the app is up (the ~225k objects of FastAPI, SQLAlchemy, pandas and the
        # registry) lives as long as the worker: frozen, the collector's full passes skip it. Unfrozen,
        # each full pass walked it all and stopped the worker — every request in it — for 200–600 ms
        # (measured under wrk: the p99 of a page); frozen, a pass takes 3–4 ms.
        gc.collect()
        gc.freeze()
        yield
        gc.unfreeze()  # an app made and closed again (the tests) leaves nothing uncollectable behind
        app.state.engine.dispose()

    configure_logging()
    app = FastAPI(
        title="kindmap",
        version="0.1.0",
        description="Third places (libraries, community and youth centres, village halls…), the "
                    "public-health and local-authority spending that keeps them, and the gaps. "
                    "Served as OGC API – Features (GeoJSON, CSV, GeoJSON-Seq, GeoPackage; CQL2; "
                    "CRS84, EPSG:4326, EPSG:27700) and OGC API – Tiles (MVT).",
        lifespan=lifespan,
        docs_url=None, redoc_url=None,  # /docs is a page (app/pages) with Swagger UI served locally
        dependencies=[Depends(auth.read_access)],
    )
    app.state.settings = settings
    errors.install(app)
    caching.install(app)

    app.add_middleware(AccessLog)

    # Vector tiles are gzipped too (clients inflate by Content-Encoding); below 1 kB it does not pay;
    app.add_middleware(GZipMiddleware, minimum_size=1000, compresslevel=1)  # ISA-L: 3× faster than zlib's 1
    # The analyses under a budget, their answers reused (app/costs.py): inside the guard's deadline.
    app.add_middleware(CostGuard, settings=settings)
    # Outermost last: CORS headers reach every answer, the guard's refusals included.
    app.add_middleware(RequestGuard, settings=settings, get_openapi=lambda: app.openapi())
    app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origin_list(),
                       allow_methods=["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"], allow_headers=["*"],
                       expose_headers=["Link", "ETag", "Content-Crs", "Location", "Retry-After"], max_age=3600)
    # The client's address (the proposal rate limit counts by it) comes from a proxy's forwarded
    # headers only when that proxy is listed: uvicorn trusts 127.0.0.1 by default, which let anyone
    # on the host, or behind a local proxy, choose an address of their own. Here, not in uvicorn,
    # so every way of serving the app behaves alike (`kindmap serve` turns uvicorn's off).
    if settings.trusted_proxy_list():
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxy_list())

    app.include_router(health.router, responses=errors.PROBLEM_RESPONSES)
    # Before the generic OGC routes: the computed collection's own items and tiles take its parameters.
    app.include_router(small_areas.router, responses=errors.PROBLEM_RESPONSES)
    app.include_router(grants_layer.router, responses=errors.PROBLEM_RESPONSES)
    app.include_router(ogc_features.router, responses=errors.PROBLEM_RESPONSES)
    app.include_router(tiles.router, responses=errors.PROBLEM_RESPONSES)
    app.include_router(access.router, responses=errors.PROBLEM_RESPONSES)
    app.include_router(spending.router, responses=errors.PROBLEM_RESPONSES)
    app.include_router(grants.router, responses=errors.PROBLEM_RESPONSES)
    app.include_router(profile.router)  # first: a browser asking for /priorities gets the page
    app.include_router(validation.router, responses=errors.PROBLEM_RESPONSES)
    app.include_router(priorities.router, responses=errors.PROBLEM_RESPONSES)
    app.include_router(closures.router, responses=errors.PROBLEM_RESPONSES)
    app.include_router(coverage.router, responses=errors.PROBLEM_RESPONSES)
    app.include_router(edits.router, responses=errors.PROBLEM_RESPONSES)
    app.include_router(reviews.router, responses=errors.PROBLEM_RESPONSES)
    app.include_router(pages.router, responses=errors.PROBLEM_RESPONSES)
    page_assets.install(app)

    def openapi() -> dict:
        if not app.openapi_schema:
            app.openapi_schema = ogc_features.concrete_collection_paths(errors.without_validation_422(get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes)))
        return app.openapi_schema

    app.openapi = openapi
    return app
