"""The properties a place is served with (the ``places`` collection, over its view
place_features as ``t``): the registry (app/collections.py) serves them, and place_current stores
their JSON when a load or edit writes it (places/refresh.py), with the key of the expression, so
a page concatenates stored JSON only while it is the running release's.
"""
from __future__ import annotations

from models.categories import CATEGORIES, OPERATOR_TYPES, STATUSES
from models.places import COUNTRIES
from models.properties import Property

PLACE_PROPERTIES = {
    "name": Property("t.name", description="Name as published"),
    "category": Property("t.category", enum=tuple(CATEGORIES), filter=True,
                         description="Kind of place"),
    "status": Property("t.current_status", enum=tuple(STATUSES), filter=True,
                       description="Current status: the place's latest year in place_years "
                                   "(a planner's live edit: its status), stored in place_current"),
    "country": Property("t.country", enum=tuple(COUNTRIES), filter=True,
                        description="GSS code of its UK country: " + ", ".join(
                            f"{code} {name}" for code, name in COUNTRIES.items())),
    "opened_year": Property("t.opened_year", "integer", "Year opened, where known"),
    "closed_year": Property("t.closed_year", "integer", "Year closed, where closed"),
    "operator_type": Property("t.operator_type", enum=tuple(OPERATOR_TYPES), filter=True,
                              description="Who runs it"),
    "source": Property("t.source", filter=True,
                       description="Source key, e.g. dcms-libraries-2016, osm"),
    "source_ref": Property("t.source_ref", description="The record's id at its source"),
    "attributes": Property("t.attributes", "object", "Further attributes as published",
                           sortable=False),
    "sources": Property("t.sources", "array", "Every publisher's record of this place: source, "
                        "source_ref, name and status as published", sortable=False),
}
