"""CQL2 (OGC API Features Part 3) filters compiled to SQL with bound parameters.

pygeofilter parses `cql2-text` and `cql2-json` into one syntax tree; this module walks it and
writes SQL. Property names are looked up in the collection's queryables (the registry's SQL
expressions), never copied from the request; every literal becomes a bound parameter, checked
against the property's JSON-schema type first so PostgreSQL never sees a value it cannot cast.
Supported: comparison (= <> < <= > >=), AND/OR/NOT, IN, BETWEEN, LIKE (case-insensitive as
CASEI(p) LIKE CASEI('…')), IS NULL, and the spatial functions S_INTERSECTS, S_WITHIN,
S_CONTAINS, S_DISJOINT, S_TOUCHES, S_CROSSES, S_OVERLAPS, S_EQUALS on the geometry (WKT in
cql2-text, GeoJSON in cql2-json), in `filter-crs`.
"""
from __future__ import annotations

import json
from itertools import count

from pygeofilter import ast, values
from pygeofilter.parsers.cql2_json import parse as parse_json
from pygeofilter.parsers.cql2_text import parse as parse_text

from app import crs as crs_
from app.collections import Collection, Property
from app.errors import ApiError

GEOMETRY_NAMES = ("geometry", "geom")  # what clients call the geometry (queryables say `geometry`)
SPATIAL = {
    ast.SpatialComparisonOp.INTERSECTS: "ST_Intersects", ast.SpatialComparisonOp.WITHIN: "ST_Within",
    ast.SpatialComparisonOp.CONTAINS: "ST_Contains", ast.SpatialComparisonOp.DISJOINT: "ST_Disjoint",
    ast.SpatialComparisonOp.TOUCHES: "ST_Touches", ast.SpatialComparisonOp.CROSSES: "ST_Crosses",
    ast.SpatialComparisonOp.OVERLAPS: "ST_Overlaps", ast.SpatialComparisonOp.EQUALS: "ST_Equals",
}
PYTHON_TYPES = {"string": (str,), "integer": (int,), "number": (int, float)}


class FilterError(ApiError):
    def __init__(self, detail: str):
        super().__init__(400, f"filter: {detail}", "filter")


def parse(text: str, language: str):
    """The syntax tree of a filter, or 400 naming `filter`."""
    try:
        return parse_text(text) if language == "cql2-text" else parse_json(json.loads(text))
    except Exception as error:  # lark and json errors alike: the client's text does not parse
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise FilterError(f"not valid {language}: {first_line[:200]}") from None


class Compiler:
    """One filter for one collection: ``sql(tree)`` → SQL text, its parameters in ``params``."""

    def __init__(self, collection: Collection, filter_crs: crs_.Crs, prefix: str = "cql"):
        self.collection, self.filter_crs = collection, filter_crs
        self.params: dict = {}
        self._names = (f"{prefix}{i}" for i in count())

    def sql(self, node) -> str:
        if isinstance(node, ast.Not):
            return f"NOT ({self.sql(node.sub_node)})"
        if isinstance(node, ast.Combination):
            return f"({self.sql(node.lhs)} {node.op.value} {self.sql(node.rhs)})"
        if isinstance(node, ast.Comparison):
            return self._comparison(node)
        if isinstance(node, ast.Between):
            prop, expr = self._property(node.lhs)
            sql = f"{expr} BETWEEN {self._value(node.low, prop)} AND {self._value(node.high, prop)}"
            return f"NOT ({sql})" if node.not_ else sql
        if isinstance(node, ast.Like):
            lhs, pattern, nocase = node.lhs, node.pattern, node.nocase
            if _casei(lhs) and _casei(pattern):  # CASEI(name) LIKE CASEI('%rut%'): case-insensitive
                lhs, pattern, nocase = lhs.arguments[0], pattern.arguments[0], True
            prop, expr = self._property(lhs)
            if prop.type != "string":
                raise FilterError("LIKE needs a string property")
            like = "ILIKE" if nocase else "LIKE"
            return f"{expr} {'NOT ' if node.not_ else ''}{like} {self._value(pattern, prop)}"
        if isinstance(node, ast.In):
            prop, expr = self._property(node.lhs)
            for item in node.sub_nodes:
                self._check(item, prop)
            sql = f"{expr} = ANY({self._bind(list(node.sub_nodes))})"
            return f"NOT ({sql})" if node.not_ else sql
        if isinstance(node, ast.IsNull):
            _, expr = self._property(node.lhs)
            return f"{expr} IS {'NOT ' if node.not_ else ''}NULL"
        if isinstance(node, ast.SpatialComparisonPredicate):
            return self._spatial(node)
        if isinstance(node, bool):
            return "true" if node else "false"
        raise FilterError(f"{_name(node)} is not supported here; supported: comparison, AND/OR/NOT, "
                          "IN, BETWEEN, LIKE, IS NULL, S_INTERSECTS, S_WITHIN, S_CONTAINS, S_DISJOINT, "
                          "S_TOUCHES, S_CROSSES, S_OVERLAPS, S_EQUALS")

    def _comparison(self, node: ast.Comparison) -> str:
        lhs, rhs = node.lhs, node.rhs
        if not isinstance(lhs, ast.Attribute) and isinstance(rhs, ast.Attribute):
            lhs, rhs = rhs, lhs
            op = {"<": ">", ">": "<", "<=": ">=", ">=": "<="}.get(node.op.value, node.op.value)
        else:
            op = node.op.value
        prop, expr = self._property(lhs)
        if isinstance(rhs, ast.Attribute):
            other, other_expr = self._property(rhs)
            return f"{expr} {op} {other_expr}"
        return f"{expr} {op} {self._value(rhs, prop)}"

    def _spatial(self, node: ast.SpatialComparisonPredicate) -> str:
        if self.collection.geometry is None:
            raise FilterError(f"{self.collection.id} has no geometry")
        lhs, rhs, function = node.lhs, node.rhs, SPATIAL[node.op]
        if isinstance(lhs, values.Geometry) and isinstance(rhs, ast.Attribute):
            lhs, rhs = rhs, lhs
            function = {"ST_Within": "ST_Contains", "ST_Contains": "ST_Within"}.get(function, function)
        if not (isinstance(lhs, ast.Attribute) and lhs.name in GEOMETRY_NAMES):
            raise FilterError(f"{node.op.value} compares the property `geometry` with a geometry")
        if not isinstance(rhs, values.Geometry):
            raise FilterError(f"{node.op.value} needs a literal geometry (WKT or GeoJSON)")
        shape = (f"ST_SetSRID(ST_GeomFromGeoJSON({self._bind(json.dumps(rhs.geometry))}), "
                 f"{self.filter_crs.srid})")
        stored, shape = crs_.matching(self.collection, self.filter_crs, shape)
        return f"{function}({stored}, {shape})"

    def _property(self, node) -> tuple[Property, str]:
        if not isinstance(node, ast.Attribute):
            raise FilterError(f"expected a property name, got {_name(node)}")
        prop = self.collection.queryables.get(node.name)
        if prop is None:
            raise FilterError(f"{node.name!r} is not a queryable of {self.collection.id}; "
                              f"queryables: {', '.join(self.collection.queryables)}")
        return prop, prop.sql

    def _check(self, value, prop: Property):
        if isinstance(value, bool) or not isinstance(value, PYTHON_TYPES[prop.type]):
            raise FilterError(f"{value!r} is not a {prop.type} (the type of the property compared)")
        return value

    def _value(self, value, prop: Property) -> str:
        return self._bind(self._check(value, prop))

    def _bind(self, value) -> str:
        name = next(self._names)
        self.params[name] = value
        return f":{name}"


def _name(node) -> str:
    return type(node).__name__ if not isinstance(node, (str, int, float)) else repr(node)


def _casei(node) -> bool:
    """CQL2's CASEI(x), which pygeofilter parses as lower(x)."""
    return isinstance(node, ast.Function) and node.name == "lower" and len(node.arguments) == 1
