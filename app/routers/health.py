"""Liveness with a real database check: 200 when PostGIS answers, 503 (problem+json) when not.

The check has its own short deadline, so a database that hangs is reported within seconds.
"""
import asyncio

from fastapi import APIRouter, Request
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from app.errors import ApiError

router = APIRouter(tags=["health"])


def _postgis_version(engine) -> str:
    with engine.connect() as conn:
        return conn.execute(text("SELECT postgis_lib_version()")).scalar()


@router.get("/health", summary="Service and database health",
            responses={503: {"description": "The database is not reachable (problem+json)"}})
async def health(request: Request) -> dict:
    seconds = request.app.state.settings.health_timeout_s
    # Not wait_for: cancelling it would wait for the thread, which a hung database never frees.
    check = asyncio.ensure_future(run_in_threadpool(_postgis_version, request.app.state.engine))
    done, _ = await asyncio.wait({check}, timeout=seconds)
    if not done:
        check.add_done_callback(lambda task: task.cancelled() or task.exception())  # ends some time
        raise ApiError(503, f"the database did not answer within {seconds} s")
    return {"status": "ok", "database": "ok", "postgis": check.result()}
