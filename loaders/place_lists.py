"""Any other list of places with coordinates: a CSV with lon/lat columns, or a vector file.

``places-csv`` and ``places-geojson`` take the category (``--category``, or per row from
``--category-field``), the source key (``--source``, e.g. ``gm-libraries-2023``) and optionally
the publisher, licence, title and URL recorded for that source. The name and id columns are
detected (``name``/``title``/``DISTNAME``…; ``id``/``urn``/``unique_reference_number``…) unless
given. Without an id column, each row's source_ref is ``h:`` + the first 16 hex digits of the
SHA-1 of its whitespace-normalised name and coordinates (lon/lat to 6 decimals, ~0.1 m; for a
vector file, its geometry as WKB), so it is stable across reloads of the same list and changes
only when the name or position does. Rows whose key repeats an earlier row are rejected.

Every other column goes to ``attributes``. Polygons (e.g. OS building footprints) are reduced to
ST_PointOnSurface in PostGIS (always inside the polygon, unlike a centroid); invalid polygons are
repaired with ST_MakeValid first.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd

from store.errors import LoadError
from loaders.pipeline import Kind, LoadContext, SourceInfo
from loaders.places import attributes_of, point_ewkt, upsert_places, valid_lonlat
from loaders.readers import crs_option, csv_row, feature, iter_features, read_csv, source_srid, to_number, vector_info
from models.categories import CATEGORIES

GENERIC = SourceInfo("places-list", "A list of places (publisher and licence given per load)",
                     "unknown", "unknown")

NAME_FIELDS = ["name", "title", "site_name", "place_name", "distname", "distinctive_name", "library_name"]
ID_FIELDS = ["id", "uid", "identifier", "urn", "unique_reference_number", "ref", "fid"]
LON_FIELDS = ["lon", "lng", "long", "longitude", "x"]
LAT_FIELDS = ["lat", "latitude", "y"]


# -- options -----------------------------------------------------------------------------------
def _use_source(ctx: LoadContext, source: str, title: str | None, publisher: str | None,
                licence: str | None, url: str | None, path: Path) -> None:
    if not re.fullmatch(r"[a-z0-9][a-z0-9._-]{1,79}", source or ""):
        raise LoadError(f"--source must be a key like 'gm-libraries-2023' (lower case letters, digits, "
                        f"'-', '.', '_'), not {source!r}", column="--source")
    info = SourceInfo(source, title or f"{source} ({path.name})", publisher or "unknown",
                      licence or "unknown", url)
    ctx.use_source(info)
    if not publisher or not licence:
        ctx.note("no --publisher/--licence given: the source is recorded with 'unknown'")


def _check_category(category: str | None, category_field: str | None, fields: list[str], path: Path):
    if category and category_field:
        raise LoadError("give --category or --category-field, not both", column="--category")
    if category:
        if category not in CATEGORIES:
            raise LoadError(f"--category must be one of {list(CATEGORIES)}, not {category!r}",
                            column="--category")
    elif category_field:
        _given(category_field, fields, path, "--category-field")
    else:
        raise LoadError("give --category (one of "
                        f"{list(CATEGORIES)}) or --category-field", column="--category")


def _given(name: str, fields: list[str], path: Path, option: str) -> str:
    if name not in fields:
        raise LoadError(f"{option} {name!r} is not a column of the file; columns are {fields[:30]}",
                        file=str(path), column=option)
    return name


def _detect(fields: list[str], given: str | None, candidates: list[str], path: Path,
            option: str, required: bool) -> str | None:
    if given:
        return _given(given, fields, path, option)
    by_lower = {f.lower().strip(): f for f in fields}
    for candidate in candidates:
        if candidate in by_lower:
            return by_lower[candidate]
    if required:
        raise LoadError(f"no {option[2:].replace('-field', '')} column found among {fields[:30]}; "
                        f"give {option}", file=str(path), column=option)
    return None


def _clean(series: pd.Series) -> pd.Series:
    return series.astype(object).map(lambda v: re.sub(r"\s+", " ", str(v)).strip()
                                      if v is not None and v == v else "")


def _category_values(frame: pd.DataFrame, category: str | None, category_field: str | None,
                     ctx: LoadContext, location: Callable[[int], str]) -> pd.Series:
    """The category per row; rows whose category field is not in the vocabulary are rejected."""
    if category:
        return pd.Series(category, index=frame.index)
    values = _clean(frame[category_field]).str.lower().str.replace(r"[\s-]+", "_", regex=True)
    unknown = ~values.isin(list(CATEGORIES))
    for index in frame.index[unknown]:
        ctx.reject(location(index), f"category {frame.at[index, category_field]!r} is not one of "
                   f"{list(CATEGORIES)}", column=category_field)
    return values.where(~unknown)


def _hash_refs(names: pd.Series, keys: pd.Series) -> pd.Series:
    return (names.str.lower() + "|" + keys).map(
        lambda s: "h:" + hashlib.sha1(s.encode("utf-8")).hexdigest()[:16])


class _Keys:
    """source_refs seen so far in this load: a repeated key is rejected with both locations."""

    def __init__(self):
        self.seen: dict[str, str] = {}

    def fresh(self, ctx: LoadContext, refs: pd.Series, location, hashed: bool, column: str | None):
        ok = pd.Series(True, index=refs.index)
        for index, ref in refs.items():
            if not ref:
                ctx.reject(location(index), "no id", column=column)
                ok[index] = False
            elif ref in self.seen:
                what = "same name and coordinates as" if hashed else f"same {column} as"
                ctx.reject(location(index), f"{what} {self.seen[ref]} (duplicate left out)", column=column)
                ok[index] = False
            else:
                self.seen[ref] = location(index)
        return ok


def _places(frame: pd.DataFrame, categories: pd.Series, names: pd.Series, refs: pd.Series,
            source: str, attribute_columns: list[str], geom: pd.Series) -> pd.DataFrame:
    return pd.DataFrame({
        "name": names.where(names != "", None),
        "category": categories,
        "status": "open",
        "opened_year": None, "closed_year": None,
        "operator_type": "unknown",
        "source": source,
        "source_ref": refs,
        "attributes": attributes_of(frame, attribute_columns),
        "geom": geom,
    }, index=frame.index)


# -- CSV ---------------------------------------------------------------------------------------
def load_csv(ctx: LoadContext, path: Path, source: str, category: str | None = None,
             category_field: str | None = None, name_field: str | None = None,
             id_field: str | None = None, lon_field: str | None = None, lat_field: str | None = None,
             crs: str | None = None, title: str | None = None, publisher: str | None = None,
             licence: str | None = None, url: str | None = None) -> None:
    """A CSV list of places with coordinate columns (WGS84 lon/lat unless --crs)."""
    frame = read_csv(path)
    fields = list(frame.columns)
    _check_category(category, category_field, fields, path)
    _use_source(ctx, source, title, publisher, licence, url, path)
    name = _detect(fields, name_field, NAME_FIELDS, path, "--name-field", required=True)
    ident = _detect(fields, id_field, ID_FIELDS, path, "--id-field", required=False)
    lon = _detect(fields, lon_field, LON_FIELDS, path, "--lon-field", required=True)
    lat = _detect(fields, lat_field, LAT_FIELDS, path, "--lat-field", required=True)
    ctx.read(len(frame))
    srid = crs_option(crs) or 4326
    if srid == 4326:
        ok = valid_lonlat(ctx, frame, lon, lat, csv_row)
    else:  # projected coordinates (e.g. BNG eastings/northings): numeric is all we can check here
        frame["_lon"], frame["_lat"] = to_number(frame[lon]), to_number(frame[lat])
        ok = frame["_lon"].notna() & frame["_lat"].notna()
        for index in frame.index[~ok]:
            ctx.reject(csv_row(index), f"coordinates ({frame.at[index, lon]!r}, {frame.at[index, lat]!r}) "
                       "are not numbers", column=f"{lon}/{lat}")
    frame = frame[ok]
    categories = _category_values(frame, category, category_field, ctx, csv_row)
    frame, categories = frame[categories.notna()], categories[categories.notna()]
    names = _clean(frame[name])
    if ident:
        refs = _clean(frame[ident])
    else:
        refs = _hash_refs(names, frame["_lon"].map(lambda v: f"{v:.6f}") + "|"
                          + frame["_lat"].map(lambda v: f"{v:.6f}"))
        ctx.note(f"no id column: source_ref is a hash of {name!r} and the coordinates")
    fresh = _Keys().fresh(ctx, refs, csv_row, hashed=not ident, column=ident)
    frame, categories, names, refs = frame[fresh], categories[fresh], names[fresh], refs[fresh]
    used = {name, ident, lon, lat, category_field}
    geom = ("SRID=" + str(srid) + ";POINT(" + frame["_lon"].map(repr) + " " + frame["_lat"].map(repr) + ")"
            if srid != 4326 else point_ewkt(frame["_lon"], frame["_lat"]))
    upsert_places(ctx, [_places(frame, categories, names, refs, source,
                                      [c for c in fields if c not in used], geom)], srid=srid)


# -- GeoJSON and other vector files ------------------------------------------------------------
def load_vector(ctx: LoadContext, path: Path, source: str, category: str | None = None,
                category_field: str | None = None, name_field: str | None = None,
                id_field: str | None = None, layer: str | None = None, crs: str | None = None,
                title: str | None = None, publisher: str | None = None, licence: str | None = None,
                url: str | None = None) -> None:
    """A GeoJSON (or any GDAL vector file) of points or polygons; polygons become points on surface."""
    info = vector_info(path, layer)
    if info.get("driver") == "OSM":
        raise LoadError("this is an OpenStreetMap extract: load it with the osm kind", file=str(path))
    fields = [str(f) for f in info["fields"]]
    _check_category(category, category_field, fields, path)
    srid = source_srid(info, path, crs, layer)
    _use_source(ctx, source, title, publisher, licence, url, path)
    name = _detect(fields, name_field, NAME_FIELDS, path, "--name-field", required=True)
    ident = _detect(fields, id_field, ID_FIELDS, path, "--id-field", required=False)
    if not ident:
        ctx.note(f"no id column: source_ref is a hash of {name!r} and the geometry")
    used = {name, ident, category_field}
    keys = _Keys()

    def batches() -> Iterator[pd.DataFrame]:
        for frame in iter_features(path, layer=layer):
            ctx.read(len(frame))
            missing = frame["wkb"].isna()
            for index in frame.index[missing]:
                ctx.reject(feature(index), "no geometry")
            frame = frame[~missing]
            categories = _category_values(frame, category, category_field, ctx, feature)
            frame, categories = frame[categories.notna()], categories[categories.notna()]
            names = _clean(frame[name])
            refs = _clean(frame[ident]) if ident else _hash_refs(names, frame["wkb"])
            fresh = keys.fresh(ctx, refs, feature, hashed=not ident, column=ident)
            frame, categories, names, refs = frame[fresh], categories[fresh], names[fresh], refs[fresh]
            yield _places(frame, categories, names, refs, source,
                          [c for c in frame.columns if c not in used and c != "wkb"], frame["wkb"])

    upsert_places(ctx, batches(), srid=srid)


_COMMON = {
    "source": "Source key recorded on every place, e.g. gm-libraries-2023 (required)",
    "category": "Category of every place: " + ", ".join(CATEGORIES),
    "category_field": "Column holding each row's category instead (values from the vocabulary)",
    "name_field": "Column holding the name (default: detected: name, title, DISTNAME…)",
    "id_field": "Column holding a stable id (default: detected id/urn…; else a hash of name and "
                "coordinates)",
    "crs": "CRS of the coordinates, e.g. EPSG:27700 (default: the file's own, else EPSG:4326)",
    "title": "Title of the source dataset",
    "publisher": "Publisher of the source dataset",
    "licence": "Licence of the source dataset, e.g. 'Open Government Licence v3.0'",
    "url": "Where the source dataset is published",
}

KINDS = {
    "places-csv": Kind(load_csv, GENERIC, "Any CSV list of places with lon/lat columns → places", {
        **_COMMON,
        "lon_field": "Longitude (or x) column (default: detected: lon, lng, longitude, x)",
        "lat_field": "Latitude (or y) column (default: detected: lat, latitude, y)"}),
    "places-geojson": Kind(load_vector, GENERIC,
                           "Any GeoJSON (or GDAL vector file) of places, points or polygons → places", {
        **_COMMON, "layer": "Layer to read (multi-layer files)"}),
}
