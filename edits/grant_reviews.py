"""A reviewer's decision on a candidate link from a grant to a place (analysis/grant_places.py:
a similar name near where the grant lands, never linked by the rules): accepted, the place shows
the grant as linked; rejected, no longer shown. Kept by the grant's identifier and the place, so
every refresh keeps it (docs/analysis/grants.md, "Places that receive grants")."""
from __future__ import annotations

import json

from sqlalchemy import Connection

from edits.sql import statement
from edits.validation import EditError


def decide(conn: Connection, place_id: int, identifier: str, state: str, key_id: int, reason: str | None) -> dict:
    """Record ``state`` (accepted or rejected); 404 when the grant is no candidate of the place."""
    decided = conn.execute(statement("grant_review"), {"place": place_id, "identifier": identifier,
                                                       "state": state, "key": key_id, "reason": reason}).scalar()
    if decided is None:
        raise EditError(404, "grantId", f"grant {identifier!r} is no candidate of place {place_id}")
    return json.loads(decided)
