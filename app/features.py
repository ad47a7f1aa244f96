"""OGC API Features queries, independent of the web framework: parameters in, JSON text out.

Features are built as GeoJSON text by PostGIS and concatenated, never decoded in Python.
"""
from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass, field
from threading import Lock
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from psycopg.adapt import Loader
from sqlalchemy import Connection, Engine, event, text

from app import crs as crs_
from app.collections import Collection
from app.errors import ApiError
from app.selection import Selection, where
from store.settings import api_settings
from store.sql import SqlFiles

# The templates app/sql/<name>.sql without their comment lines: they name the placeholders, and
# what fills one (a computed collection's query) may span lines.
sql = SqlFiles.beside(__file__).template


def quote(identifier: str) -> str:
    """An SQL identifier, double-quoted (the one place names are quoted)."""
    return '"' + identifier.replace('"', '""') + '"'


@dataclass
class ItemsQuery:
    selection: Selection = field(default_factory=Selection)
    limit: int | None = 100           # None: every feature (downloads)
    offset: int = 0
    properties: list[str] | None = None
    sortby: list[tuple[str, bool]] | None = None
    crs: crs_.Crs = crs_.CRS84


def chosen_properties(collection: Collection, query: ItemsQuery) -> dict:
    if query.properties is None:
        return collection.properties
    unknown = [p for p in query.properties if p not in collection.properties]
    if unknown:
        raise ApiError(400, f"properties {unknown} unknown; {collection.id} has: "
                       f"{', '.join(collection.properties)}", "properties")
    return {name: collection.properties[name] for name in query.properties}


def order_by(collection: Collection, query: ItemsQuery) -> str:
    keys = []
    for name, descending in query.sortby or []:
        prop = collection.properties.get(name)
        if prop is None or not (prop.sortable and prop.queryable):
            sortable = [n for n, p in collection.queryables.items() if p.sortable]
            raise ApiError(400, f"sortby: {name!r} is not sortable in {collection.id}; "
                           f"sortable: {', '.join(sortable)}", "sortby")
        keys.append(f"{prop.sql} {'DESC' if descending else 'ASC'}")
    return ", ".join(keys + [collection.id_column])  # id last: a total order, so pages never overlap


def geometry_json(collection: Collection, crs: crs_.Crs) -> str:
    if collection.geometry is None:
        return "'null'"
    return f"COALESCE(ST_AsGeoJSON({crs_.output(collection, crs)}, {crs.decimals}, 0), 'null')"


def properties_json(collection: Collection, query: ItemsQuery) -> str:
    """SQL over t: the feature's properties as JSON text; for every property, the stored JSON where
    the collection keeps one and the running registry built it (its key), else built here: after a
    release whose properties differ, and for a place whose stored row is not there."""
    chosen = list(chosen_properties(collection, query))
    built = collection.properties_json(chosen) + "::text"
    if collection.stored_properties and chosen == list(collection.properties):
        return (f"CASE WHEN {collection.stored_properties_key} = '{collection.properties_key}' "
                f"THEN {collection.stored_properties}::text ELSE {built} END")
    return built


def feature_sql(collection: Collection, query: ItemsQuery, where_sql: str) -> str:
    properties = properties_json(collection, query)
    return sql("items").format(id=collection.id_column, geometry=geometry_json(collection, query.crs),
                               properties=properties, table=collection.table, where=where_sql,
                               order_by=order_by(collection, query))


def page_params(query: ItemsQuery, extra: int = 0) -> dict:
    return {"limit": None if query.limit is None else query.limit + extra, "offset": query.offset}


class _Utf8(Loader):
    """A text value as the UTF-8 bytes PostgreSQL sent."""

    def load(self, data) -> bytes:
        return bytes(data)


@event.listens_for(Engine, "before_cursor_execute")
def _text_as_bytes(conn, cursor, statement, parameters, context, executemany) -> None:
    """With the execution option ``text_as_bytes``, that statement's cursor reads text as bytes:
    a page's features (~800 kB for 1,000 places) go into the body as PostGIS wrote them, never
    decoded into Python strings (UCS-2 when one name has an accent), joined and encoded back."""
    if context is not None and context.execution_options.get("text_as_bytes"):
        cursor.adapters.register_loader("text", _Utf8)


def page_statement(collection: Collection, query: ItemsQuery, tables: tuple[str, ...] = ()) -> tuple:
    """(statement, parameters) of a page: its features and one more (is there a next page?), read
    as bytes; with ``tables`` each row also carries their data version, and a row with no feature
    stands for an empty page."""
    where_sql, params = where(collection, query.selection)
    statement = feature_sql(collection, query, where_sql)
    bound = {**params, **page_params(query, extra=1)}
    if tables:
        statement = f"SELECT v.version, f.feature FROM ({sql('data_versions')}) v LEFT JOIN LATERAL ({statement}) f ON true"
        bound["tables"] = list(tables)
    return text(statement).execution_options(text_as_bytes=True), bound


def items(conn: Connection, collection: Collection, query: ItemsQuery, self_url: str,
          version: str = "", tables: tuple[str, ...] = (), credit=None) -> tuple[str, bytes]:
    """(data version, a GeoJSON FeatureCollection page with numberMatched and next/prev links, as
    UTF-8). With ``tables`` the version of those tables is read by the page's own statement (one
    round trip, and the ETag names the very snapshot the features come from); else ``version`` is it.
    ``credit(version)``: members naming the page's sources (`attribution`, `links` to licences)."""
    found = conn.execute(*page_statement(collection, query, tables)).all()
    if tables:
        version = found[0][0].decode() or "0"
        rows = [feature for _, feature in found if feature is not None]
    else:
        rows = [feature for feature, in found]
    limit = query.limit if query.limit is not None else len(rows)
    more = len(rows) > limit
    rows = rows[:limit]
    links = [_link("self", self_url, "This page")]
    if more:
        links.append(_link("next", _with_offset(self_url, query.offset + limit), "Next page"))
    if query.offset > 0:
        links.append(_link("prev", _with_offset(self_url, max(0, query.offset - limit)), "Previous page"))
    head = {"type": "FeatureCollection", "numberReturned": len(rows), "links": links}
    if credit is not None:
        named = credit(version)
        head = {**head, **named, "links": links + named.get("links", [])}
    matched = len(rows) + query.offset if not more and (rows or not query.offset) else \
        number_matched(conn, collection, query.selection, *where(collection, query.selection), version)
    if matched is not None:
        head["numberMatched"] = matched
    return version, b"".join([json.dumps(head)[:-1].encode(), b',"features":[', b",".join(rows), b"]}"])


class _Counts:
    """numberMatched per (data version, query): paging through one selection counts once."""

    def __init__(self, size: int = 512):
        self.size, self.lock, self.known = size, Lock(), OrderedDict()

    def get(self, key):
        with self.lock:
            if key in self.known:
                self.known.move_to_end(key)
            return self.known.get(key)

    def put(self, key, value):
        with self.lock:
            self.known[key] = value
            while len(self.known) > self.size:
                self.known.popitem(last=False)


COUNTS = _Counts()


def number_matched(conn: Connection, collection: Collection, chosen: Selection, where_sql: str,
                   params: dict, version: str) -> int | None:
    """Exact up to KINDMAP_EXACT_COUNT_LIMIT matches; past it the planner's estimate of the whole
    table when nothing is filtered, otherwise omitted (None) rather than guessed."""
    key = (version, collection.id, where_sql, json.dumps(params, sort_keys=True, default=str))
    known = COUNTS.get(key) if version else None
    if known is not None:
        return known
    cap = api_settings().exact_count_limit
    counted = conn.execute(text(f"SELECT count(*) FROM (SELECT 1 FROM {collection.table} t "
                                f"WHERE {where_sql} LIMIT :cap) capped"), {**params, "cap": cap + 1}).scalar()
    if counted > cap:
        counted = None
        if chosen.everything:
            counted = conn.execute(text("SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(:t)"),
                                   {"t": collection.table}).scalar()
    if version:
        COUNTS.put(key, counted)
    return counted


def item(conn: Connection, collection: Collection, feature_id: int | str, crs: crs_.Crs = crs_.CRS84,
         bound: dict | None = None) -> str | None:
    query = ItemsQuery(limit=1, crs=crs)
    statement = feature_sql(collection, query, f"{collection.id_column} = :fid")
    body = conn.execute(text(statement), {**(bound or {}), "fid": feature_id, **page_params(query)}).scalar()
    if body is None or not collection.item_members:
        return body
    members = conn.execute(text(collection.item_members), {"fid": feature_id}).scalar()
    return f"{body[:-1]},{members[1:]}"  # both are JSON objects PostgreSQL wrote: joined as text


def extent(conn: Connection, collection: Collection) -> list[float] | None:
    if collection.geometry is None:
        return None
    stored = collection.extent
    box = conn.execute(text(sql("extent").format(table=stored.table, column=stored.column)),
                       {"table": stored.table, "column": stored.column, "srid": stored.srid}).first()
    return list(box) if box else None


def _link(rel: str, href: str, title: str) -> dict:
    return {"href": href, "rel": rel, "type": "application/geo+json", "title": title}


def _with_offset(url: str, offset: int) -> str:
    parts = urlsplit(url)
    params = [(k, v) for k, v in parse_qsl(parts.query) if k != "offset"] + [("offset", str(offset))]
    return urlunsplit(parts._replace(query=urlencode(params)))
