"""The rules a request must keep that an OpenAPI document cannot state, for schemathesis's
``positive_data_acceptance`` check (tests/test_fuzz.py loads this module as its hooks).

Every parameter and body the document describes has its type, bounds, pattern or vocabulary
there, so a request the document calls valid is answered. What is left is below: a rule between
two parameters or between the items of one list, or a grammar no regular expression holds. A
request schemathesis generates within the document that breaks one of these gets a 400 (or 422)
naming it, which is right; that refusal, and only that one, is not counted as a failure.
"""
from __future__ import annotations

import json
import re

import schemathesis

# (path, the problem's detail, why the document cannot say it)
RULES = [
    (r"/collections/.*", r"^filter: not valid cql2-",
     "CQL2 is an expression language (nesting, operators typed by the queryables): no pattern "
     "holds it; tests/test_filters.py covers it"),
    (r".*", r"^steps: distances must increase",
     "the steps' distances increase: an order between the items of one list"),
    (r".*", r"^categories: .* is given twice|^category: .* is given twice",
     "each category once: uniqueness between the items of one list"),
    (r"/priorities", r"^need: at most \d+ terms, each indicator once|^need: term weights are 0 … 10, and not all 0",
     "each indicator once, and some weight above 0: rules between the terms of one list"),
    (r"/priorities", r"^loss_from \d+ is after year", "loss_from ≤ year: one parameter bounded by another"),
    (r"/priorities", r"^every weight is 0", "not every part weight 0: a rule over four parameters"),
    (r"/closures", r"^to \(\d+\) must be a later year than from", "to > from: one parameter bounded by another"),
    (r"/grants|/collections/grants/.*", r"^apportion applies to level=lsoa only", "apportion only with level=lsoa: one parameter "
     "allowed by another's value"),
    (r"/grants|/spending|/collections/grants/.*", r"^from \S+ is after to ", "from ≤ to: one parameter bounded by another"),
    (r"/spending", r"^group sums every unit: leave out area", "group excludes area"),
    (r".*", r"^datetime: the interval ends before it starts", "an interval's end not before its start"),
    (r".*", r"^datetime: '[0-9-]+' is not a real date", "a real day of its month (2023-02-30 is not)"),
    (r".*/tiles/.*", r"^[xy] \d+ is outside 0\.\.\d+ at zoom", "a tile's column and row are below 2^zoom"),
    (r".*", r"^bbox is outside longitude|^bbox minimum must not exceed",
     "a box's minimum below its maximum, and its range set by bbox-crs"),
    (r"/priorities.*", r"indicator .* is not loaded|has no values for period",
     "whether an indicator (or its period) is loaded is the data, not the document: a 400 naming "
     "the parameter (issue 19)"),
    (r"/priorities/validation", r"only \d+ of the index's (units|small areas) have a value",
     "whether a loaded indicator's areas are the index's units is in the data, not the document"),
    (r"/collections/\{collectionId\}/items/\{feature_id\}", r"need If-Match with its ETag|has changed since that ETag",
     "a write's If-Match is the place's current ETag (428, 412): the server's state, not the document"),
    (r"/collections/\{collectionId\}/items/\{feature_id\}", r"^closed_year is given for closed places only",
     "a patch's closed_year needs the place closed, which may be its stored status"),
    (r"/collections/.*", r"^closed_year is before opened_year", "closed_year ≥ opened_year: one member bounded by another"),
    (r"/collections/.*", r"is outside the UK's|not inside|outside the stored boundaries",
     "a place lies inside the UK's stored boundaries: the data, not the document"),
    (r"/collections/.*", r"_year must be a year from \d+ to \d+",
     "a year written 2019.0: JSON Schema's integer includes it, the server takes a whole number as written "
     "(the range is the document's)"),
    (r"/areas/summary", r"^geometry is not a valid polygon|^geometry: .*(closed|ring)|^geometry has more than \d+ vertices",
     "a polygon's rings closed and not crossing (geometry, not a schema), and the vertex budget a setting"),
    (r".*", r"holds NUL|lone UTF-16 surrogate|nests deeper than|an integer of \d+ digits",
     "a body may carry members of its client's own (GeoJSON foreign members), any JSON; that no "
     "string in them holds NUL (app/safe_json.py) needs a recursive schema of all JSON"),
]


BLANK_ITEM = re.compile(r"(^|,)\s*(,|$)")


@schemathesis.hook
def filter_failure(context, failure, case, response) -> bool:
    """Keep every failure but a valid-request refusal (ST202) that names one of RULES, and an
    accepted list filter whose only fault is a blank item (``,x``: the server reads it as ``x``)."""
    if getattr(failure, "code", None) == "ST201" and any(
            isinstance(v, str) and BLANK_ITEM.search(v) for v in (case.query or {}).values()):
        return False
    if getattr(failure, "code", None) != "ST202" or not 400 <= response.status_code < 500:
        return True
    try:
        detail = json.loads(response.content).get("detail", "")
    except (ValueError, AttributeError):
        return True
    return not any(re.fullmatch(path, case.operation.path) and re.search(said, str(detail))
                   for path, said, _ in RULES)
