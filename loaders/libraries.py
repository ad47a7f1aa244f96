"""Public library lists: the DCMS Libraries Taskforce 2016 dataset (geocoded CSV)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from loaders.errors import LoadError
from loaders.pipeline import Kind, LoadContext, SourceInfo
from loaders.places import attributes_of, point_ewkt, upsert_places, valid_lonlat
from loaders.readers import csv_row, read_csv, to_year
from loaders.sources import OGL

DCMS_LIBRARIES_2016 = SourceInfo(
    "dcms-libraries-2016", "Libraries Taskforce core dataset of public libraries in England (July 2016), "
    "geocoded by Libraries Hacked", "DCMS Libraries Taskforce; Libraries Hacked", OGL,
    "https://github.com/LibrariesHacked/england-librarydata")

# Taskforce codes → the places vocabulary.
TASKFORCE_STATUS = {"": "open", "XL": "closed", "XLR": "closed", "XLT": "temporarily_closed"}
TASKFORCE_OPERATOR = {"LAL": "council", "CRL": "community_supported", "CL": "community",
                      "ICL": "independent_community", "": "unknown"}
TASKFORCE_REQUIRED = ["name", "id", "authority_id", "address", "postcode", "lat", "lng",
                      "statutory2010", "statutory2016", "type", "closed", "closed_year", "opened_year",
                      "replacement", "notes", "hours", "staffhours", "url", "email"]
TASKFORCE_ATTRIBUTES = ["authority_id", "address", "postcode", "statutory2010", "statutory2016",
                        "type", "closed", "replacement", "notes", "hours", "staffhours", "url", "email"]


def load_taskforce(ctx: LoadContext, path: Path) -> None:
    """Every library in the 2016 list, open or closed, with its closure year and operator."""
    frame = read_csv(path, TASKFORCE_REQUIRED)
    ctx.read(len(frame))
    for column, mapping in (("closed", TASKFORCE_STATUS), ("type", TASKFORCE_OPERATOR)):
        codes = frame[column].str.strip()
        unknown = ~codes.isin(list(mapping))
        if unknown.any():
            index = frame.index[unknown][0]
            raise LoadError(f"unknown code {frame.at[index, column]!r} (known: {sorted(mapping)})",
                            location=csv_row(index), column=column)
    ok = valid_lonlat(ctx, frame, "lng", "lat", csv_row)
    frame = frame[ok]
    attributes = frame[TASKFORCE_ATTRIBUTES].astype(object)
    for flag in ("statutory2010", "statutory2016", "replacement"):
        attributes[flag] = attributes[flag].map({"t": True, "f": False})
    upsert_places(ctx, pd.DataFrame({
        "name": frame["name"].str.strip(),
        "category": "library",
        "status": frame["closed"].str.strip().map(TASKFORCE_STATUS),
        "opened_year": to_year(frame["opened_year"]),
        "closed_year": to_year(frame["closed_year"]),
        "operator_type": frame["type"].str.strip().map(TASKFORCE_OPERATOR),
        "source": DCMS_LIBRARIES_2016.key,
        "source_ref": frame["id"].str.strip(),
        "attributes": attributes_of(attributes, TASKFORCE_ATTRIBUTES),
        "geom": point_ewkt(frame["_lon"], frame["_lat"]),
    }))


KINDS = {
    "libraries-taskforce": Kind(load_taskforce, DCMS_LIBRARIES_2016,
                                "DCMS Libraries Taskforce 2016 CSV (lat/lng) → places"),
}
