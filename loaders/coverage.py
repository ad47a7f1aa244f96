"""What a places load claims to cover, from its options: ``--coverage AREA_CODE[,…]|FILE`` and
``--years YEAR|FIRST-LAST`` (places/coverage.py stores the claim; docs/places.md, "Coverage").

A list that is complete for somewhere says where (a council's list: its authority; a national
list: its country; an extract: the polygon or box it was cut to) and when (a snapshot: its own
year; a list with a status history: the years it states). A load without a claim adds places that
count as complete nowhere: analyses treat their categories as unknown there.
"""
from __future__ import annotations

import re
from pathlib import Path

from store.errors import LoadError
from loaders.pipeline import LoadContext
from loaders.readers import iter_features, source_srid, vector_info
from places.coverage import GSS_CODE, Claim, record, years_of

COVERAGE_HELP = ("Where the list is complete: AREA_CODE[,AREA_CODE…] (GSS codes, e.g. E08000009 for "
                 "Trafford, E92000001 for England) or FILE (a polygon file GDAL reads, e.g. GeoJSON)")
YEARS_HELP = ("The years it is complete for: YEAR or FIRST-LAST (default: the year its source key "
              "ends in, e.g. gm-food-banks-2018; a snapshot covers its own year)")


def years_option(value: str | int | None, default: tuple[int, int] | None) -> tuple[int, int] | None:
    """--years as given (2018, '2016-2023') → (first, last); ``default`` when not given."""
    if value is None or str(value).strip() == "":
        return default
    found = re.fullmatch(r"\s*([12][0-9]{3})\s*(?:[-–/]\s*([12][0-9]{3}))?\s*", str(value))
    if not found or (found.group(2) and int(found.group(2)) < int(found.group(1))):
        raise LoadError(f"--years must be YEAR or FIRST-LAST (e.g. 2016-2023), not {value!r}", column="--years")
    first = int(found.group(1))
    return first, int(found.group(2) or first)


def extent_option(ctx: LoadContext, value: str) -> dict:
    """--coverage as given → the claim's extent: GSS codes, or the union of a file's polygons
    (as EWKT, made in PostGIS)."""
    codes = [c.strip() for c in str(value).split(",") if c.strip()]
    if codes and all(GSS_CODE.match(c) for c in codes):
        return {"area_codes": tuple(codes), "extent_kind": "area"}
    path = Path(value)
    if not path.is_file():
        raise LoadError(f"--coverage {value!r} is neither GSS codes (e.g. E08000009,E06000017) nor a "
                        "polygon file", column="--coverage")
    info = vector_info(path)
    srid = source_srid(info, path, None)
    shapes = [w for frame in iter_features(path) for w in frame["wkb"] if w]
    shape = ctx.conn.exec_driver_sql(
        "SELECT ST_AsEWKT(ST_Union(ST_SetSRID(ST_GeomFromWKB(decode(h, 'hex')), %(srid)s))) "
        "FROM unnest(CAST(%(shapes)s AS text[])) h "
        "WHERE GeometryType(ST_GeomFromWKB(decode(h, 'hex'))) IN ('POLYGON', 'MULTIPOLYGON')",
        {"srid": srid, "shapes": shapes}).scalar()
    if shape is None:
        raise LoadError("no polygon in the coverage file", file=str(path), column="--coverage")
    return {"shape": shape, "extent_kind": "polygon"}


def claim(ctx: LoadContext, claim: Claim) -> None:
    """Record ``claim`` for this load (before place_years is rebuilt: a record's years are its
    source's coverage), counted as a change when it is new — a reload stays a no-op."""
    if record(ctx.conn, ctx.run_id, ctx.report.source, claim):
        ctx.report.tables.setdefault("coverage", {"new": 0})["new"] += 1
        ctx.report.changed += 1
    what = ", ".join(claim.area_codes) if claim.area_codes else f"the {claim.extent_kind} given"
    years = (str(claim.first_year) if claim.first_year == claim.last_year
             else f"{claim.first_year}–{claim.last_year}")
    ctx.note(f"coverage: {', '.join(sorted(claim.categories))} in {what}, {years} ({claim.basis})")


def claim_options(ctx: LoadContext, coverage: str | None, years: str | None, categories: set[str],
                  basis: str) -> None:
    """The claim of a generic list (places-csv, places-geojson) from its options; none without
    --coverage (noted)."""
    if not coverage:
        if years:
            raise LoadError("--years needs --coverage (where the list is complete)", column="--years")
        ctx.note("no --coverage: these places are complete nowhere, so analyses of their categories "
                 "treat every small area as not covered unless another source covers it")
        return
    span = years_option(years, years_of(ctx.report.source))
    if span is None:
        raise LoadError(f"give --years: the source key {ctx.report.source!r} names no year",
                        column="--years")
    if categories:
        ctx_claim = Claim(tuple(sorted(categories)), span[0], span[1], basis, **extent_option(ctx, coverage))
        claim(ctx, ctx_claim)
