"""HTTP caching of data answers: strong ETags from the data versions, 304 Not Modified.

The ETag hashes what decides the bytes of an answer: the change counters of the tables behind it
(`data_versions`, bumped by triggers on every write), the URL's path and query, the negotiated
representation (format, gzip or not) and the app's version. Checking it costs one primary-key
read, so a revalidation answers 304 before any feature query runs; a request with nothing to
revalidate reads the version in its page's own statement (features.items: one round trip).
"""
from __future__ import annotations

import hashlib
from collections import OrderedDict
from threading import Lock

from fastapi import FastAPI, Request, Response
from sqlalchemy import Connection, text

from app.features import sql

VERSIONS = text(sql("data_versions"))


class NotModified(Exception):
    def __init__(self, headers: dict):
        self.headers = headers


def data_version(conn: Connection, tables) -> str:
    return conn.execute(VERSIONS, {"tables": list(tables)}).scalar() or "0"


def conditional(request: Request) -> bool:
    """Does the client hold an answer to revalidate? Only then must the version be read before
    anything else (a 304 reads nothing more); otherwise it can ride along with the answer's query."""
    return "if-none-match" in request.headers


def validate(request: Request, version: str, variant: str = "") -> dict:
    """The caching headers of this answer; raises NotModified when the client holds it already."""
    key = "\n".join([request.app.version, version, request.url.path, request.url.query, variant,
                     str(_gzip(request))])
    return _checked(request, '"' + hashlib.sha256(key.encode()).hexdigest()[:32] + '"')


def members_version(conn: Connection, tables: tuple[str, ...]) -> str:
    """The data version of the tables a feature's answer reads besides its own (``item_tables``)."""
    return data_version(conn, tables) if tables else ""


def validate_item(request: Request, state: str, members: str = "") -> dict:
    """The same for one feature of an editable collection, whose ETag is ``"<state>.<variant>"``:
    ``state`` the feature's own version (edits.places.place), ``variant`` a hash of the
    representation (query, gzip, app version, ``members``: the data version of what else the
    answer carries). A write's If-Match compares the state only."""
    return _checked(request, item_tag(request, state, members))


def item_tag(request: Request, state: str, members: str = "") -> str:
    key = "\n".join([request.app.version, request.url.query, str(_gzip(request))] + ([members] if members else []))
    return f'"{state}.{hashlib.sha256(key.encode()).hexdigest()[:12]}"'


def _gzip(request: Request) -> bool:
    return "gzip" in request.headers.get("accept-encoding", "")


def _checked(request: Request, tag: str) -> dict:
    max_age = request.app.state.settings.cache_max_age_s
    headers = {"ETag": tag, "Vary": "Accept, Accept-Encoding",
               "Cache-Control": f"public, max-age={max_age}" + (", must-revalidate" if not max_age else "")}
    held = [t.strip().removeprefix("W/") for t in request.headers.get("if-none-match", "").split(",")]
    if tag in held or "*" in held:
        raise NotModified(headers)
    return headers


def install(app: FastAPI) -> None:
    @app.exception_handler(NotModified)
    async def not_modified(request: Request, error: NotModified):
        return Response(status_code=304, headers=error.headers)


class Kept:
    """Answers that cost seconds to compute, kept by ETag (which names the data version and the
    URL, so a load or an edit never serves a stale one), least recently used first out, up to
    ``max_bytes`` in all; one per worker process."""

    def __init__(self, max_bytes: int, size=len):
        self.max_bytes, self.size, self.lock, self.kept = max_bytes, 0, Lock(), OrderedDict()
        self.size_of = size  # a kept value's bytes (an answer kept with its headers: app/costs.py)

    def get(self, tag: str):
        with self.lock:
            if tag in self.kept:
                self.kept.move_to_end(tag)
            return self.kept.get(tag)

    def put(self, tag: str, value) -> None:
        if self.size_of(value) > self.max_bytes:
            return
        with self.lock:
            if tag in self.kept:
                self.size -= self.size_of(self.kept.pop(tag))
            self.size += self.size_of(value)
            self.kept[tag] = value
            while self.size > self.max_bytes:
                self.size -= self.size_of(self.kept.popitem(last=False)[1])
