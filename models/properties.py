"""A served table's typed properties: each one's SQL over the table alias ``t``, its JSON-schema
type, vocabulary and whether it is a plain filter, and the JSON object they build. The registry
(app/collections.py) holds every collection's; place_current stores the JSON of the places'
(places/properties.py) with the key of the expression that built it.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

SCALAR_TYPES = ("string", "integer", "number")


@dataclass(frozen=True)
class Property:
    sql: str                                 # SQL expression over the table alias t
    type: str = "string"                     # JSON-schema type: string, integer, number, object, array
    description: str = ""
    enum: tuple[str, ...] | None = None      # its vocabulary, when it has one
    filter: bool = False                     # also a plain query parameter: ?name=a,b
    sortable: bool = True                    # usable in sortby (scalar types only)
    normalise: Callable[[str], str] | None = None  # a filter value's canonical spelling (ValueError: 400)
    spelling: str | None = None              # the regular expression of what normalise takes (OpenAPI)

    @property
    def queryable(self) -> bool:
        """Usable in CQL2 and tiles: a scalar, comparable in SQL."""
        return self.type in SCALAR_TYPES

    def schema(self) -> dict:
        described = {"type": self.type, "description": self.description}
        if self.enum:
            described["enum"] = list(self.enum)
        return described


def json_object(properties: dict[str, Property]) -> str:
    """SQL over t building the JSON object (json, not jsonb: in this order) of ``properties``."""
    return "json_build_object(" + ", ".join(f"'{name}', {p.sql}" for name, p in properties.items()) + ")"


def json_key(properties: dict[str, Property]) -> str:
    """Identifies the JSON json_object() builds: its expression's hash."""
    return hashlib.sha256(json_object(properties).encode()).hexdigest()[:16]
