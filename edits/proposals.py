"""Places proposed by the public: a moderation queue, rate-limited per client in the database.

A proposal is a row of ``place_proposals``, never a record of ``places``: nothing serves it until
a key with scope ``moderate`` accepts it, which makes it a ``places`` record of source
``proposals`` (with its import run, status statement, place_years and an audit row naming the
moderator). The rate limit counts a client's proposals of the last window in the table itself,
under an advisory lock per client, so it holds across every uvicorn worker and server.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import Connection, text

from edits import places
from edits.sql import statement
from edits.validation import EditError, PlaceValues

SOURCE = "proposals"
TITLE = "Places proposed by the public, accepted by a moderator"
LOCK_NAMESPACE = 0x6B6D  # advisory locks (namespace, hash of client): one client's proposals in turn
LISTED = 1000


@dataclass(frozen=True)
class Limit:
    per_client: int
    window_s: int


class TooMany(Exception):
    def __init__(self, retry_after: int):
        self.retry_after = retry_after


def client_id(address: str) -> str:
    """What is stored of a client: a hash of its address, enough to count its proposals."""
    return hashlib.sha256(address.encode()).hexdigest()


def submit(conn: Connection, address: str, values: PlaceValues, limit: Limit) -> int:
    """Queue a proposal; raises TooMany (with the seconds to wait) past the client's limit."""
    client = client_id(address)
    places.check_point(conn, None, values)
    conn.execute(text("SELECT pg_advisory_xact_lock(:namespace, hashtext(:client))"),
                 {"namespace": LOCK_NAMESPACE, "client": client})
    sent, wait = conn.execute(statement("proposal_window"), {"client": client, "window": limit.window_s}).one()
    if sent >= limit.per_client:
        raise TooMany(max(int(wait), 1))
    return conn.execute(statement("proposal_submit"), {**values.as_params(), "client": client}).scalar_one()


def listing(conn: Connection, state: str) -> list:
    return conn.execute(statement("proposals"), {"state": state, "limit": LISTED}).scalar_one()


def pending(conn: Connection, proposal_id: int) -> dict:
    row = conn.execute(statement("proposal_of"), {"id": proposal_id}).mappings().first()
    if row is None:
        raise EditError(404, "proposal_id", f"no proposal {proposal_id}")
    if row["state"] != "pending":
        raise EditError(409, "proposal_id", f"proposal {proposal_id} is already {row['state']}")
    return dict(row)


def accept(conn: Connection, moderator: places.Writer, proposal_id: int) -> places.Place:
    """The proposal becomes a place: a ``proposals`` record, grouped with other sources' records
    of the same place by the next load, like any record."""
    places.lock(conn)
    proposal = pending(conn, proposal_id)
    values = PlaceValues(**{k: proposal[k] for k in (
        "lon", "lat", "category", "name", "status", "opened_year", "closed_year", "operator_type", "attributes")})
    here = places.check_point(conn, moderator, values)
    values = places.opened_when_added(values)
    run = places.import_run(conn, moderator.request, "proposal", values.as_params(), source=SOURCE, title=TITLE,
                            key_id=moderator.key_id, proposal=proposal_id)
    record = places.write_record(conn, values, SOURCE, str(proposal_id), run, None, places.country_of(here))
    conn.execute(statement("proposal_decide"), {"id": proposal_id, "state": "accepted", "key_id": moderator.key_id,
                                                "reason": None, "place": record})
    return places.after_write(conn, record, record, run, None, values, "accept")


def reject(conn: Connection, moderator: places.Writer, proposal_id: int, reason: str | None) -> None:
    proposal = pending(conn, proposal_id)
    places.check_authority(moderator, places.authorities_at(conn, proposal["lon"], proposal["lat"]))
    conn.execute(statement("proposal_decide"), {"id": proposal_id, "state": "rejected", "key_id": moderator.key_id,
                                                "reason": reason, "place": None})
