"""The registry of public collections: the one place a collection's facts live.

A collection is its table, id, geometry (with the stored British National Grid column where
there is one), properties with their JSON-schema types, which properties are also plain query
filters (with their vocabularies), its time span and its sort keys. Items, tiles, queryables,
CQL2, the OpenAPI parameters and the ETags all read this registry, so adding a filter is one
``filter=True`` and adding a collection is one entry. SQL expressions are over the table alias
``t`` and are fixed here, never taken from a request.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from analysis import grants
from analysis.sql import source
from models import AREA_LEVELS
from models.places import STATUS_YEARS
from models.properties import Property, json_key, json_object
from models.spending import BASES
from models.vintages import VINTAGE_SPELLING, normalise_vintage
from places.properties import PLACE_PROPERTIES

@dataclass(frozen=True)
class Geometry:
    type: str                                # GeoJSON type of every feature; "Geometry": mixed
    column: str = "geom"                     # stored in EPSG:4326, longitude first (= CRS84)
    column_27700: str | None = "geom_27700"  # stored British National Grid copy, if any
    simplify_in_tiles: bool = False          # boundaries: simplified to the tile's pixel size
    # Or stored Web Mercator copies, pre-simplified per zoom band: (deepest zoom of the band, column).
    tile_columns: tuple[tuple[int, str], ...] = ()

    @property
    def format(self) -> str:
        """Its JSON-schema format in queryables (OGC API Features Part 3)."""
        return "geometry-any" if self.type == "Geometry" else f"geometry-{self.type.lower()}"

    @property
    def dimension(self) -> int | None:
        """0 for points, 2 for polygons, None for a mix (OGC API Tiles geometryDimension)."""
        return {"Point": 0, "Geometry": None}.get(self.type, 2)


@dataclass(frozen=True)
class Extent:
    """Where a collection's spatial extent is read: a stored geometry column and its SRID."""
    table: str
    column: str = "geom"
    srid: int = 4326


@dataclass(frozen=True)
class Temporal:
    """What `datetime` selects. Either the span of years a feature covers (``start``/``end``: SQL
    integer years over t, NULL = open), or ``within``: SQL over t true when the feature meets the
    years :dt_start..:dt_end (both bound; an open end is ``bounds``' first or last year)."""
    description: str
    start: str | None = None
    end: str | None = None
    within: str | None = None
    bounds: tuple[int, int] = (0, 9999)


@dataclass(frozen=True)
class Collection:
    id: str
    title: str
    description: str
    table: str
    properties: dict[str, Property]
    geometry: Geometry | None = None          # None: a non-spatial collection (geometry null)
    temporal: Temporal | None = None
    id_column: str = "t.id"
    integer_id: bool = True                   # False: the id is text (MVT feature ids are integers)
    tables: tuple[str, ...] = ()              # tables whose changes change its answers (ETags)
    editable: bool = False                    # written through the API (app/routers/edits.py):
                                              # each feature has its own version in its ETag
    # A computed collection: `table` is an SQL query binding these request parameters, served
    # by its own routes (app/routers/small_areas.py), with its extent read from a stored table.
    parameters: tuple[str, ...] = ()
    stored_extent: Extent | None = None
    # SQL over t: the JSON of every property, in this order, stored in the transaction that writes
    # the data (so a page of every property concatenates text instead of building JSON per feature),
    # and the key of the registry that built it (properties_key; a release whose properties differ
    # builds the JSON until a load rewrites what an older one stored).
    stored_properties: str | None = None
    stored_properties_key: str | None = None
    # What a tile carries when no `properties=` is asked: what a map draws and names (None: every
    # scalar). Every property of every feature made a small_areas z5 tile 4.6 MB.
    tile_properties: tuple[str, ...] | None = None
    # One feature's answer (/items/{id}) only: SQL binding :fid, the feature's id, whose one JSON
    # object's members join the feature's (places: its grants), and the tables they are read from
    # (in that answer's ETag).
    item_members: str | None = None
    item_tables: tuple[str, ...] = ()

    @property
    def filters(self) -> dict[str, Property]:
        return {name: p for name, p in self.properties.items() if p.filter}

    @property
    def queryables(self) -> dict[str, Property]:
        return {name: p for name, p in self.properties.items() if p.queryable}

    @property
    def data_tables(self) -> tuple[str, ...]:
        return self.tables or (self.table,)

    @property
    def extent(self) -> Extent:
        return self.stored_extent or Extent(self.table, self.geometry.column)

    @cached_property
    def properties_key(self) -> str:
        """Identifies the JSON properties_json() builds: its expression's hash."""
        return json_key(self.properties)

    def properties_json(self, names: list[str] | None = None) -> str:
        """SQL over t building the JSON object of these properties, every one by default."""
        return json_object(self.properties if names is None else {name: self.properties[name] for name in names})


# The stored Web Mercator copies of area boundaries per zoom band (models/areas.py, migration 0009).
AREA_TILE_COLUMNS = ((5, "geom_3857_z5"), (7, "geom_3857_z7"), (9, "geom_3857_z9"), (99, "geom_3857"))  # 99: any deeper


def _measure(sql: str, type: str, description: str) -> Property:
    return Property(f"t.{sql}", type, description)


COLLECTIONS: dict[str, Collection] = {c.id: c for c in [
    Collection(
        id="places",
        title="Third places",
        description="Places where people meet — libraries, community and youth centres, village "
                    "halls, social and children's centres, food banks, places of worship — open or "
                    "closed, from published lists and OpenStreetMap: one feature per real place, with "
                    "every list's record of it in `sources`, and its `country`. `datetime` selects "
                    f"the places open in a year ({STATUS_YEARS[0]}–{STATUS_YEARS[-1]}; `datetime=2016`) "
                    "or in any year of an interval, by their status in each year. A place no list "
                    "locates has a null geometry and is left out of bbox, spatial filters and tiles.",
        table="place_features",  # a view: the canonical record of each place (docs/places.md)
        tables=("places", "place_edits", "place_current"),
        editable=True,
        stored_properties="t.properties",  # place_current.properties (places/sql/place_current.sql)
        stored_properties_key="t.properties_key",
        geometry=Geometry("Point"),
        tile_properties=("name", "category", "status"),  # app/pages/static/js/map.js colours by category
        temporal=Temporal(
            f"Open at some time in the years given ({STATUS_YEARS[0]}–{STATUS_YEARS[-1]}), by the "
            "place's status in each year (place_years, docs/places.md): `datetime=2016` gives the "
            "places open in 2016, `2015/2019` those open in any of those years.",
            within="EXISTS (SELECT 1 FROM place_years y WHERE y.place_id = t.id AND y.status = 'open' "
                   "AND y.year BETWEEN :dt_start AND :dt_end)",
            bounds=(STATUS_YEARS[0], STATUS_YEARS[-1])),
        properties=PLACE_PROPERTIES,
        item_members=source("place_grants"),  # analysis/grant_places.py
        item_tables=("analysis_grant_places", "grant_place_reviews", "grants"),
    ),
    Collection(
        id="areas",
        title="Areas",
        description="Statistical and administrative areas (regions, upper- and lower-tier local "
                    "authorities, LSOAs, wards) with ONS GSS codes and boundary vintages.",
        table="areas",
        geometry=Geometry("MultiPolygon", tile_columns=AREA_TILE_COLUMNS),
        properties={
            "code": Property("t.code", filter=True, description="ONS GSS code, e.g. E06000017"),
            "name": Property("t.name", description="Name"),
            "level": Property("t.level", enum=tuple(AREA_LEVELS), filter=True,
                              description="Level: region, utla, ltla, lsoa, …"),
            "vintage": Property("t.vintage", filter=True, normalise=normalise_vintage, spelling=VINTAGE_SPELLING,
                                description="Boundary vintage YYYY-MM, e.g. 2023-12; a bare year "
                                            "means December (2021 = 2021-12)"),
            "parent_codes": Property("t.parent_codes", "object", "Codes of containing areas by level",
                                     sortable=False),
        },
    ),
    Collection(
        id="spending",
        title="Local-authority spending",
        description="Revenue spending by English local authorities: one row per authority, "
                    "financial year, service line, basis (outturn or budget) and measure, in "
                    "nominal pounds (MHCLG revenue outturn and budget returns). No geometry: join "
                    "to `areas` by `area_code`.",
        table="spending",
        temporal=Temporal("Financial years overlapping the years given (2014-15 covers 2014 and 2015).",
                          "left(t.financial_year, 4)::int", "left(t.financial_year, 4)::int + 1"),
        properties={
            "area_code": Property("t.area_code", filter=True, description="ONS GSS code of the authority"),
            "financial_year": Property("t.financial_year", filter=True, description="e.g. 2014-15"),
            "dataset": Property("t.dataset", filter=True, description="Published table: RS, RO3, RA"),
            "service": Property("t.service", filter=True, description="Service line, e.g. public_health"),
            "basis": Property("t.basis", enum=tuple(BASES), filter=True,
                              description="outturn (spent) or budget (planned)"),
            "measure": Property("t.measure", filter=True, description="e.g. net_current_expenditure"),
            "amount_gbp": Property("t.amount_gbp", "number",
                                   "Nominal pounds; null when the return was not received"),
        },
    ),
    Collection(
        id="indicators",
        title="Area indicators",
        description="Area statistics — population, deprivation scores, ranks and deciles, library "
                    "statistics — by area code and period. No geometry: join to `areas` by "
                    "`area_code`.",
        table="indicators",
        properties={
            "area_code": Property("t.area_code", filter=True, description="ONS GSS code of the area"),
            "indicator": Property("t.indicator", filter=True,
                                  description="e.g. population, imd_rank, imd_decile"),
            "period": Property("t.period", filter=True, description="e.g. 2022 (mid-year), 2019 (IoD)"),
            "value": Property("t.value", "number", "The value; null where not published"),
        },
    ),
    Collection(
        id="small_areas",
        title="Small areas: access and the gap index",
        description="Every origin of the small-area base — England's LSOA 2011 population-weighted "
                    "centroids, and the 2021 LSOA boundaries where loaded (Rutland, Trafford) — with "
                    "its access to the places of `categories` open in `year` (nearest, count within "
                    "`radius`, cumulative, 2SFCA, E2SFCA, gravity) and its gap index, as GET /gaps "
                    "computes them. Property meanings: docs/analysis.md.",
        table=f"({source('small_area_layer')})",
        tables=("places", "place_years", "areas", "indicators", "spending", "analysis_small_areas",
                "analysis_gap_spending", "analysis_coverage"),
        parameters=("categories", "year", "radius", "catchment", "steps", "gravity_scale",
                    "gravity_alpha", "gravity_max", "supply"),
        stored_extent=Extent("analysis_small_areas", "origin", 27700),
        geometry=Geometry("Geometry", simplify_in_tiles=True),
        id_column="t.code",
        integer_id=False,
        # the map's measures (app/pages/router.py MEASURES) and what names an area
        tile_properties=("code", "name", "population", "imd_decile", "gap_score", "nearest_m", "count_within",
                         "fca2", "e2sfca", "gravity"),
        properties={
            "code": Property("t.code", filter=True, description="LSOA GSS code"),
            "name": Property("t.name", description="LSOA name"),
            "vintage": Property("t.vintage", description="LSOA vintage: 2011-12, or 2021-12 where loaded"),
            "population": Property("t.population", "integer", "Residents, mid-2022"),
            "imd_rank": Property("t.imd_rank", "integer", "IMD 2019 rank (1 = most deprived)"),
            "imd_decile": Property("t.imd_decile", "integer", "IMD 2019 decile (1 = most deprived)"),
            "ltla": Property("t.ltla", filter=True, description="Lower-tier authority (2023) code"),
            "utla": Property("t.utla", filter=True, description="Upper-tier authority (2023) code"),
            "region": Property("t.region", filter=True, description="Region code"),
            "geometry_is": Property("t.geometry_is", enum=("origin", "boundary"),
                                    description="origin: the population-weighted centroid point; "
                                                "boundary: the loaded LSOA polygon"),
            "coverage": Property("t.coverage", enum=("covered", "partial", "not_covered"),
                                 description="Whether the categories asked are known here in `year` "
                                             "(a source lists them completely): not_covered = every "
                                             "measure and the gap index null, never a gap"),
            "categories_counted": _measure("categories_counted", "string",
                                           "The categories the measures count here, comma-separated"),
            "nearest_m": _measure("nearest_m", "number", "Metres to the nearest open place"),
            "nearest_place_id": _measure("nearest_place_id", "integer", "Id of the nearest open place"),
            "nearest_place_name": _measure("nearest_place_name", "string", "Name of the nearest open place"),
            "count_within": _measure("count_within", "integer", "Open places within `radius`"),
            "cumulative": _measure("cumulative", "number",
                                   "Supply within the catchment (open places, each × its category's weight)"),
            "per_1000": _measure("per_1000", "number", "Open places within `radius` per 1,000 residents"),
            "fca2": _measure("fca2", "number", "2SFCA score (places per resident)"),
            "e2sfca": _measure("e2sfca", "number", "Enhanced 2SFCA score"),
            "gravity": _measure("gravity", "number", "Gravity access score"),
            "gap_score": _measure("gap_score", "number", "Gap index, 0 (no gap) … 1"),
            "gap_driver": _measure("gap_driver", "string", "The part adding most to the gap index"),
            "gap_need": _measure("gap_need", "number", "Need part, 0 … 1"),
            "gap_access": _measure("gap_access", "number",
                                   "Lack-of-access part, 0 … 1: the categories' parts, weighted"),
            "gap_access_any": _measure("gap_access_any", "number",
                                       "Lack of access to the nearest place of any of the categories, 0 … 1"),
            "gap_loss": _measure("gap_loss", "number", "Loss part, 0 … 1"),
            "gap_spending": _measure("gap_spending", "number", "Spending-cut part, 0 … 1"),
            "places_before": _measure("places_before", "integer",
                                      "Places within `radius` open in the loss year (2010)"),
            "places_lost": _measure("places_lost", "integer", "Of those, places not open in `year`"),
            "spending_real_change_pct": _measure("spending_real_change_pct", "number",
                                                 "Real change of public-health spending per head, %"),
            "by_category": Property("t.by_category", "object", sortable=False, description=(
                "Per category of `categories` (its weight, nearest_m, nearest_place_id, count_within, "
                "per_1000); items only, not in tiles")),
        },
    ),
    Collection(
        id="grants",
        title="Community grants per head",
        description="One feature per area of `level` (2023 LTLAs by default, UTLAs, or 2021 LSOAs) "
                    "with the 360Giving grants landing in it over the financial years `from`…`to`: "
                    "amount, per head per year, nominal and real (HM Treasury GDP deflators), as GET "
                    "/grants computes them. Grants located by the recipient's address alone are left "
                    "out; grants stated only for a coarser area are beside (`coarser_gbp`) and, with "
                    "`apportion=population` (LSOAs), shared by population and flagged `apportioned`. "
                    "Where no loaded grants file covers the area every figure is null, with "
                    "`coverage_reason`. Method: docs/analysis/grants.md.",
        table=f"({source('grants_layer')})",
        tables=("grants", "grant_coverage", "indicators", "area_hierarchy", "areas"),
        parameters=("area", "funder", "programme", "from", "to", "real", "prices", "apportion"),
        stored_extent=Extent("areas"),
        geometry=Geometry("MultiPolygon", tile_columns=AREA_TILE_COLUMNS),
        id_column="t.code",
        integer_id=False,
        tile_properties=("code", "name", "per_head_per_year_gbp", "real_per_head_per_year_gbp",
                         "apportioned_per_head_per_year_gbp"),
        properties={
            "code": Property("t.code", filter=True, description="GSS code of the area"),
            "name": Property("t.name", description="Name"),
            "level": Property("t.level", enum=grants.LEVELS, filter=True,
                              description="ltla, utla (2023 authorities) or lsoa (2021): the parameter "
                                          "choosing the areas (default ltla)"),
            "ltla": Property("t.ltla", filter=True, description="Lower-tier authority (2023) code"),
            "utla": Property("t.utla", filter=True, description="Upper-tier authority (2023) code"),
            "region": Property("t.region", filter=True, description="Region code"),
            "population": Property("t.population", "integer", "Residents of its 2021 LSOAs, newest mid-year"),
            "covered": Property("t.covered", "boolean", "Whether a loaded grants file covers the area"),
            "covering_funders": Property("t.covering_funders", "array", sortable=False,
                                         description="Funding Org identifiers whose files cover it"),
            "coverage_reason": Property("t.coverage_reason", description="Why the figures are null"),
            "from_year": Property("t.from_year", description="First financial year of the range"),
            "to_year": Property("t.to_year", description="Last financial year of the range"),
            "grants": Property("t.grants", "integer", "Grants landing in the area over the range"),
            "amount_gbp": Property("t.amount_gbp", "number", "Their amount over the range, nominal £"),
            "per_head_per_year_gbp": Property("t.per_head_per_year_gbp", "number",
                                              "Amount ÷ years ÷ population, nominal £"),
            "prices_of": Property("t.prices_of", description="Financial year whose prices the real figures are in"),
            "real_amount_gbp": Property("t.real_amount_gbp", "number",
                                        "Amount in `prices_of` prices; null unless every year has a deflator"),
            "real_per_head_per_year_gbp": Property("t.real_per_head_per_year_gbp", "number",
                                                   "Real amount ÷ years ÷ population"),
            "coarser_gbp": Property("t.coarser_gbp", "number",
                                    "Grants stated only for the area holding this one (not in amount_gbp)"),
            "apportioned": Property("t.apportioned", "boolean",
                                    "The apportioned_* figures share coarser grants out by population"),
            "apportioned_gbp": Property("t.apportioned_gbp", "number",
                                        "With apportion=population: its population share of coarser_gbp"),
            "apportioned_per_head_per_year_gbp": Property(
                "t.apportioned_per_head_per_year_gbp", "number", "apportioned_gbp ÷ years ÷ population"),
        },
    ),
]}
