"""gzip for every answer, deflated by ISA-L (python-isal) instead of zlib.

Starlette's GZipMiddleware decides what to compress (Accept-Encoding, size, media type, streamed
bodies, Vary); only its compressor changes. A page of 1,000 places (~800 kB of GeoJSON) takes
~1 ms at ISA-L's level 1 against ~3 ms at zlib's, and 361 district boundaries (~700 kB) ~2 ms
against ~5 ms, the output no larger (docs/benchmarks.md, session 8).
"""
from __future__ import annotations

from isal import isal_zlib
from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware import gzip
from starlette.types import Message, Receive, Scope, Send


class _IsalResponder(gzip.GZipResponder):
    @property
    def compressor(self):
        if self._compressor is None:
            self._compressor = isal_zlib.compressobj(self.compresslevel, isal_zlib.DEFLATED, 16 + isal_zlib.MAX_WBITS)
        return self._compressor


class GZipMiddleware(gzip.GZipMiddleware):
    """Starlette's, deflating with ISA-L; ``compresslevel`` is ISA-L's (0–3, 1 by default)."""

    def __init__(self, app, minimum_size: int = 1000, compresslevel: int = 1) -> None:
        super().__init__(app, minimum_size=minimum_size, compresslevel=compresslevel)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or "gzip" not in Headers(scope=scope).get("Accept-Encoding", ""):
            return await super().__call__(scope, receive, send)
        responder = _IsalResponder(self.app, self.minimum_size, compresslevel=self.compresslevel,
                                   thread_minimum_size=self.thread_minimum_size,
                                   exclude_content_types=self.exclude_content_types)
        await responder(scope, receive, _vary_once(send))


def _vary_once(send: Send) -> Send:
    """``send`` with each name in Vary once: Starlette appends Accept-Encoding to the Vary the
    cached answers already give (app/caching.py: Accept, Accept-Encoding, as a 304 must too)."""
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(raw=message["headers"])
            if "vary" in headers:
                names: dict[str, str] = {}
                for name in headers["vary"].split(","):
                    names.setdefault(name.strip().lower(), name.strip())
                headers["vary"] = ", ".join(names.values())
        await send(message)
    return sending
