"""What one request may cost: the expensive analyses run under a budget, and are reused.

The analyses (``/priorities``, ``/gaps``, ``/closures``, ``/scenarios``, the area summaries and the
computed small-area layer) cost from a tenth of a second to many; everything else is a page or a
tile read on indexes. Ten concurrent England-wide ``/priorities`` used to take every pooled
connection and thread for half a minute, ``/health`` included. Here, per worker process:

- **reuse**: a GET answered 200 is kept (by URL, representation and the data version of every
  served table, so a load or an edit is never answered from before it) and the same request
  is answered from it without the route, the budget or a database query beyond the version's
  one-row read; identical requests arriving while one is computed wait for it (single flight);
- **budget**: at most ``analysis_concurrency`` run at once, ``analysis_queue`` wait (on the event
  loop: a waiting request holds no thread nor connection), one client (its address) has at most
  ``analysis_per_client`` running or waiting; beyond, **429** (that client) or **503** (everyone),
  with ``Retry-After`` from the recent run times;
- **deadline**: these requests get ``analysis_timeout_s``, all others ``request_timeout_s``
  (app/guard.py), so a cheap request on a hung database answers within seconds.
"""
from __future__ import annotations

import asyncio
import hashlib
import math
import re
from collections import Counter

import structlog
from starlette.concurrency import run_in_threadpool

from app import caching
from store.db import reading
from app.errors import problem
from store.settings import ApiSettings

log = structlog.get_logger(__name__)

EXPENSIVE = re.compile(r"/(priorities|gaps|closures|scenarios)(/.*)?|/areas/([^/]+/)?summary"
                       r"|/collections/small_areas/(items(/.*)?|tiles/[^/]+/\d+/\d+/\d+)")
# Every table an analysis reads is one of the served tables that bump a data version
# (models/data_versions.py); an answer is reused only while none of them changed.
DATA_TABLES = ("analysis_gap_spending", "analysis_small_areas", "area_hierarchy", "area_lookups", "areas",
               "centroids", "indicators", "place_current", "place_edits", "place_status", "place_years",
               "places", "spending")
KEPT_HEADERS = {b"content-type", b"content-encoding", b"etag", b"cache-control", b"vary", b"content-crs", b"link"}


def expensive(scope: dict) -> bool:
    return bool(EXPENSIVE.fullmatch(scope.get("path", "")))


class Refused(Exception):
    def __init__(self, status: int, detail: str, retry_after: int):
        self.status, self.detail, self.retry_after = status, detail, retry_after


class Budget:
    """The analyses' share of a worker: concurrency, a bounded queue, a per-client allowance."""

    def __init__(self, concurrency: int, queue: int, per_client: int):
        self.concurrency, self.queue, self.per_client = concurrency, queue, per_client
        self.slots = asyncio.Semaphore(concurrency)
        self.waiting = 0
        self.clients: Counter[str] = Counter()
        self.mean_s = 2.0  # of recent runs (exponentially weighted): what Retry-After is made of

    def retry_after(self) -> int:
        return max(1, min(120, math.ceil(self.mean_s * (self.waiting + self.concurrency) / self.concurrency)))

    async def run(self, client: str, work):
        if self.clients[client] >= self.per_client:
            raise Refused(429, f"this client has {self.per_client} analyses running or waiting "
                          "(KINDMAP_ANALYSIS_PER_CLIENT)", self.retry_after())
        if self.slots.locked() and self.waiting >= self.queue:
            raise Refused(503, f"{self.concurrency} analyses are running and {self.queue} waiting "
                          "(KINDMAP_ANALYSIS_CONCURRENCY, KINDMAP_ANALYSIS_QUEUE)", self.retry_after())
        self.clients[client] += 1
        try:
            self.waiting += 1
            try:
                await self.slots.acquire()
            finally:
                self.waiting -= 1
            started = asyncio.get_running_loop().time()
            try:
                return await work()
            finally:
                self.slots.release()
                self.mean_s = 0.8 * self.mean_s + 0.2 * (asyncio.get_running_loop().time() - started)
        finally:
            self.clients[client] -= 1
            if not self.clients[client]:
                del self.clients[client]


class CostGuard:
    """Pure ASGI, inside the request guard (its deadline covers the wait) and outside gzip (a
    kept answer is the bytes sent, per Accept-Encoding)."""

    def __init__(self, app, settings: ApiSettings):
        self.app, self.settings = app, settings
        self.budget: Budget | None = None  # made on first use, on the serving event loop
        self.answers = caching.Kept(settings.analysis_cache_bytes, size=lambda kept: len(kept[1]) + 512)
        self.in_flight: dict[str, asyncio.Event] = {}

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not expensive(scope):
            return await self.app(scope, receive, send)
        if self.budget is None:
            s = self.settings
            self.budget = Budget(s.analysis_concurrency, s.analysis_queue, s.analysis_per_client)
        key = await self._key(scope)
        while key is not None:
            if (kept := self.answers.get(key)) is not None:
                return await _replay(kept, send)
            if key not in self.in_flight:
                break
            await self.in_flight[key].wait()  # the same request, being computed: its answer serves
        done = self.in_flight.setdefault(key, asyncio.Event()) if key else None
        client = (scope.get("client") or ("unknown",))[0]
        try:
            await self.budget.run(client, lambda: self.app(scope, receive, self._keeping(key, send)))
        except Refused as refused:
            log.info("analysis.refused", path=scope["path"], status=refused.status, client_load=self.budget.clients[client])
            response = problem(refused.status, "Too many requests" if refused.status == 429 else "Service unavailable",
                               refused.detail, scope["path"], headers={"Retry-After": str(refused.retry_after)})
            await response(scope, receive, send)
        finally:
            if done is not None:
                self.in_flight.pop(key, None)
                done.set()

    async def _key(self, scope) -> str | None:
        """The answer's key: method, URL, the headers that choose its bytes and the data version;
        None for what is not reused (a body, a conditional request)."""
        headers = dict(scope.get("headers") or [])
        if scope["method"] != "GET" or b"if-none-match" in headers:
            return None
        version = await run_in_threadpool(self._version, scope["app"].state.engine)
        parts = [scope["path"], scope.get("query_string", b"").decode("latin-1"), version,
                 str(b"gzip" in headers.get(b"accept-encoding", b"")), headers.get(b"accept", b"").decode("latin-1")]
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()

    @staticmethod
    def _version(engine) -> str:
        with reading(engine) as conn:
            return caching.data_version(conn, DATA_TABLES)

    def _keeping(self, key: str | None, send):
        """send(), keeping a whole 200 answer under ``key``."""
        if key is None:
            return send
        start, chunks = {}, []

        async def keeping(message):
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body" and start.get("status") == 200:
                chunks.append(message.get("body", b""))
                if not message.get("more_body"):
                    headers = [(k, v) for k, v in start.get("headers", []) if k.lower() in KEPT_HEADERS]
                    self.answers.put(key, (headers, b"".join(chunks)))
            await send(message)
        return keeping


async def _replay(kept, send) -> None:
    headers, body = kept
    await send({"type": "http.response.start", "status": 200,
                "headers": [*headers, (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
