"""API keys over HTTP: ``Authorization: Bearer <key>`` (or ``X-API-Key``) → a Key with scopes.

Reads are public unless KINDMAP_READS_NEED_KEY is set. A missing or unknown key is 401, a key
without the scope 403 (problem+json naming ``Authorization``).
"""
from __future__ import annotations

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from store import keys
from app.errors import ApiError

OPEN_PATHS = {"/health"}
CHALLENGE = {"WWW-Authenticate": "Bearer"}


def key_of(request: Request) -> keys.Key | None:
    """The request's key: None when none is presented; 401 when one is presented but not valid."""
    authorization = request.headers.get("authorization", "")
    token = (authorization[7:].strip() if authorization.lower().startswith("bearer ")
             else request.headers.get("x-api-key"))
    if token is None:
        return None
    with request.app.state.engine.begin() as conn:
        key = keys.authenticate(conn, token)
    if key is None:
        raise ApiError(401, "the API key is not valid (unknown, malformed or revoked)", "Authorization",
                       headers=CHALLENGE)
    return key


async def read_access(request: Request) -> None:
    """Applied to every route: with KINDMAP_READS_NEED_KEY, reads need a key with scope ``read``.
    Async, so the usual case (reads open) costs no thread-pool hop; a key is looked up in one."""
    if not request.app.state.settings.reads_need_key or request.url.path in OPEN_PATHS:
        return
    key = await run_in_threadpool(key_of, request)
    if key is None:
        raise ApiError(401, "reads need an API key with scope 'read' here", "Authorization", headers=CHALLENGE)
    if not key.allows("read"):
        raise ApiError(403, "this key lacks the scope 'read'", "Authorization")
