"""Problem details (RFC 9457) for every error the API returns: never a stack trace."""
from __future__ import annotations

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, OperationalError, TimeoutError as PoolTimeout
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from analysis.coverage import NotCovered

log = structlog.get_logger(__name__)

PROBLEM = "application/problem+json"


class ApiError(Exception):
    """An error the client can act on, with the parameter it concerns."""

    def __init__(self, status: int, detail: str, parameter: str | None = None, title: str | None = None,
                 headers: dict | None = None):
        self.status, self.detail, self.parameter, self.headers = status, detail, parameter, headers
        self.title = title or {400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found",
                                414: "URI too long",
                                503: "Service unavailable"}.get(
            status, "Error")


PROBLEM_SCHEMA = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
        "detail": {"type": "string"}, "instance": {"type": "string"},
        "parameter": {"type": "string", "description": "The request parameter at fault"},
    },
}


def problem_response(description: str) -> dict:
    return {"description": description, "content": {PROBLEM: {"schema": PROBLEM_SCHEMA}}}


TOO_LARGE = problem_response("The body is longer than the server accepts (KINDMAP_MAX_BODY_BYTES)")
UNSAFE_BODY = problem_response("The JSON body holds what kindmap never takes (app/safe_json.py): NaN or "
                               "Infinity, a number out of range, an integer of more than 20 digits, NUL "
                               "or a lone surrogate in a string, nesting deeper than 32; `parameter` "
                               "names the member")
# Every route can answer these; they are documented on all of them.
PROBLEM_RESPONSES = {
    400: problem_response("A bad parameter: the body's `parameter` names it"),
    404: problem_response("No such collection or feature"),
    414: problem_response("The URL is longer than the server accepts (KINDMAP_MAX_URL_BYTES)"),
    503: problem_response("The database is not reachable or timed out"),
}


# SQLSTATEs of a database that refuses writes for a while → what the client is told (503).
REFUSALS = {
    "25006": "the database is read-only just now; reads still work, writes will again later",
    "53100": "the database's disk is full; nothing was written",
    "53200": "the database is out of memory; nothing was written",
    "53400": "the database refused: a configured limit was reached; nothing was written",
}


def _sqlstate(error: Exception) -> str:
    return getattr(getattr(error, "orig", None), "sqlstate", None) or ""


def problem(status: int, title: str, detail: str, instance: str, parameter: str | None = None,
            headers: dict | None = None, extra: dict | None = None) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, "instance": instance}
    if parameter:
        body["parameter"] = parameter
    body.update(extra or {})
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


# What the request guard (app/guard.py) refuses in every parameter, said in the document too.
NO_CONTROL_CHARACTERS = "^[^\\x00-\\x1f\\x7f]*$"


def without_validation_422(schema: dict) -> dict:
    """FastAPI documents 422 for invalid parameters; kindmap answers 400 problem+json instead.
    Every text parameter is documented as free of control characters, which the guard refuses, and
    every operation that takes a body as answering 413 past the guard's body limit and 422 for a
    body app/safe_json.py refuses."""
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            operation.get("responses", {}).pop("422", None)
            if "requestBody" in operation:
                operation["responses"].setdefault("413", TOO_LARGE)
                operation["responses"]["422"] = UNSAFE_BODY
            for parameter in operation.get("parameters", []):
                for member in _members(parameter.get("schema", {})):
                    if member.get("type") == "string":
                        member.setdefault("pattern", NO_CONTROL_CHARACTERS)
                    for pydantic_name, json_name in BOUNDS.items():
                        if pydantic_name in member:
                            member[json_name] = member.pop(pydantic_name)
    for name in ("HTTPValidationError", "ValidationError"):
        schema.get("components", {}).get("schemas", {}).pop(name, None)
    return schema


# Bounds set on a parameter whose type carries a validator (app.dependencies.Integer) reach the
# schema under pydantic's names; JSON Schema's are these.
BOUNDS = {"ge": "minimum", "le": "maximum", "gt": "exclusiveMinimum", "lt": "exclusiveMaximum"}


def _members(schema: dict) -> list[dict]:
    """A parameter's schema itself, or the members of its anyOf."""
    return schema.get("anyOf", [schema])


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(request: Request, error: ApiError):
        return problem(error.status, error.title, error.detail, request.url.path, error.parameter,
                       headers=error.headers)

    @app.exception_handler(NotCovered)
    async def not_covered(request: Request, error: NotCovered):
        # the request is well formed, but no source lists its categories there then (analysis/coverage.py)
        return problem(400, "Not covered", error.detail, request.url.path, error.parameter,
                       extra={"known_years": error.known_years})

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError):
        first = error.errors()[0]
        names = [str(part) for part in first.get("loc") or () if not isinstance(part, int)]  # not list indexes
        parameter = names[-1] if names else None
        return problem(400, "Bad request", f"{parameter}: {first['msg']}", request.url.path, parameter)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException):
        return problem(error.status_code, str(error.detail), str(error.detail), request.url.path,
                       headers=getattr(error, "headers", None))  # e.g. Allow on a 405

    @app.exception_handler(OperationalError)
    @app.exception_handler(PoolTimeout)
    async def database_down(request: Request, error: Exception):
        log.warning("database.unavailable", path=request.url.path, error=str(error).splitlines()[0])
        detail = REFUSALS.get(_sqlstate(error), "the database is not reachable or timed out")
        return problem(503, "Service unavailable", detail, request.url.path)

    @app.exception_handler(DBAPIError)
    async def database_refused(request: Request, error: DBAPIError):
        # A database that cannot take writes (a read-only standby, a full disk) is an outage of
        # writes, not a bug: the client may retry later. Anything else is unexpected.
        if _sqlstate(error) not in REFUSALS:
            return await unexpected(request, error)
        log.warning("database.refused", path=request.url.path, error=str(error.orig).splitlines()[0])
        return problem(503, "Service unavailable", REFUSALS[_sqlstate(error)], request.url.path)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception):
        # Formatted off the event loop, so one failing request never stalls the others.
        await run_in_threadpool(log.error, "request.failed", path=request.url.path, exc_info=error)
        return problem(500, "Internal server error", "an unexpected error was logged", request.url.path)
