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
from pathlib import Path

import pandas as pd
import pyogrio

from store.errors import LoadError
from loaders.pipeline import Kind, LoadContext, SourceInfo
from loaders.places import upsert_places
from loaders.readers import feature, vector_info
from loaders.sources import ODBL
from models.categories import CATEGORIES

SOURCE = SourceInfo("osm", "OpenStreetMap third places (community centres, libraries, halls…)",
                    "OpenStreetMap contributors", ODBL, "https://www.openstreetmap.org/copyright")

# Residential or care services: social facilities, but not places people drop in to meet.
RESIDENTIAL_SOCIAL_FACILITIES = frozenset({
    "assisted_living", "nursing_home", "group_home", "hospice", "care_home", "residential_home"})

# THE tag → category mapping. Rules are tried in order; the first whose tags all match wins
# (a value may be a set of values). A category of None excludes the feature.
TAG_MAP: list[tuple[dict[str, str | frozenset[str]], str | None]] = [
    ({"amenity": "library"}, "library"),
    ({"amenity": "community_centre", "community_centre": "youth_centre"}, "youth_centre"),
    ({"amenity": "community_centre", "community_centre": "village_hall"}, "village_hall"),
    ({"amenity": "community_centre", "community_centre": frozenset({"childrens_centre", "family_centre"})},
     "childrens_centre"),
    ({"amenity": "community_centre"}, "community_centre"),
    ({"amenity": "youth_centre"}, "youth_centre"),          # deprecated tag, still in use
    ({"amenity": "village_hall"}, "village_hall"),          # deprecated tag, still in use
    ({"amenity": "social_centre"}, "social_centre"),
    ({"amenity": "townhall", "townhall:type": "community"}, "community_centre"),
    ({"amenity": "townhall"}, "town_hall"),
    ({"amenity": "arts_centre"}, "arts_centre"),
    ({"amenity": "place_of_worship"}, "place_of_worship"),
    ({"amenity": "food_bank"}, "food_bank"),
    ({"social_facility": "food_bank"}, "food_bank"),        # with amenity=social_facility or alone
    ({"amenity": "social_facility", "social_facility": RESIDENTIAL_SOCIAL_FACILITIES}, None),
    ({"amenity": "social_facility"}, "social_facility"),
]

# Lifecycle prefixes (https://wiki.openstreetmap.org/wiki/Lifecycle_prefix): a feature whose
# ``<prefix>:amenity`` would match TAG_MAP is a closed place of that category.
LIFECYCLE_PREFIXES = ("disused", "abandoned", "closed", "was")
# ``disused=yes`` / ``abandoned=yes`` beside a live amenity also mean closed.
LIFECYCLE_FLAGS = ("disused", "abandoned")

# operator:type → operator vocabulary (anything else: unknown). In the UK, government/public
# operators of these amenities are local authorities.
OPERATOR_TYPE = {
    "council": "council", "local_authority": "council", "municipal": "council",
    "government": "council", "public": "council",
    "community": "community",
    "private": "commercial", "commercial": "commercial", "business": "commercial",
    "religious": "other", "charity": "other", "charitable": "other", "ngo": "other",
    "non_profit": "other",
}

assert all(c is None or c in CATEGORIES for _, c in TAG_MAP), "TAG_MAP category not in vocabulary"

PBF_LAYERS = {"points": "node", "multipolygons": None, "other_relations": "relation"}
BATCH_SIZE = 5000
OSM_ID = re.compile(r"^(node|way|relation)/(\d+)$")
GEOJSON_META = {"osm_type", "osm_id", "osm_version", "osm_timestamp", "osm_uid", "osm_user",
                "osm_changeset", "@id", "id", "@type", "@version", "@timestamp", "@changeset",
                "@uid", "@user", "@relations", "@geometry"}


# -- the mapping ------------------------------------------------------------------------------
def _matches(tags: dict, rule: dict) -> bool:
    """Every tag of the rule present with a wanted value (any of ``a;b`` multi-values counts)."""
    for key, wanted in rule.items():
        value = tags.get(key)
        if value is None:
            return False
        values = {v.strip() for v in str(value).split(";")}
        if not values & (wanted if isinstance(wanted, frozenset) else {wanted}):
            return False
    return True


def _category(tags: dict) -> str | None:
    for rule, category in TAG_MAP:
        if _matches(tags, rule):
            return category
    return None


def classify(tags: dict) -> tuple[str, str] | None:
    """(category, status) of a feature's tags, or None when it is not a third place."""
    category = _category(tags)
    if category:
        closed = any(tags.get(flag) == "yes" for flag in LIFECYCLE_FLAGS)
        return category, "closed" if closed else "open"
    if any(_matches(tags, rule) for rule, c in TAG_MAP if c is None):
        return None  # explicitly excluded, whatever its lifecycle tags
    for prefix in LIFECYCLE_PREFIXES:
        value = tags.get(f"{prefix}:amenity")
        if value:
            category = _category({**tags, "amenity": value})
            if category:
                return category, "closed"
    return None


def filter_values() -> dict[str, set[str]]:
    """Tag values worth reading at all, by key: the pre-filter GDAL applies before Python does."""
    keys: dict[str, set[str]] = {}
    for rule, category in TAG_MAP:
        if category is None:
            continue
        key, value = next(iter(rule.items()))  # the rule's first tag is its primary one
        keys.setdefault(key, set()).update(value if isinstance(value, frozenset) else {value})
    for prefix in LIFECYCLE_PREFIXES:
        keys[f"{prefix}:amenity"] = set(keys["amenity"])
    return keys


# -- PBF via GDAL ----------------------------------------------------------------------------
def _field(tag: str) -> str:
    return tag.replace(":", "_")  # GDAL launders ':' in OSM field names


def osm_config() -> str:
    """The osmconf.ini for this loader: filter tags as fields, every tag in all_tags, none ignored."""
    fields = ["name", *filter_values()]
    lines = ["[general]",
             "closed_ways_are_polygons=aeroway,amenity,boundary,building,craft,geological,historic,"
             "landuse,leisure,military,natural,office,place,shop,sport,tourism,social_facility,"
             "highway=platform,public_transport=platform"]
    for layer in ("points", "lines", "multilinestrings", "multipolygons", "other_relations"):
        lines += [f"[{layer}]", "osm_id=yes", "osm_version=no", "osm_timestamp=no", "osm_uid=no",
                  "osm_user=no", "osm_changeset=no", f"attributes={','.join(fields)}",
                  "other_tags=no", "all_tags=yes"]
        if layer == "multipolygons":
            lines.append("osm_way_id=yes")
    return "\n".join(lines) + "\n"


def pbf_where() -> str:
    def quote(v: str) -> str:
        return "'" + v.replace("'", "''") + "'"
    keys = filter_values()
    return " OR ".join([f"{_field(key)} IN ({', '.join(quote(v) for v in sorted(values))})"
                        for key, values in keys.items()]
                       + [f"{_field(key)} LIKE '%;%'" for key in keys])  # multi-values: Python decides


def check_pbf_framing(path: Path) -> int:
    """Walk the PBF's blob framing (no decoding): a cut or foreign file fails here, not silently.

    GDAL's OSM driver stops quietly at a truncated blob, which would load half an extract as if
    it were whole. Each fileblock is a 4-byte length, a BlobHeader (type, datasize) and a blob;
    the file must start with an OSMHeader and end exactly at a blob boundary. Returns the blobs.
    """
    size = path.stat().st_size
    blobs = 0
    with path.open("rb") as handle:
        while handle.tell() < size:
            where = f"byte {handle.tell()}"
            head = handle.read(4)
            length = int.from_bytes(head, "big") if len(head) == 4 else -1
            header = handle.read(length) if 0 < length <= 64 * 1024 else b""
            if len(header) != length:
                raise LoadError("not a complete OSM PBF file (bad block header)", file=str(path),
                                location=where)
            kind, datasize = _blob_header(header)
            if kind is None or datasize is None or (blobs == 0 and kind != "OSMHeader"):
                raise LoadError("not an OSM PBF file (no OSMHeader block)" if blobs == 0 else
                                "not a complete OSM PBF file (bad block header)", file=str(path),
                                location=where)
            if handle.tell() + datasize > size:
                raise LoadError(f"OSM PBF file is truncated: block {blobs + 1} needs {datasize} bytes, "
                                f"{size - handle.tell()} remain", file=str(path), location=where)
            handle.seek(datasize, 1)
            blobs += 1
    return blobs


def _blob_header(data: bytes) -> tuple[str | None, int | None]:
    """(type, datasize) from a BlobHeader protobuf message."""
    kind = datasize = None
    i = 0

    def varint() -> int:
        nonlocal i
        shift = value = 0
        while True:
            if i >= len(data) or shift > 63:
                raise ValueError
            byte = data[i]
            i += 1
            value |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return value
            shift += 7

    try:
        while i < len(data):
            key = varint()
            field, wire = key >> 3, key & 7
            if wire == 0:
                value = varint()
                if field == 3:
                    datasize = value
            elif wire == 2:
                n = varint()
                chunk, i = data[i:i + n], i + n
                if field == 1:
                    kind = chunk.decode("ascii")
            else:
                return None, None
    except (ValueError, UnicodeDecodeError):
        return None, None
    return kind, datasize


def _pbf_batches(path: Path, config: Path) -> Iterator[tuple[str, pd.DataFrame]]:
    for layer in PBF_LAYERS:
        sql = f"SELECT * FROM {layer} WHERE {pbf_where()}"
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


def _places(ctx: LoadContext, refs: pd.Series, tags: list[dict], wkb: pd.Series,
            locations: list[str]) -> pd.DataFrame:
    rows = []
    for ref, tag, geom, location in zip(refs, tags, wkb, locations):
        kind = classify(tag)
        if kind is None:
            continue
        if geom is None or (isinstance(geom, float) and geom != geom):
            ctx.reject(location, f"{ref} has no geometry (incomplete in this extract?)")
            continue
        rows.append({
            "name": tag.get("name"), "category": kind[0], "status": kind[1],
            "opened_year": None, "closed_year": None,
            "operator_type": OPERATOR_TYPE.get(tag.get("operator:type", "").strip().lower(), "unknown"),
            "source": SOURCE.key, "source_ref": ref, "attributes": tag, "geom": geom,
        })
    return pd.DataFrame(rows, columns=["name", "category", "status", "opened_year", "closed_year",
                                       "operator_type", "source", "source_ref", "attributes", "geom"])


def load_pbf(ctx: LoadContext, path: Path) -> None:
    if path.name.lower().endswith(".pbf"):
        ctx.note(f"{check_pbf_framing(path)} PBF blocks, file complete")
    with tempfile.TemporaryDirectory(prefix="kindmap-osm-") as tmp:
        config = Path(tmp) / "osmconf.ini"
        config.write_text(osm_config())
        counts = {layer: 0 for layer in PBF_LAYERS}

        def batches():
            for layer, frame in _pbf_batches(path, config):
                ctx.read(len(frame))
                counts[layer] += len(frame)
                refs = _pbf_refs(layer, frame)
                tags = [json.loads(t) if isinstance(t, str) and t else {} for t in frame["all_tags"]]
                yield _places(ctx, refs, tags, frame["wkb"], [f"{layer} {r}" for r in refs])

        upsert_places(ctx, batches(), srid=4326)
        ctx.note("features read after the tag pre-filter: "
                 + ", ".join(f"{layer} {n}" for layer, n in counts.items()))


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


def load_geojson(ctx: LoadContext, path: Path, layer: str | None = None) -> None:
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
            yield _places(ctx, refs, tags, frame["wkb"], [feature(i) for i in frame.index])

    upsert_places(ctx, batches(), srid=4326)


def load(ctx: LoadContext, path: Path, layer: str | None = None) -> None:
    """OpenStreetMap third places from a .osm.pbf extract or an Overpass-style GeoJSON export."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="More than one layer found")
        info = vector_info(path, layer)
    driver = info.get("driver")
    if driver == "OSM":
        load_pbf(ctx, path)
    elif driver in ("GeoJSON", "GeoJSONSeq"):
        if info.get("crs") not in (None, "EPSG:4326", "OGC:CRS84"):
            raise LoadError(f"an OSM export is in WGS84; this file declares {info['crs']}", file=str(path))
        load_geojson(ctx, path, layer)
    else:
        raise LoadError(f"not an OpenStreetMap file: GDAL reads it as {driver}; expected a .osm.pbf "
                        "extract or an Overpass-style GeoJSON export", file=str(path))


KINDS = {
    "osm": Kind(load, SOURCE, "OpenStreetMap .osm.pbf extract or Overpass-style GeoJSON → third places", {
        "layer": "GeoJSON layer to read (rarely needed)"}),
}
