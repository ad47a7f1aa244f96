"""Request hygiene in front of every route, as one pure-ASGI middleware.

It refuses what no route should see (an untrusted ``Host``, an over-long query string or body,
control characters or a repeated parameter, a JSON body that app/safe_json.py refuses), answers ``HEAD`` and plain ``OPTIONS`` for every ``GET``
route, adds security headers, and bounds every request by a deadline so that a database that
hangs (stops answering without closing its connections) gives a 503 within seconds instead of
holding the client for the whole outage. Refusals are problem+json like every other error.
"""
from __future__ import annotations

import asyncio
import re
from urllib.parse import parse_qsl

import structlog

from app import costs, safe_json
from app.errors import problem
from store.settings import ApiSettings

log = structlog.get_logger(__name__)

CONTROL = re.compile(r"[\x00-\x1f\x7f]")
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-resource-policy", b"cross-origin"),
]
# JSON answers never need scripts, styles or frames.
JSON_CSP = (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'")
# HTML pages (app/pages) load only this server's own scripts, styles, images and data: no external
# origin, no inline script. MapLibre starts its workers from blob: URLs and draws images from
# blob:/data: URLs; a page that needs more sets its own header.
PAGE_CSP = (b"content-security-policy",
            b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
            b"font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; child-src 'self' blob:; "
            b"object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


class Refusal(Exception):
    def __init__(self, status: int, title: str, detail: str, parameter: str | None = None):
        self.status, self.title, self.detail, self.parameter = status, title, detail, parameter


def check_request(scope: dict, settings: ApiSettings) -> None:
    """Raise Refusal for a request no route should see."""
    headers = dict(scope.get("headers") or [])
    host = headers.get(b"host", b"").decode("latin-1").lower()
    hostname = host[: host.rindex("]") + 1] if host.startswith("[") else host.split(":")[0]
    allowed = settings.allowed_host_list()
    if allowed and hostname not in allowed:
        raise Refusal(400, "Bad request", f"Host {hostname!r} is not served here (KINDMAP_ALLOWED_HOSTS)", "Host")
    raw = scope.get("query_string", b"")
    if len(raw) + len(scope.get("raw_path") or b"") > settings.max_url_bytes:
        raise Refusal(414, "URI too long", f"the URL is longer than {settings.max_url_bytes} bytes; "
                      "send large geometries in a POST body")
    try:
        pairs = parse_qsl(raw.decode("latin-1"), keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise Refusal(400, "Bad request", "the query string is not valid UTF-8 once percent-decoded")
    seen: set[str] = set()
    for name, value in pairs:
        if CONTROL.search(name) or CONTROL.search(value):
            raise Refusal(400, "Bad request", f"{name!r} holds a control character", name)
        if name in seen:
            raise Refusal(400, "Bad request", f"{name!r} is given more than once; a list of values is "
                          "comma-separated in one parameter", name)
        seen.add(name)
    length = headers.get(b"content-length")
    if length is not None:
        if not length.isdigit():
            raise Refusal(400, "Bad request", "Content-Length is not a number of bytes", "Content-Length")
        if int(length) > settings.max_body_bytes:
            raise Refusal(413, "Content too large", f"the body is longer than {settings.max_body_bytes} bytes "
                          "(KINDMAP_MAX_BODY_BYTES)", "body")


async def bounded_body(receive, limit: int) -> list[dict] | None:
    """The body's messages, read up front, or None past ``limit`` bytes: a chunked body states no
    length, so it is counted as it arrives rather than trusted."""
    messages, size = [], 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages
        size += len(message.get("body", b""))
        if size > limit:
            return None
        if not message.get("more_body"):
            return messages


class RequestGuard:
    def __init__(self, app, settings: ApiSettings, get_openapi):
        self.app, self.settings = app, settings
        self.get_openapi = get_openapi  # the API's paths and methods, for OPTIONS
        self._path_methods = None

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started, abandoned, began = False, False, asyncio.Event()

        async def guarded_send(message):
            nonlocal started
            if abandoned:
                return  # answered 503 at the deadline; what the route says now goes nowhere
            if message["type"] == "http.response.start":
                started = True
                began.set()
            await decorated_send(message)

        async def decorated_send(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                headers += [h for h in SECURITY_HEADERS if h[0] not in names]
                content_type = dict(headers).get(b"content-type", b"")
                if JSON_CSP[0] not in names:
                    headers.append(PAGE_CSP if b"html" in content_type else JSON_CSP)
                message = {**message, "headers": headers}
            elif message["type"] == "http.response.body" and head:
                message = {**message, "body": b""}
            await send(message)

        async def answer(status, title, detail, parameter=None, headers=None):
            response = problem(status, title, detail, scope.get("path", ""), parameter, headers)
            await response(scope, receive, decorated_send)

        head = scope["method"] == "HEAD"
        try:
            check_request(scope, self.settings)
        except Refusal as refusal:
            return await answer(refusal.status, refusal.title, refusal.detail, refusal.parameter)
        if scope["method"] == "OPTIONS" and not _is_preflight(scope):
            allow = self._allowed_methods(scope["path"]).encode()
            await decorated_send({"type": "http.response.start", "status": 204, "headers": [(b"allow", allow)]})
            return await decorated_send({"type": "http.response.body", "body": b""})
        if head:
            scope = {**scope, "method": "GET"}
        if scope["method"] in ("POST", "PUT", "PATCH", "DELETE"):
            messages = await bounded_body(receive, self.settings.max_body_bytes)
            if messages is None:
                return await answer(413, "Content too large", f"the body is longer than "
                                    f"{self.settings.max_body_bytes} bytes (KINDMAP_MAX_BODY_BYTES)", "body")
            refusal = _unsafe_json(scope, messages)
            if refusal:
                return await answer(422, "Unprocessable content", refusal.detail, refusal.member)
            receive = _replay(messages, receive)
        seconds = self.settings.analysis_timeout_s if costs.expensive(scope) else self.settings.request_timeout_s
        # The deadline is to the answer's first byte (a long download streams on), and a request
        # past it is answered at once and left behind: waiting for it to stop would wait for a
        # thread blocked on a hung database, which no cancellation reaches (what kept a cheap
        # request on a SIGSTOPped database unanswered past 20 s).
        work = asyncio.ensure_future(self.app(scope, receive, guarded_send))
        beginning = asyncio.ensure_future(began.wait())
        await asyncio.wait({work, beginning}, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        beginning.cancel()
        if work.done() or started:
            return await work
        abandoned = True
        work.cancel()
        work.add_done_callback(_retrieve)
        log.warning("request.deadline", path=scope.get("path"), seconds=seconds)
        await answer(503, "Service unavailable", f"no answer within {seconds:g} s (the database is slow or "
                     "not answering); try again later", headers={"Retry-After": "5"})

    def _allowed_methods(self, path: str) -> str:
        """What the OpenAPI document allows on ``path`` (HEAD wherever GET), for OPTIONS' Allow."""
        if self._path_methods is None:
            self._path_methods = [
                (re.compile(re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(template)) + "$"),
                 {m.upper() for m in item}, template.count("{"))
                for template, item in self.get_openapi()["paths"].items()]
        matching = [(m, parameters) for pattern, m, parameters in self._path_methods if pattern.match(path)]
        # The most specific paths answer, as in routing: /collections/small_areas/items, not
        # /collections/{collectionId}/items (whose writes refuse small_areas with 405).
        fewest = min((parameters for _, parameters in matching), default=0)
        methods = set().union(*(m for m, parameters in matching if parameters == fewest))
        if "GET" in methods:
            methods.add("HEAD")
        return ", ".join(sorted(methods) + ["OPTIONS"])


def _retrieve(task: asyncio.Task) -> None:
    """A request left behind at its deadline ends some time later: its outcome is not an error."""
    if not task.cancelled() and task.exception() is not None:
        log.info("request.ended_after_deadline", error=type(task.exception()).__name__)


def _unsafe_json(scope, messages: list[dict]) -> safe_json.UnsafeJson | None:
    """Every JSON body, whichever route takes it, passes app/safe_json.py first; one that is not
    JSON at all is left to the route, which says so in its own terms."""
    content_type = dict(scope.get("headers") or []).get(b"content-type", b"").split(b";")[0].strip().lower()
    if not content_type.endswith(b"json"):
        return None
    try:
        safe_json.check(b"".join(m.get("body", b"") for m in messages))
    except safe_json.UnsafeJson as refusal:
        return refusal
    except ValueError:  # not JSON (JSONDecodeError, UnicodeDecodeError)
        pass
    return None


def _replay(messages: list[dict], receive):
    """A receive() that hands the app the body already read, then whatever the client sends next."""
    async def replayed():
        return messages.pop(0) if messages else await receive()
    return replayed


def _is_preflight(scope) -> bool:
    headers = dict(scope.get("headers") or [])
    return b"origin" in headers and b"access-control-request-method" in headers
