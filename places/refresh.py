"""What every load or edit that changes places runs last, in its transaction: each record's
country, the records grouped into places (places/identity.py), ``place_years`` after the stored
history, and ``place_current`` (the status, sources and properties the collection serves).
"""
from __future__ import annotations

from sqlalchemy import Connection, text

from models.places import COUNTRIES, STATUS_YEARS
from models.properties import json_key, json_object
from models.table_statistics import analyse, analyse_if_changed, unchanged
from places.identity import PART_SOURCES, resolve
from places.properties import PLACE_PROPERTIES
from places.reloads import after_grouping as edits_after_grouping
from places.sql import SQL
from places.statement_links import BASIC_2023, STATEMENT_LISTS

# Lists that state the country of every record they hold ("public libraries in England").
LIST_COUNTRY = {"dcms-libraries-2016": "E92000001", BASIC_2023: "E92000001"}
# An authority's other name, as a list prints it → the name of its 2023 area (the UK list names
# Na h-Eileanan Siar's council by its Gaelic name).
AUTHORITY_ALIASES = {"Comhairle nan Eilean Siar": "Na h-Eileanan Siar"}
COAST_METRES = 2000  # a located record this close to a generalised boundary is in its country
COUNTRY_BOUNDARIES = {("utla", "2023-12"), ("ltla", "2023-12")}  # (level, vintage) place_country.sql reads


def place_years_parameters(place: int | None = None) -> dict:
    """What sql/place_years.sql binds: every place's years, or ``place``'s only (an edit's)."""
    return {"first": STATUS_YEARS[0], "last": STATUS_YEARS[-1], "footprints": sorted(PART_SOURCES),
            "place": place, "statement_lists": list(STATEMENT_LISTS)}


def set_countries(ctx) -> int:
    """Every record's country (sql/place_country.sql): run by every places load, and by a load of
    the 2023 boundaries it reads (COUNTRY_BOUNDARIES), so the load order does not matter; answers
    how many records it set."""
    countries = ctx.execute(
        SQL.text("place_country"), coast=COAST_METRES,
        country_codes=list(COUNTRIES), country_names=list(COUNTRIES.values()),
        list_sources=list(LIST_COUNTRY), list_countries=list(LIST_COUNTRY.values()),
        aliases_from=list(AUTHORITY_ALIASES), aliases_to=list(AUTHORITY_ALIASES.values()))
    if countries:
        ctx.report.tables.setdefault("places", {})["country set"] = countries
        ctx.report.changed += countries
    return countries


def places_changed(ctx) -> None:
    """What every load that changes places or their status runs last, in its transaction:
    the records are grouped into places (places/identity.py), then place_years follows the
    stored history (set-based; merged as a difference), and place_current (the status and
    sources the collection serves) follows place_years. Each record's country comes first
    (sql/place_country.sql). Planner edits stay with their places, and those whose publisher's
    record this load changed are superseded (places/reloads.py)."""
    set_countries(ctx)
    resolve(ctx)
    edits_after_grouping(ctx)
    refresh_years(ctx)


def refresh_years(ctx) -> None:
    """place_years from the records' history and their sources' coverage (set-based; merged as a
    difference), then place_current: run by every places load, and by a boundary load that moves
    what the coverage of a record depends on (its country, a claimed authority's boundary)."""
    ctx.execute("CREATE TEMP TABLE resolved_years (year int, place_id bigint, status text) ON COMMIT DROP")
    ctx.execute("INSERT INTO resolved_years " + SQL.text("place_years"), **place_years_parameters())
    # Statistics for both sides, so the anti-join is hashed, never a nested loop (place_years'
    # are usually still those taken after the last write to it, below).
    ctx.execute("ANALYZE resolved_years")
    analyse_if_changed(ctx.conn, "place_years")
    removed = ctx.execute("""
        DELETE FROM place_years py WHERE NOT EXISTS (
            SELECT 1 FROM resolved_years r WHERE r.place_id = py.place_id AND r.year = py.year)""")
    written = ctx.execute("""
        INSERT INTO place_years (year, place_id, status) SELECT year, place_id, status FROM resolved_years
        ON CONFLICT (year, place_id) DO UPDATE SET status = EXCLUDED.status
            WHERE place_years.status IS DISTINCT FROM EXCLUDED.status""")
    ctx.execute("DROP TABLE resolved_years")
    # place_current (next) and the analysis refresh after the load plan on the new contents.
    if removed or written:
        analyse(ctx.conn, "place_years")
    else:
        unchanged(ctx.conn, "place_years")
    if removed or written:
        ctx.report.tables["place_years"] = {"written": written, "removed": removed}
    written, removed = refresh_current(ctx.conn)
    if removed or written:
        ctx.report.tables["place_current"] = {"written": written, "removed": removed}


# The properties it stores are those the registry serves (places/properties.py), with their key.
PLACE_CURRENT = text(SQL.text("place_current").format(properties=json_object(PLACE_PROPERTIES)))
PROPERTIES_KEY = json_key(PLACE_PROPERTIES)


def refresh_current(conn: Connection, place: int | None = None) -> tuple[int, int]:
    """place_current after place_years (sql/place_current.sql): every place, or ``place`` only
    (an edit's); (rows written, rows removed)."""
    written, removed = conn.execute(PLACE_CURRENT, {"place": place, "properties_key": PROPERTIES_KEY}).one()
    return written, removed
