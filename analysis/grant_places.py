"""Refresh step: grants tied to the places their recipients run (analysis_grant_places;
docs/analysis/grants.md, "Places that receive grants").

* **Linked** when the recipient's charity or company number is the value of one of a place's
  attributes named in CHARITY_KEYS / COMPANY_KEYS (any record of the place: a list's, OSM's tags,
  a planner's edit), compared without spaces or leading zeros (grant_place_numbers.sql).
* Otherwise a **candidate**, never linked: a place within NEAR_METRES of the area the grant lands
  in whose distinctive name words agree with the recipient's (places.names.name_agreement at least
  NAMES_AGREE), with its score and distance, for someone to review.

A planner's edit adding a number links at the next refresh (`kindmap analyse`), as every analysis.
"""
from __future__ import annotations

from sqlalchemy import Connection, text

from analysis import step
from analysis.sql import sql
from places.names import name_agreement

# Attribute keys holding a charity or company number: OpenStreetMap's (ref:GB:charity,
# ref:GB:companies_house …, also as operator:…), and plain names a list or an edit may use.
CHARITY_KEYS = ("charity_number", "ref:GB:charity", "operator:ref:GB:charity", "ref:charity")
COMPANY_KEYS = ("company_number", "ref:GB:companies_house", "operator:ref:GB:companies_house",
                "ref:GB:company_number")
NAMES_AGREE = 85  # name_agreement (0–100) at which a nearby place is worth a reviewer's look
NEAR_METRES = 1000.0  # a place just over the boundary of the area a grant lands in may be the recipient's

TABLES = ("grants", "places", "place_edits", "areas", "analysis_grant_places")


@step("grant_places", TABLES)
def refresh_grant_places(conn: Connection) -> int:
    """Rebuild the links and candidates; returns how many rows were written."""
    conn.execute(text("DELETE FROM analysis_grant_places"))
    if not conn.execute(text("SELECT EXISTS (SELECT 1 FROM grants)")).scalar():
        return 0  # a places load with no grants loaded: nothing to compare its attributes with
    linked = conn.execute(sql("grant_place_numbers"), {"charity_keys": list(CHARITY_KEYS),
                                                       "company_keys": list(COMPANY_KEYS)}).rowcount
    agreeing = []
    for row in conn.execute(sql("grant_place_nearby"), {"metres": NEAR_METRES}):
        score = name_agreement(row.recipient_name, row.place_name)
        if score is not None and score >= NAMES_AGREE:
            agreeing.append((row.recipient_name, row.area_code, row.place_id, row.place_name, score, row.distance_m))
    if not agreeing:
        return linked
    columns = ("recipient_names", "area_codes", "place_ids", "place_names", "scores", "distances")
    return linked + conn.execute(sql("grant_place_candidates"),
                                 {name: list(values) for name, values in zip(columns, zip(*agreeing))}).rowcount



def candidates(conn: Connection, area: str | None, limit: int, offset: int) -> list[str]:
    """The candidates no reviewer has decided, of grants landing in ``area`` (or inside it; None:
    all), best names first, each as JSON text PostgreSQL built (grant_candidates.sql)."""
    return list(conn.execute(sql("grant_candidates"), {"area": area, "limit": limit, "offset": offset}).scalars())
