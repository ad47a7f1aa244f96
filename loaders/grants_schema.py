"""The 360Giving Data Standard's own schema (vendored in loaders/schemas/, CC BY 4.0): validators,
the flat form's column titles, and the geographic code types with the GSS entities they name.

The flat forms (CSV, spreadsheet) name each field by its schema titles joined with ``:``
(``Recipient Org:Charity Number``, ``Beneficiary Location:0:Geographic Code``): the rule of
the standard's templates and of flattentool's ``--convert-titles``. ``unflatten_row`` applies it
to one row, reading the titles from the schema, so a field the schema adds needs no code here.
"""
from __future__ import annotations

import copy
import csv
import json
import re
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path

from jsonschema import Draft202012Validator

SCHEMAS = Path(__file__).with_name("schemas")
INDEX = re.compile(r"\d+")


@cache
def grant_schema() -> dict:
    return json.loads((SCHEMAS / "360-giving-schema.json").read_text(encoding="utf-8"))


@cache
def package_schema() -> dict:
    return json.loads((SCHEMAS / "360-giving-package-schema.json").read_text(encoding="utf-8"))


@cache
def validators() -> dict[str, Draft202012Validator]:
    """One validator per branch of the schema's ``oneOf`` (a grant to an organisation, a grant to
    an individual): the same rules, but an error names the field instead of "not valid under any
    of the given schemas"."""
    schema = grant_schema()
    out = {}
    for branch, recipient in zip(schema["oneOf"], ("recipientOrganization", "recipientIndividual")):
        single = copy.deepcopy({k: v for k, v in schema.items() if k != "oneOf"})
        single["required"] = branch["required"]
        out[recipient] = Draft202012Validator(single, format_checker=Draft202012Validator.FORMAT_CHECKER)
    return out


def package_validator() -> Draft202012Validator:
    """The package's own fields (``grants`` a non-empty array…); each grant is checked by
    ``validators()``, so the package's reference to the grant schema is not followed."""
    schema = copy.deepcopy(package_schema())
    schema["properties"]["grants"]["items"] = {"type": "object"}
    return Draft202012Validator(schema)


def _resolve(node: dict) -> dict:
    ref = node.get("$ref")
    if ref and ref.startswith("#/$defs/"):
        return grant_schema()["$defs"][ref.removeprefix("#/$defs/")]
    return node


def _children(node: dict) -> tuple[dict, bool]:
    """(properties by lower-cased title, is-an-array) of an object or array-of-objects field."""
    node = _resolve(node)
    if node.get("type") == "array" or "items" in node:
        item = _resolve(node.get("items", {}))
        return ({(p.get("title") or k).lower(): (k, p) for k, p in item.get("properties", {}).items()}, True)
    return ({(p.get("title") or k).lower(): (k, p) for k, p in node.get("properties", {}).items()}, False)


@cache
def top_fields() -> dict[str, tuple[str, dict]]:
    return {(p.get("title") or k).lower(): (k, p) for k, p in grant_schema()["properties"].items()}


@cache
def column_path(title: str) -> tuple[tuple, str] | None:
    """A flat column title → (JSON path with list indexes, the leaf's JSON type), or None when the
    schema has no such field (an extension's column, or a typo)."""
    parts = [p.strip() for p in title.split(":")]
    fields, is_array = top_fields(), False
    path: list = []
    leaf: dict | None = None
    i = 0
    while i < len(parts):
        if fields is None:
            return None
        entry = fields.get(parts[i].lower())
        if entry is None:
            return None
        key, node = entry
        path.append(key)
        i += 1
        sub, is_array = _children(node)
        if is_array and not sub:  # an array of strings (Related Activity): one cell, one item
            return (tuple(path), "array") if i == len(parts) else None
        if is_array:
            index = 0
            if i < len(parts) and INDEX.fullmatch(parts[i]):
                index = int(parts[i])
                i += 1
            path.append(index)
        leaf, fields = _resolve(node), (sub or None)
    if leaf is None or (fields and not is_array and leaf.get("type") == "object"):
        return None
    kind = leaf.get("type")
    kind = next((t for t in kind if t != "null"), "string") if isinstance(kind, list) else (kind or "string")
    return tuple(path), kind


def typed(value: str, kind: str):
    """A flat cell as the schema's type; text that is not the type stays text, for the validator
    to report where it is."""
    if kind == "array":
        return [value]
    if kind in ("number", "integer"):
        try:  # Decimal, not float: amounts must sum to the penny
            number = Decimal(value.strip())
        except InvalidOperation:
            return value
        if not number.is_finite():
            return value
        return int(number) if kind == "integer" and number == number.to_integral_value() else number
    return value


def unflatten_row(cells: dict[str, str], paths: dict[str, tuple[tuple, str]]) -> tuple[dict, dict]:
    """One flat row → (the grant as JSON, JSON path → column title) for the filled cells."""
    grant: dict = {}
    where: dict = {}
    for title, value in cells.items():
        if value == "" or title not in paths:
            continue
        path, kind = paths[title]
        node = grant
        for step, following in zip(path, path[1:]):
            if isinstance(step, int):
                while len(node) <= step:
                    node.append({})
                node = node[step]
            else:
                node = node.setdefault(step, [] if isinstance(following, int) else {})
        node[path[-1]] = typed(value, kind)
        where[path] = title
    return grant, where


@cache
def required_titles() -> list[list[str]]:
    """The flat columns a grant to an organisation must have, from the schema: alternatives per
    requirement (e.g. the recipient organisation's identifier, or a recipient individual's)."""
    schema = grant_schema()
    titles = top_fields()
    by_key = {k: (p.get("title") or k) for _, (k, p) in titles.items()}
    out = []
    for key in schema["oneOf"][0]["required"]:
        node = schema["properties"][key]
        sub, is_array = _children(node)
        if is_array and sub:
            item = _resolve(_resolve(node).get("items", {}))
            needed = item.get("required", [])[:1]  # the id: a name alone does not identify it
            out.append([f"{by_key[key]}:{(item['properties'][n].get('title') or n)}" for n in needed])
        else:
            out.append([by_key[key]])
    # a grant to an individual has Recipient Ind columns instead of Recipient Org ones
    for entry in out:
        if entry and entry[0].startswith(by_key["recipientOrganization"] + ":"):
            entry.append(f"{by_key['recipientIndividual']}:Identifier")
    return out


@cache
def geo_code_types() -> dict[str, frozenset[str]]:
    """geoCodeType code → the GSS entity prefixes (E08, W06…) it names, from the codelist."""
    out: dict[str, set[str]] = {}
    with (SCHEMAS / "geoCodeType.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            entity = row["Documentation (URL)"].rstrip("/").rsplit("/", 1)[-1]
            out.setdefault(row["Code"].strip(), set()).add(entity)
    return {k: frozenset(v) for k, v in out.items()}
