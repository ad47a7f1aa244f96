"""Edits through a publisher's reload (docs/edits.md, "Reloads").

The rule: **an edit wins until the publisher's record it amends changes**. A reload that leaves
that record as it was (the usual no-op reload) keeps the edit; a reload that changes it (the
publisher has said something new about the place) supersedes the edit — the publisher's record
serves the place again — and says so: an audit row per edit (action ``superseded``, the edit
before, the publisher's record after) and a line in the load's report. Edits are never undone
silently, and the planner can re-apply one (its If-Match is the place's new ETag).
"""
from __future__ import annotations

from places.sql import SQL

LISTED = 20


def after_grouping(ctx) -> None:
    """Run by every load that changes places, after records are grouped into places
    (``places_changed``) and before place_years are resolved."""
    ctx.conn.execute(SQL.statement("pin_edits"))
    places = sorted(ctx.conn.execute(SQL.statement("supersede"), {"run": ctx.run_id}).scalars())
    if places:
        ctx.report.changed += len(places)
        ctx.report.reconciliation["planner edits superseded (the publisher changed the record they amend)"] = \
            len(places)
        ctx.note(f"{len(places)} planner edits superseded by this load's changes to the records they amend "
                 f"(each in the place's /history); places: {', '.join(map(str, places[:LISTED]))}"
                 + (" …" if len(places) > LISTED else ""))
