"""The review queue of place identity (models/reviews.py; docs/places.md, "Review").

A candidate pair the rules cannot decide (``decide`` answers 'review') is joined meanwhile — its
place counted once — and listed here as ``pending``, by its two records' refs. A person decides it
through the API (app/routers/reviews.py, a key with ``write:places``): ``accepted`` keeps the two
records one place, ``rejected`` makes them two; either decision then wins on every later
grouping, like an override of data/place-overrides.toml. The grouping follows a decision at the
next places load (an accepted pair is already joined, so only a rejection changes a place then).
"""
from __future__ import annotations

import pandas as pd
from sqlalchemy import Connection, text

from places.sql import SQL


class ReviewError(Exception):
    def __init__(self, status: int, detail: str):
        super().__init__(detail)
        self.status, self.detail = status, detail


def _ordered(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


def decisions(conn: Connection) -> tuple[frozenset, frozenset]:
    """(pairs accepted as one place, pairs rejected: two places), each a frozenset of refs."""
    rows = conn.execute(text("SELECT ref_a, ref_b, state FROM place_reviews WHERE state <> 'pending'")).all()
    return (frozenset(frozenset((a, b)) for a, b, s in rows if s == "accepted"),
            frozenset(frozenset((a, b)) for a, b, s in rows if s == "rejected"))


def sync(conn: Connection, review: pd.DataFrame) -> int:
    """The pending rows become exactly the undecided pairs of this grouping; answers how many."""
    rows = [dict(zip(("ref_a", "ref_b"), _ordered(r.ref_a, r.ref_b)), rule=r.rule, distance=float(r.distance),
                 score=None if pd.isna(r.score) else float(r.score)) for r in review.itertuples()]
    conn.execute(text("CREATE TEMP TABLE review_now (ref_a text, ref_b text, rule text, distance float8, "
                      "score float8) ON COMMIT DROP"))
    if rows:
        conn.execute(text("INSERT INTO review_now VALUES (:ref_a, :ref_b, :rule, :distance, :score)"), rows)
    conn.execute(SQL.statement("review_sync"))
    conn.execute(text("DROP TABLE review_now"))
    return len(rows)


def listing(conn: Connection, state: str, limit: int, offset: int) -> list[dict]:
    return list(conn.execute(SQL.statement("review_list"),
                             {"state": state, "limit": limit, "offset": offset}).scalars())


def points(conn: Connection, review_id: int) -> list[tuple[float, float]]:
    """The two records' points (lon, lat), for the writer's authorities; 404 when no such pair."""
    found = conn.execute(text("""
        SELECT ST_X(p.geom), ST_Y(p.geom) FROM place_reviews r
        JOIN places p ON p.source || ':' || p.source_ref IN (r.ref_a, r.ref_b)
        WHERE r.id = :id AND p.geom IS NOT NULL"""), {"id": review_id}).all()
    if not found:
        raise ReviewError(404, f"no review {review_id}")
    return [tuple(p) for p in found]


def decide(conn: Connection, review_id: int, state: str, key_id: int, reason: str | None) -> dict:
    """Accept or reject a pending pair; 404 unknown, 409 decided already."""
    row = conn.execute(SQL.statement("review_decide"),
                       {"id": review_id, "state": state, "key": key_id, "reason": reason}).scalar()
    if row is None:
        exists = conn.execute(text("SELECT state FROM place_reviews WHERE id = :id"), {"id": review_id}).scalar()
        if exists is None:
            raise ReviewError(404, f"no review {review_id}")
        raise ReviewError(409, f"review {review_id} was {exists} already")
    return row
