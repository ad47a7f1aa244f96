"""The registry of public collections: each one a table, its id, its properties and its filters.

Adding a collection is one entry here. Column expressions are SQL over the table alias ``t``;
they are fixed by the code, never taken from a request.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Collection:
    id: str
    title: str
    description: str
    table: str
    properties: dict[str, str]          # property name → SQL expression over t
    filters: dict[str, str] = field(default_factory=dict)  # query parameter → SQL column
    id_column: str = "t.id"
    geometry: str = "t.geom"
    order_by: str = "t.id"


COLLECTIONS: dict[str, Collection] = {c.id: c for c in [
    Collection(
        id="places",
        title="Third places",
        description="Places where people meet — libraries, community and youth centres, village "
                    "halls, social and children's centres, food banks, places of worship — open or "
                    "closed, from published lists and OpenStreetMap.",
        table="places",
        properties={
            "name": "t.name", "category": "t.category", "status": "t.status",
            "opened_year": "t.opened_year", "closed_year": "t.closed_year",
            "operator_type": "t.operator_type", "source": "t.source", "source_ref": "t.source_ref",
            "attributes": "t.attributes",
        },
        filters={"category": "t.category", "status": "t.status", "source": "t.source"},
    ),
    Collection(
        id="areas",
        title="Areas",
        description="Statistical and administrative areas (regions, upper- and lower-tier local "
                    "authorities, LSOAs, wards) with ONS GSS codes and boundary vintages.",
        table="areas",
        properties={"code": "t.code", "name": "t.name", "level": "t.level", "vintage": "t.vintage",
                    "parent_codes": "t.parent_codes"},
        filters={"level": "t.level", "vintage": "t.vintage", "code": "t.code"},
    ),
]}
