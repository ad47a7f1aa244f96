"""OGC API Features queries, independent of the web framework: parameters in, JSON text out."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy import Connection, text

from app.collections import Collection
from app.dependencies import BBox

SQL = Path(__file__).resolve().parent / "sql"
COORDINATE_DECIMALS = 6  # ~0.1 m: finer than any published source here


@cache
def sql(name: str) -> str:
    return (SQL / f"{name}.sql").read_text()


@dataclass
class ItemsQuery:
    bbox: BBox | None
    limit: int
    offset: int
    filters: dict[str, list[str] | None]


def where_clause(collection: Collection, query: ItemsQuery) -> tuple[str, dict]:
    clauses, params = ["true"], {}
    if query.bbox:
        clauses.append(f"ST_Intersects({collection.geometry}, "
                       "ST_MakeEnvelope(:minx, :miny, :maxx, :maxy, 4326))")
        params.update(vars(query.bbox))
    for name, values in query.filters.items():
        if values:
            clauses.append(f"{collection.filters[name]} = ANY(:{name})")
            params[name] = values
    return " AND ".join(clauses), params


def feature_sql(collection: Collection, where: str) -> str:
    properties = ", ".join(f"'{name}', {expr}" for name, expr in collection.properties.items())
    return sql("items").format(id=collection.id_column, geometry=collection.geometry,
                               properties=properties, table=collection.table, where=where,
                               order_by=collection.order_by)


def items(conn: Connection, collection: Collection, query: ItemsQuery, self_url: str) -> str:
    """A GeoJSON FeatureCollection page with next/prev links; no COUNT(*) is run."""
    where, params = where_clause(collection, query)
    rows = conn.execute(text(feature_sql(collection, where)),
                        {**params, "limit": query.limit + 1, "offset": query.offset,
                         "precision": COORDINATE_DECIMALS}).scalars().all()
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    links = [_link("self", self_url, "This page")]
    if more:
        links.append(_link("next", _with_offset(self_url, query.offset + query.limit), "Next page"))
    if query.offset > 0:
        links.append(_link("prev", _with_offset(self_url, max(0, query.offset - query.limit)),
                           "Previous page"))
    head = {"type": "FeatureCollection", "numberReturned": len(rows),
            "timeStamp": datetime.now(UTC).isoformat(timespec="seconds"), "links": links}
    return json.dumps(head)[:-1] + ',"features":[' + ",".join(rows) + "]}"


def item(conn: Connection, collection: Collection, feature_id: int) -> str | None:
    statement = feature_sql(collection, f"{collection.id_column} = :fid")
    return conn.execute(text(statement), {"fid": feature_id, "limit": 1, "offset": 0,
                                          "precision": COORDINATE_DECIMALS}).scalar()


def extent(conn: Connection, collection: Collection) -> list[float] | None:
    box = conn.execute(text(sql("extent").format(table=collection.table)),
                       {"table": collection.table}).first()
    return list(box) if box else None


def _link(rel: str, href: str, title: str) -> dict:
    return {"href": href, "rel": rel, "type": "application/geo+json", "title": title}


def _with_offset(url: str, offset: int) -> str:
    parts = urlsplit(url)
    params = [(k, v) for k, v in parse_qsl(parts.query) if k != "offset"] + [("offset", str(offset))]
    return urlunsplit(parts._replace(query=urlencode(params)))
