"""What an answer owes its sources, on the HTTP side: datasets.attribution's credit for the tables
behind a collection, kept per data version (a load changes the version, so a new credit is
computed once; between loads every answer reuses it), as TileJSON `attribution`, `license` links
and a GeoJSON `attribution` member."""
from __future__ import annotations

from collections import OrderedDict
from threading import Lock

from sqlalchemy import Connection

from app import caching
from datasets.attribution import Credit, credit

_KEPT: OrderedDict[tuple, Credit] = OrderedDict()
_LOCK = Lock()
KEEP = 64


def of(conn: Connection, tables, version: str | None = None) -> Credit:
    """The credit for ``tables`` at ``version`` (read here when the caller has not)."""
    tables = tuple(sorted(set(tables)))
    key = (tables, version or caching.data_version(conn, tables))
    with _LOCK:
        if key in _KEPT:
            _KEPT.move_to_end(key)
            return _KEPT[key]
    found = credit(conn, tables)
    with _LOCK:
        _KEPT[key] = found
        while len(_KEPT) > KEEP:
            _KEPT.popitem(last=False)
    return found


def licence_links(found: Credit) -> list[dict]:
    return [{"href": licence.url, "rel": "license", "type": "text/html", "title": licence.name}
            for licence in found.licences]


def link_header(found: Credit, sidecar: str | None = None) -> str:
    """A Link header naming each licence (and the attribution text to keep beside a download)."""
    links = [f'<{sidecar}>; rel="related"; type="text/plain"; title="Attribution"'] if sidecar else []
    return ", ".join(links + [f'<{licence.url}>; rel="license"' for licence in found.licences])


def download_headers(conn: Connection, tables, filename: str) -> dict:
    """What a computed download (CSV of /spending, /priorities) carries: its name and licences."""
    return {"Content-Disposition": f'attachment; filename="{filename}"', "Link": link_header(of(conn, tables))}


def members(found: Credit) -> dict:
    """The GeoJSON/JSON members naming the sources: `attribution` (text) when anything is loaded."""
    return {"attribution": found.text} if found.text else {}


def as_text(title: str, found: Credit) -> str:
    """The attribution of a collection as text to keep beside a download of it."""
    if not found.lines:
        return f"{title}: nothing is loaded, so no attribution is owed.\n"
    lines = [f"{title} is built from:", *(f"- {line}" for line in found.lines), "", "Licences:"]
    lines += [f"- {licence.name}: {licence.url}" for licence in found.licences]
    return "\n".join(lines) + "\n"
