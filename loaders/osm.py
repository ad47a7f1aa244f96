"""OpenStreetMap third places: a ``.osm.pbf`` extract (GDAL's OSM driver) or an Overpass-style GeoJSON.

Only features that ``TAG_MAP`` classes as third places are kept (the table below is the one
definition of the mapping; docs/osm-tags.md explains it). Each becomes a place with source
``osm``, source_ref ``node/123``, ``way/456`` or ``relation/789``, every OSM tag in
``attributes``, and a point: nodes as they are, ways and relations as ST_PointOnSurface of their
area, computed in PostGIS.

PBF reading streams, with bounded memory whatever the extract:

* The driver is configured by an osmconf.ini written from ``OSM_CONFIG`` for each load (passed
  as the CONFIG_FILE open option, so no global GDAL state changes): the tags the filter needs are
  fields, ``all_tags`` holds every tag as JSON (TAGS_FORMAT=JSON), nothing is ignored.
* Each layer is read through an OGR SQL ``SELECT … FROM <layer> WHERE …``. The OSM driver reads
  the FROM clause as the only layer of interest and discards the others' features instead of
  queuing them, which is what OGR_INTERLEAVED_READING exists to avoid; reading one layer through
  the plain layer API would queue the other layers' features in memory ("Too many features have
  accumulated…"). So interleaved reading is not needed, and Arrow batches keep memory bounded.
  The node/way cache the driver builds for areas spills to a temporary file (OSM_MAX_TMPFILE_SIZE).
* Layers read: points (nodes), multipolygons (closed ways and multipolygon relations) and
  other_relations (e.g. ``type=site``). ``lines``/``multilinestrings`` hold only non-area ways
  and route relations; an amenity on an unclosed way is a mapping error and is not read.
"""
from __future__ import annotations

import json
import re
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pyogrio
from tqdm import tqdm

from loaders import osm_pbf
from store.errors import LoadError
from store.sql import SqlFiles
from loaders.pipeline import Kind, LoadContext, SourceInfo
from loaders.places import PLACE_COLUMNS, PLACES, upsert_places
from loaders.readers import feature, vector_info
from loaders.sources import ODBL
from loaders.osm_tags import OPERATOR_TYPE, TAG_MAP, classify, extras_of, filter_values, rules  # noqa: F401 (TAG_MAP: the table)
from places.refresh import places_changed
from loaders.coverage import COVERAGE_HELP, YEARS_HELP, claim, extent_option, years_option
from places.coverage import Claim

SOURCE = SourceInfo("osm", "OpenStreetMap third places (community centres, libraries, halls…)",
                    "OpenStreetMap contributors", ODBL, "https://www.openstreetmap.org/copyright")


SQL = SqlFiles.beside(__file__)
# OSM records carry their version and timestamp (provenance: which edit of the object this is).
OSM_STAGE = {**PLACE_COLUMNS, "source_version": "int", "source_timestamp": "timestamptz"}
OSM_PLACES = replace(PLACES, stage=OSM_STAGE, columns={c: f"s.{c}" for c in OSM_STAGE})
PBF_LAYERS = {"points": "node", "multipolygons": None, "other_relations": "relation"}
BATCH_SIZE = 5000
OSM_ID = re.compile(r"^(node|way|relation)/(\d+)$")
GEOJSON_META = {"osm_type", "osm_id", "osm_version", "osm_timestamp", "osm_uid", "osm_user",
                "osm_changeset", "@id", "id", "@type", "@version", "@timestamp", "@changeset",
                "@uid", "@user", "@relations", "@geometry"}


# -- PBF via GDAL ----------------------------------------------------------------------------
def _field(tag: str) -> str:
    return tag.replace(":", "_")  # GDAL launders ':' in OSM field names


def osm_config(extras: frozenset[str] = frozenset()) -> str:
    """The osmconf.ini for this loader: filter tags as fields, every tag in all_tags, none ignored."""
    fields = ["name", *filter_values(extras)]
    lines = ["[general]",
             "closed_ways_are_polygons=aeroway,amenity,boundary,building,craft,geological,historic,"
             "landuse,leisure,military,natural,office,place,shop,sport,tourism,social_facility,"
             "highway=platform,public_transport=platform"]
    for layer in ("points", "lines", "multilinestrings", "multipolygons", "other_relations"):
        lines += [f"[{layer}]", "osm_id=yes", "osm_version=yes", "osm_timestamp=yes", "osm_uid=no",
                  "osm_user=no", "osm_changeset=no", f"attributes={','.join(fields)}",
                  "other_tags=no", "all_tags=yes"]
        if layer == "multipolygons":
            lines.append("osm_way_id=yes")
    return "\n".join(lines) + "\n"


def pbf_where(extras: frozenset[str] = frozenset()) -> str:
    def quote(v: str) -> str:
        return "'" + v.replace("'", "''") + "'"
    keys = filter_values(extras)
    return " OR ".join([f"{_field(key)} IN ({', '.join(quote(v) for v in sorted(values))})"
                        for key, values in keys.items()]
                       + [f"{_field(key)} LIKE '%;%'" for key in keys])  # multi-values: Python decides


def _pbf_batches(path: Path, config: Path, extras: frozenset[str] = frozenset()) -> Iterator[tuple[str, pd.DataFrame]]:
    for layer in PBF_LAYERS:
        sql = f"SELECT * FROM {layer} WHERE {pbf_where(extras)}"
        try:
            with pyogrio.open_arrow(path, sql=sql, batch_size=BATCH_SIZE, use_pyarrow=True,
                                    CONFIG_FILE=str(config), TAGS_FORMAT="JSON") as (meta, reader):
                geometry = meta.get("geometry_name") or "_ogr_geometry_"
                for batch in reader:
                    frame = batch.to_pandas()
                    if geometry not in frame:
                        geometry = next(c for c in frame.columns if c in ("_ogr_geometry_", "wkb_geometry"))
                    frame["wkb"] = frame.pop(geometry).map(lambda b: b.hex() if b is not None else None)
                    yield layer, frame
        except LoadError:
            raise
        except Exception as error:
            raise LoadError(f"cannot read the {layer} layer of the OSM file ({error})", file=str(path))


def _osm_number(series: pd.Series) -> pd.Series:
    return pd.to_numeric(series, errors="coerce").astype("Int64")


def _pbf_refs(layer: str, frame: pd.DataFrame) -> pd.Series:
    if layer == "multipolygons":
        # A closed way carries osm_way_id; a multipolygon relation carries osm_id.
        way = _osm_number(frame["osm_way_id"])
        relation = _osm_number(frame["osm_id"])
        return ("way/" + way.astype(str)).where(way.notna(), "relation/" + relation.astype(str))
    return f"{PBF_LAYERS[layer]}/" + _osm_number(frame["osm_id"]).astype(str)


def start_year(tags: dict) -> int | None:
    """The year ``start_date`` says the feature began (``1887``, ``1887-05-01``, ``~1890``; ``C19``: None)."""
    found = re.match(r"\s*~?([12][0-9]{3})\b", str(tags.get("start_date", "")))
    return int(found.group(1)) if found else None


def _places(ctx: LoadContext, refs: pd.Series, tags: list[dict], wkb: pd.Series,
            locations: list[str], versions: list | None = None, timestamps: list | None = None,
            extras: frozenset[str] = frozenset()) -> pd.DataFrame:
    rows = []
    versions = versions if versions is not None else [None] * len(refs)
    timestamps = timestamps if timestamps is not None else [None] * len(refs)
    for ref, tag, geom, location, version, stamp in zip(refs, tags, wkb, locations, versions, timestamps):
        kind = classify(tag, extras)
        if kind is None:
            continue
        if geom is None or (isinstance(geom, float) and geom != geom):
            ctx.reject(location, f"{ref} has no geometry (incomplete in this extract?)")
            continue
        rows.append({
            "name": tag.get("name"), "category": kind[0], "status": kind[1],
            "opened_year": start_year(tag), "closed_year": None,
            "operator_type": OPERATOR_TYPE.get(tag.get("operator:type", "").strip().lower(), "unknown"),
            "source": SOURCE.key, "source_ref": ref, "attributes": tag, "geom": geom,
            "source_version": _version(version), "source_timestamp": _timestamp(stamp),
        })
    return pd.DataFrame(rows, columns=list(OSM_PLACES.stage)).astype({"source_version": "Int64"})


def _version(value) -> int | None:
    number = pd.to_numeric(value, errors="coerce")
    return None if pd.isna(number) else int(number)


def _timestamp(value) -> str | None:
    """An OSM timestamp as ISO 8601 UTC text (GDAL gives a datetime, an export a string)."""
    if value is None or (isinstance(value, float) and value != value) or value is pd.NaT:
        return None
    stamp = pd.Timestamp(value)
    return (stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")).isoformat()


def load_pbf(ctx: LoadContext, path: Path, extras: frozenset[str] = frozenset(), coverage: str | None = None,
             years: str | None = None) -> None:
    """Third places of a whole extract in bounded memory: the objects TAG_MAP keeps (and the ways
    and nodes their shapes need) are written to a small PBF (loaders/osm_pbf.py), which GDAL reads;
    then the records of earlier extracts gone from this one, inside its extent, are closed."""
    ctx.note(f"{osm_pbf.check_framing(path)} PBF blocks, file complete")
    header = osm_pbf.header(path)
    with tempfile.TemporaryDirectory(prefix="kindmap-osm-") as tmp:
        small = Path(tmp) / "third-places.osm.pbf"
        size = path.stat().st_size
        with tqdm(total=3 * size, unit="B", unit_scale=True, desc=f"osm {path.name} (3 passes)",
                  disable=not ctx.progress) as bar:
            def progress(done: int, kept: int) -> None:
                bar.update(done - bar.n)
                bar.set_postfix(places=kept, refresh=False)
            found = osm_pbf.extract(path, small, sorted(filter_values(extras)),
                                    lambda tags: classify(tags, extras) is not None, progress)
        ctx.note("objects kept by the tag table: " + ", ".join(f"{k} {v}" for k, v in found.items()))
        config = Path(tmp) / "osmconf.ini"
        config.write_text(osm_config(extras))
        counts = {layer: 0 for layer in PBF_LAYERS}
        seen: list[str] = []

        def batches():
            for layer, frame in _pbf_batches(small, config, extras):
                ctx.read(len(frame))
                counts[layer] += len(frame)
                refs = _pbf_refs(layer, frame)
                seen.extend(refs)
                tags = [json.loads(t) if isinstance(t, str) and t else {} for t in frame["all_tags"]]
                yield _places(ctx, refs, tags, frame["wkb"], [f"{layer} {r}" for r in refs],
                              list(frame["osm_version"]), list(frame["osm_timestamp"]), extras)

        upsert_places(ctx, batches(), srid=4326, target=OSM_PLACES, group=False)
        ctx.note("features read: " + ", ".join(f"{layer} {n}" for layer, n in counts.items()))
    close_gone(ctx, seen, header, {c for _, c in rules(extras) if c})
    claim_extract(ctx, path, extras, coverage, years, header.box, header.year)
    places_changed(ctx)


def claim_extract(ctx: LoadContext, path: Path, extras: frozenset[str], coverage: str | None, years: str | None,
                  box: tuple[float, float, float, float] | None, stamp: int | None) -> None:
    """What the extract claims (places/coverage.py): every category it reads, in --coverage (default
    the PBF header's box), in --years (default the year of its data)."""
    span = years_option(years, (stamp, stamp) if stamp else None)
    if coverage:
        extent, basis = extent_option(ctx, coverage), f"OpenStreetMap extract {path.name} cut to {coverage}"
    elif box:
        w, s_, e, n = box
        extent = {"shape": f"SRID=4326;POLYGON(({w} {s_},{e} {s_},{e} {n},{w} {n},{w} {s_}))", "extent_kind": "bbox"}
        basis = f"OpenStreetMap extract {path.name}: the box of its header (may reach beyond the area it was cut to)"
        ctx.note("coverage: the PBF header's box; give --coverage AREA_CODE|FILE for the area the extract was cut to")
    else:
        ctx.note("no --coverage and no header box: these places are complete nowhere")
        return
    if span is None:
        raise LoadError("the extract states no date: give --years", file=str(path), column="--years")
    categories = tuple(sorted({c for _, c in rules(extras) if c}))
    claim(ctx, Claim(categories, span[0], span[1], basis + (f", {stamp}" if stamp else ""), **extent))


def close_gone(ctx: LoadContext, seen: list[str], header: osm_pbf.Header, categories: set[str]) -> int:
    """Records of this source, of the ``categories`` this load reads, inside the extract's box
    that it no longer has are closed in the extract's year (sql/osm_gone.sql); a record that comes
    back is reopened by the next load. (A load without --extras leaves the optional ones alone.)"""
    if header.box is None:
        ctx.note("the extract states no bounding box: no record of an earlier extract is closed")
        return 0
    closed = ctx.execute(SQL.text("osm_gone"), source=SOURCE.key, refs=seen,
                         categories=sorted(categories),
                         west=header.box[0], south=header.box[1], east=header.box[2], north=header.box[3],
                         year=header.year)
    if closed:
        ctx.report.changed += closed
        ctx.report.tables.setdefault("places", {})["closed (gone from OSM)"] = closed
        ctx.note(f"{closed} places of earlier extracts are gone from this one (inside its box "
                 f"{header.box}): closed in {header.year}")
    return closed


# -- Overpass-style GeoJSON ---------------------------------------------------------------------
def _geojson_batches(path: Path, layer: str | None) -> Iterator[pd.DataFrame]:
    """Features with every property as read (DATE_AS_STRING keeps dates as published) and hex wkb."""
    try:
        with pyogrio.open_arrow(path, layer=layer, batch_size=BATCH_SIZE, use_pyarrow=True,
                                DATE_AS_STRING="YES") as (meta, reader):
            geometry = meta.get("geometry_name") or "wkb_geometry"
            offset = 0
            for batch in reader:
                rows = batch.to_pylist()  # Python values: ints stay ints, nulls are None
                frame = pd.DataFrame({"properties": [{k: v for k, v in row.items() if k != geometry}
                                                     for row in rows],
                                      "wkb": [row.get(geometry).hex() if row.get(geometry) else None
                                              for row in rows]},
                                     index=range(offset, offset + len(rows)))
                offset += len(rows)
                yield frame
    except LoadError:
        raise
    except Exception as error:
        raise LoadError(f"cannot read features ({error})", file=str(path))


def _geojson_ref(properties: dict) -> str | None:
    if properties.get("osm_type") is not None and properties.get("osm_id") is not None:
        return f"{str(properties['osm_type']).strip().lower()}/{properties['osm_id']}"
    for key in ("@id", "id"):
        if properties.get(key) is not None:
            return str(properties[key]).strip()
    return None


def load_geojson(ctx: LoadContext, path: Path, layer: str | None = None,
                 extras: frozenset[str] = frozenset(), coverage: str | None = None, years: str | None = None) -> None:
    stamps: list[str] = []

    def batches():
        for frame in _geojson_batches(path, layer):
            ctx.read(len(frame))
            refs = frame["properties"].map(_geojson_ref)
            if len(frame) and frame.index[0] == 0 and refs.isna().all():
                raise LoadError("not an OpenStreetMap export: no osm_type/osm_id or @id (node/123) "
                                f"properties; found {list(frame['properties'].iloc[0])[:20]}",
                                file=str(path))
            bad = ~refs.fillna("").str.fullmatch(OSM_ID.pattern)
            for index in frame.index[bad]:
                ctx.reject(feature(index), f"OSM id {refs[index]!r} is not node/…, way/… or relation/…",
                           column="osm_id")
            frame, refs = frame[~bad], refs[~bad]
            tags = [{k: str(v) for k, v in props.items() if k not in GEOJSON_META and v is not None
                     and v != ""} for props in frame["properties"]]
            meta = [(p.get("osm_version", p.get("@version")), p.get("osm_timestamp", p.get("@timestamp")))
                    for p in frame["properties"]]
            stamps.extend(str(m[1]) for m in meta if m[1])
            yield _places(ctx, refs, tags, frame["wkb"], [feature(i) for i in frame.index],
                          [m[0] for m in meta], [m[1] for m in meta], extras)

    upsert_places(ctx, batches(), srid=4326, target=OSM_PLACES, group=False)
    newest = re.match(r"([12][0-9]{3})", max(stamps, default=""))  # the export's date: its newest feature
    claim_extract(ctx, path, extras, coverage, years, None, int(newest.group(1)) if newest else None)
    places_changed(ctx)


def load(ctx: LoadContext, path: Path, layer: str | None = None, extras: str | None = None,
         coverage: str | None = None, years: str | None = None) -> None:
    """OpenStreetMap third places from a .osm.pbf extract or an Overpass-style GeoJSON export."""
    try:
        asked = extras_of(extras)
    except ValueError as error:
        raise LoadError(str(error), file=str(path)) from None
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="More than one layer found")
        info = vector_info(path, layer)
    driver = info.get("driver")
    if driver == "OSM":
        load_pbf(ctx, path, asked, coverage, years)
    elif driver in ("GeoJSON", "GeoJSONSeq"):
        if info.get("crs") not in (None, "EPSG:4326", "OGC:CRS84"):
            raise LoadError(f"an OSM export is in WGS84; this file declares {info['crs']}", file=str(path))
        load_geojson(ctx, path, layer, asked, coverage, years)
    else:
        raise LoadError(f"not an OpenStreetMap file: GDAL reads it as {driver}; expected a .osm.pbf "
                        "extract or an Overpass-style GeoJSON export", file=str(path))


KINDS = {
    "osm": Kind(load, SOURCE, "OpenStreetMap .osm.pbf extract or Overpass-style GeoJSON → third places", {
        "layer": "GeoJSON layer to read (rarely needed)",
        "extras": "Optional categories to keep too (docs/osm-tags.md): comma-separated of pub, cafe, "
                  "sports_centre, park, playground, or all",
        "coverage": COVERAGE_HELP + "; default the PBF header's box",
        "years": YEARS_HELP.replace("the year its source key ends in, e.g. gm-food-banks-2018",
                                    "the extract's replication timestamp, or its newest feature")}),
}
