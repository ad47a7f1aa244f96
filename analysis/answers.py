"""Refresh step: the costliest default answers, computed once per change of their inputs.

England-wide ``/priorities?level=lsoa`` with every other parameter at its default takes many
seconds; the refresh (every load that changed something, and ``kindmap analyse``) computes it and
the ``level=authority`` one and keeps each body in ``analysis_answers`` with the data versions of
every table the gap index reads. The route serves a kept body only while those versions are the
current ones (an edit or a load since: computed as any other request), so the answer is the one
the route would compute, byte for byte.
"""
from __future__ import annotations

from sqlalchemy import Connection

from analysis import step, versions
from analysis.sql import sql

# Every table the gap index reads (each with a data_versions trigger): a kept answer holds
# while none of them changed.
INPUTS = ("analysis_coverage", "analysis_gap_spending", "analysis_small_areas", "area_hierarchy", "area_lookups", "areas",
          "centroids", "indicators", "place_current", "place_edits", "place_status", "place_years",
          "places", "spending")
LEVELS = ("lsoa", "authority")


def name(level: str) -> str:
    return f"priorities?level={level}"


@step("answers", (*INPUTS, "analysis_answers"))
def refresh_answers(conn: Connection) -> int:
    """Compute and keep the default /priorities of each level (after the steps they read)."""
    from analysis import coverage, gap_index  # the spending modules behind it: only when this step runs

    for level in LEVELS:
        query = gap_index.default_query(level)
        try:
            known = gap_index.require_coverage(conn, query)
        except coverage.NotCovered:  # nothing to keep: the route answers its 400
            continue
        body = gap_index.feature_collection(gap_index.ranked(conn, query), query, gap_index.meta(query, known))
        conn.execute(sql("answer_keep"), {"name": name(level), "versions": versions(conn, INPUTS), "body": body})
    return len(LEVELS)


def kept(conn: Connection, level: str) -> str | None:
    """The kept default /priorities body of ``level`` if its inputs have not changed since, else None."""
    return conn.execute(sql("answer_kept"), {"name": name(level), "versions": versions(conn, INPUTS)}).scalar()
