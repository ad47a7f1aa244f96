"""The one check of every JSON request body (app/guard.py runs it on each write): a document the
routes' parsers and the database could choke on is refused with 422 naming the member at fault.

Python's json module accepts what PostgreSQL and JSON itself do not: ``NaN``/``Infinity`` (and
``1e999``, which becomes infinity), integers of any length (past 4,300 digits it raises rather
than refusing), lone UTF-16 surrogates (``"\\ud800"``, which no UTF-8 encoder writes) and NUL
(which no PostgreSQL text holds), and it recurses once per level of nesting (a 1,500-deep body
ends in RecursionError). Here numbers are parsed by hooks that only mark the bad ones, so the
walk after parsing can name where each lies; the walk is iterative, so depth costs no stack.
"""
from __future__ import annotations

import json
import math
import re

MAX_DEPTH = 32          # a GeoJSON MultiPolygon in a body is 6 deep; nothing kindmap takes nests further
MAX_INT_DIGITS = 20     # a bigint has 19; anything longer is no id, year or count
LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")
NUL = "\x00"


class UnsafeJson(ValueError):
    """A body kindmap will not take: ``member`` names where (``properties.attributes.x``)."""

    def __init__(self, member: str, detail: str):
        super().__init__(detail)
        self.member, self.detail = _printable(member), detail


class _Bad:
    """A number parsed only to be refused by the walk (where its member is known)."""

    def __init__(self, why: str):
        self.why = why


def _integer(digits: str):
    if len(digits.lstrip("-")) > MAX_INT_DIGITS:
        return _Bad(f"an integer of {len(digits.lstrip('-'))} digits (at most {MAX_INT_DIGITS})")
    return int(digits)


def _float(literal: str):
    value = float(literal)
    return value if math.isfinite(value) else _Bad(f"{literal} is beyond a double's range")


def _constant(name: str):
    return _Bad(f"{name} is not a JSON number")


def check(body: bytes) -> object:
    """The document, or UnsafeJson; a body that is not JSON at all raises json.JSONDecodeError
    (or UnicodeDecodeError), which the route reports in its own words."""
    try:
        document = json.loads(body, parse_int=_integer, parse_float=_float, parse_constant=_constant)
    except RecursionError:
        raise UnsafeJson("body", f"the body nests deeper than {MAX_DEPTH} levels") from None
    stack = [(document, "", 0)]
    while stack:
        value, member, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise UnsafeJson(member or "body", f"the body nests deeper than {MAX_DEPTH} levels")
        if isinstance(value, _Bad):
            raise UnsafeJson(member or "body", value.why)
        if isinstance(value, str):
            _text(value, member)
        elif isinstance(value, dict):
            for name, item in value.items():
                path = f"{member}.{name}" if member else name
                _text(name, path)
                stack.append((item, path, depth + 1))
        elif isinstance(value, list):
            stack.extend((item, f"{member}[{i}]", depth + 1) for i, item in enumerate(value))
    return document


def _text(value: str, member: str) -> None:
    if NUL in value:
        raise UnsafeJson(member, "a string holds NUL (\\u0000), which no text stores")
    if LONE_SURROGATE.search(value):
        raise UnsafeJson(member, "a string holds a lone UTF-16 surrogate (not a character)")


def _printable(member: str) -> str:
    """The member's path as it can be written back in the (UTF-8) answer."""
    return LONE_SURROGATE.sub("\ufffd", member.replace(NUL, "\\u0000")) or "body"
