"""Where the pages' files are served from: /static (our own JS/CSS) and /static/vendor/<package>
(the npm packages pinned in package.json, installed into node_modules by `make setup`).

Nothing is fetched from a CDN at run time: a package missing from node_modules is a startup
warning and a 404, never a fallback to the internet.
"""
from __future__ import annotations

from pathlib import Path

import structlog
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from store.sql import SqlFiles

log = structlog.get_logger(__name__)

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
TEMPLATES = HERE / "templates"
SQL = SqlFiles(HERE / "sql")  # what the pages read that no JSON route gives
NODE_MODULES = HERE.parent.parent / "node_modules"
# /static/vendor/<package>/… → the folder of the package that holds its browser build.
VENDOR = {
    "maplibre-gl": "maplibre-gl/dist",      # BSD-3-Clause
    "chart.js": "chart.js/dist",            # MIT
    "swagger-ui-dist": "swagger-ui-dist",   # Apache-2.0
}


def install(app: FastAPI) -> None:
    """Mount the vendored packages (before /static, so the longer prefix matches first) and ours."""
    for package, folder in VENDOR.items():
        directory = NODE_MODULES / folder
        if not directory.is_dir():
            log.warning("pages.vendor_missing", package=package, directory=str(directory),
                        hint="run `make setup` (npm ci)")
        app.mount(f"/static/vendor/{package}", StaticFiles(directory=directory, check_dir=False),
                  name=f"vendor-{package}")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
