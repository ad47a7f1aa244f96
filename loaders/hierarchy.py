"""Keeps ``area_hierarchy`` (models/hierarchy.py) in step with the boundaries, lookups and centroids.

The rebuild is one SQL file (``loaders/sql/area_hierarchy.sql``) computing the whole hierarchy
into a temporary table, then one upsert and one delete that touch only rows that differ, so a
reload that changes nothing leaves the table untouched. It also writes each 2023 authority's UTLA,
region and country into ``areas.parent_codes``.
"""
from __future__ import annotations


from sqlalchemy import text

from loaders.pipeline import LoadContext
from store.sql import SqlFiles

SQL = SqlFiles.beside(__file__)
COLUMNS = ("ltla", "utla", "region", "country")
INCOMPLETE_LISTED = 5


def rebuild_area_hierarchy(ctx: LoadContext) -> None:
    """Recompute area_hierarchy from what is stored; report what changed and what cannot be placed."""
    if not (ctx.report.new or ctx.report.changed):
        return  # the load changed nothing (it will be rolled back): neither did the hierarchy
    for statement in SQL.statements("area_hierarchy"):
        ctx.execute(statement)
    upserted = ctx.execute(f"""
        INSERT INTO area_hierarchy (level, code, vintage, {', '.join(COLUMNS)})
        SELECT level, code, vintage, {', '.join(COLUMNS)} FROM hierarchy_complete
        ON CONFLICT (level, code, vintage) DO UPDATE SET
            {', '.join(f'{c} = EXCLUDED.{c}' for c in COLUMNS)}
        WHERE ({', '.join(f'area_hierarchy.{c}' for c in COLUMNS)})
              IS DISTINCT FROM ({', '.join(f'EXCLUDED.{c}' for c in COLUMNS)})""")
    removed = ctx.execute("""
        DELETE FROM area_hierarchy h WHERE NOT EXISTS (
            SELECT 1 FROM hierarchy_complete n
            WHERE n.level = h.level AND n.code = h.code AND n.vintage = h.vintage)""")
    parents = ctx.execute("""
        UPDATE areas a SET parent_codes = a.parent_codes || p.codes
        FROM (SELECT level, code, jsonb_strip_nulls(jsonb_build_object(
                  'utla', CASE WHEN level = 'ltla' THEN utla END, 'region', region,
                  'country', country)) AS codes
              FROM area_hierarchy WHERE vintage = '2023-12') p
        WHERE a.level = p.level AND a.code = p.code AND a.vintage = '2023-12'
          AND NOT a.parent_codes @> p.codes""")
    ctx.report.tables["area_hierarchy"] = {"new or changed": upserted, "removed": removed,
                                           "areas parent_codes completed": parents}
    ctx.report.changed += upserted + removed + parents
    incomplete = ctx.conn.execute(text(
        "SELECT level, vintage, count(*), (array_agg(code ORDER BY code))[1:(:listed)] "
        "FROM hierarchy_incomplete GROUP BY level, vintage ORDER BY level, vintage"),
        {"listed": INCOMPLETE_LISTED}).all()
    for level, vintage, count, examples in incomplete:
        ctx.note(f"area_hierarchy: {count} {level} {vintage} codes reach no complete 2023 "
                 f"LTLA/UTLA/region yet (e.g. {', '.join(examples)}); they are placed when the "
                 "boundaries and lookups that link them are loaded")
