"""A place as a client sends it — a GeoJSON Feature, or a JSON merge patch of one — checked.

Every refusal names the field at fault (``properties.category``, ``geometry``…). The point's
place in the UK is checked against the stored boundaries by ``edits.places`` (it needs the
database); everything else is checked here.
"""
from __future__ import annotations

import datetime
import json
import math
import re
from dataclasses import asdict, dataclass, field

from models.categories import CATEGORIES, OPERATOR_TYPES, STATUSES

MAX_NAME = 200
MAX_ATTRIBUTES_BYTES = 4096
FIRST_YEAR = 1800  # older than any public library in the lists kindmap loads (the first: 1850)
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class EditError(Exception):
    """A refused edit: an HTTP status, the field at fault, and why."""

    def __init__(self, status: int, field: str | None, detail: str):
        super().__init__(detail)
        self.status, self.field, self.detail = status, field, detail


@dataclass(frozen=True)
class PlaceValues:
    """What a client may set of a place (the served properties a publisher's record has)."""

    lon: float
    lat: float
    category: str
    name: str | None = None
    status: str = "open"
    opened_year: int | None = None
    closed_year: int | None = None
    operator_type: str = "unknown"
    attributes: dict = field(default_factory=dict)

    def as_params(self) -> dict:
        return {**asdict(self), "attributes": json.dumps(self.attributes, sort_keys=True)}


PROPERTIES = ("name", "category", "status", "opened_year", "closed_year", "operator_type", "attributes")
REQUIRED = ("category",)


def this_year() -> int:
    return datetime.date.today().year


def parse_json(body: bytes) -> dict:
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise EditError(400, "body", f"the body is not JSON: {error}") from None
    if not isinstance(document, dict):
        raise EditError(400, "body", "the body must be a JSON object (a GeoJSON Feature)")
    return document


def feature_values(document: dict) -> dict:
    """The properties and point of a whole Feature (POST, PUT): the fields it sets, unchecked."""
    if document.get("type") != "Feature":
        raise EditError(400, "type", "the body must be a GeoJSON Feature (\"type\": \"Feature\")")
    unknown = set(document) - {"type", "geometry", "properties", "id"}
    if unknown:
        raise EditError(400, sorted(unknown)[0], f"{sorted(unknown)[0]!r} is not a member of a place Feature")
    if "geometry" not in document:
        raise EditError(400, "geometry", "a place needs a geometry (a GeoJSON Point)")
    properties = document.get("properties")
    if not isinstance(properties, dict):
        raise EditError(400, "properties", "properties must be an object")
    for name in REQUIRED:
        if name not in properties:
            raise EditError(400, f"properties.{name}", f"{name} is required")
    return {**properties, "geometry": document["geometry"]}


def patch_values(document: dict) -> dict:
    """The members of a merge patch (PATCH): properties and/or geometry; null clears a property."""
    if document.get("type", "Feature") != "Feature":
        raise EditError(400, "type", "a patch of a place is a (partial) GeoJSON Feature")
    unknown = set(document) - {"type", "geometry", "properties"}
    if unknown:
        raise EditError(400, sorted(unknown)[0], f"{sorted(unknown)[0]!r} is not a member of a place Feature")
    properties = document.get("properties", {})
    if not isinstance(properties, dict):
        raise EditError(400, "properties", "properties must be an object")
    changes = dict(properties)
    if "geometry" in document:
        changes["geometry"] = document["geometry"]
    if not changes:
        raise EditError(400, "body", "the patch changes nothing: give properties and/or geometry")
    return changes


def fields(changes: dict) -> dict:
    """Each field a body sets, checked on its own (type, vocabulary, range), before any place is
    read: a value that cannot be right is refused whatever the place holds. null → the default."""
    unknown = set(changes) - set(PROPERTIES) - {"geometry"}
    if unknown:
        first = sorted(unknown)[0]
        raise EditError(400, f"properties.{first}", f"{first!r} is not a property a client may set; "
                        f"settable: {', '.join(PROPERTIES)}")
    out = {}
    if "geometry" in changes:
        out["lon"], out["lat"] = point(changes["geometry"])
    if changes.get("category", "") is None:
        raise EditError(400, "properties.category", "a place always has a category")
    for name in PROPERTIES:
        if name in changes:
            value = getattr(DEFAULTS, name) if changes[name] is None else changes[name]
            FIELD_CHECKS[name](name, value)
            out[name] = value
    return out


def checked(changes: dict, base: PlaceValues | None = None) -> PlaceValues:
    """``changes`` applied to ``base`` (None: a new place, from the defaults) and checked whole."""
    values = asdict(base) if base else {n: getattr(DEFAULTS, n) for n in PROPERTIES}
    values.update(fields(changes))
    if "lon" not in values:
        raise EditError(400, "geometry", "a place needs a geometry (a GeoJSON Point)")
    _check_years_together(values)
    return PlaceValues(**values)


def point(geometry) -> tuple[float, float]:
    if not isinstance(geometry, dict) or geometry.get("type") != "Point":
        raise EditError(400, "geometry", "the geometry must be a GeoJSON Point")
    coordinates = geometry.get("coordinates")
    if (not isinstance(coordinates, list) or len(coordinates) != 2
            or not all(isinstance(c, int | float) and not isinstance(c, bool) and math.isfinite(c)
                       for c in coordinates)):
        raise EditError(400, "geometry", "a Point's coordinates are [longitude, latitude] (CRS84), two numbers")
    lon, lat = (float(c) for c in coordinates)
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise EditError(400, "geometry", f"({lon}, {lat}) is not a longitude, latitude pair")
    return lon, lat


def _vocabulary(name: str, value) -> None:
    vocabulary = {"category": CATEGORIES, "status": STATUSES, "operator_type": OPERATOR_TYPES}[name]
    if not isinstance(value, str) or value not in vocabulary:
        raise EditError(400, f"properties.{name}", f"{value!r} is not a known {name}; known: {', '.join(vocabulary)}")


def _name(name: str, value) -> None:
    if value is not None and (not isinstance(value, str) or not value.strip() or len(value) > MAX_NAME
                              or CONTROL.search(value)):
        raise EditError(400, "properties.name", f"name must be text of 1–{MAX_NAME} characters "
                        "without control characters")


def _attributes(name: str, value) -> None:
    if not isinstance(value, dict) or len(json.dumps(value)) > MAX_ATTRIBUTES_BYTES:
        raise EditError(400, "properties.attributes",
                        f"attributes must be an object of at most {MAX_ATTRIBUTES_BYTES} bytes of JSON")
    if "\\u0000" in json.dumps(value):  # PostgreSQL's jsonb refuses NUL
        raise EditError(400, "properties.attributes", "attributes may not hold NUL characters")


def _year(name: str, value) -> None:
    last = this_year()
    if value is not None and (not isinstance(value, int) or isinstance(value, bool)
                              or not FIRST_YEAR <= value <= last):
        raise EditError(400, f"properties.{name}", f"{name} must be a year from {FIRST_YEAR} to {last}")


FIELD_CHECKS = {"name": _name, "category": _vocabulary, "status": _vocabulary, "operator_type": _vocabulary,
                "opened_year": _year, "closed_year": _year, "attributes": _attributes}
DEFAULTS = PlaceValues(0.0, 0.0, "other")


def _check_years_together(values: dict) -> None:
    if values["closed_year"] is not None and values["status"] != "closed":
        raise EditError(400, "properties.closed_year", "closed_year is given for closed places only "
                        f"(status is {values['status']!r})")
    if values["opened_year"] and values["closed_year"] and values["closed_year"] < values["opened_year"]:
        raise EditError(400, "properties.closed_year", "closed_year is before opened_year")
