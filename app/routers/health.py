"""Liveness with a real database check: 200 when PostGIS answers, 503 (problem+json) when not."""
from fastapi import APIRouter, Request
from sqlalchemy import text

router = APIRouter(tags=["health"])


@router.get("/health", summary="Service and database health",
            responses={503: {"description": "The database is not reachable (problem+json)"}})
def health(request: Request) -> dict:
    with request.app.state.engine.connect() as conn:
        postgis = conn.execute(text("SELECT postgis_lib_version()")).scalar()
    return {"status": "ok", "database": "ok", "postgis": postgis}
