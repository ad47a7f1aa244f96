"""The API's database role: SELECT on every table, and writes only where models/privileges.py says.

Applied after every migration (store/migrate.py), idempotently: each run first revokes what the role
holds on the schema's tables and sequences, then grants exactly what is listed now, so a table a
later migration adds is readable, and a write dropped from API_WRITES is taken back.
"""
from __future__ import annotations

import re

import structlog
from sqlalchemy import Connection, text

from models.privileges import API_WRITES

log = structlog.get_logger(__name__)

OBJECT = re.compile(r"(TABLE|SEQUENCE|FUNCTION) (\w+)")
PRIVILEGE = re.compile(r"(SELECT|INSERT|UPDATE|DELETE|USAGE|EXECUTE)(?: \((\w+(?:, ?\w+)*)\))?")


def quote(conn: Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote(name)


def grant_statement(conn: Connection, target: str, privileges: str, who: str) -> str:
    """One API_WRITES entry as a GRANT, its names quoted; anything but the documented grammar is
    refused (a typo must not become a silent no-op, nor text become SQL)."""
    obj = OBJECT.fullmatch(target)
    granted = [PRIVILEGE.fullmatch(p.strip()) for p in re.split(r",\s*(?![^()]*\))", privileges)]
    if not obj or not all(granted):
        raise ValueError(f"API_WRITES: {target!r}: {privileges!r} is not TABLE|SEQUENCE|FUNCTION name: "
                         "INSERT, UPDATE [(column, …)], DELETE, USAGE…")
    spelled = ", ".join(m[1] + (f" ({', '.join(quote(conn, c.strip()) for c in m[2].split(','))})"
                                if m[2] else "") for m in granted)
    return f"GRANT {spelled} ON {obj[1]} {quote(conn, obj[2])} TO {who}"


def grant_api(conn: Connection, role: str) -> None:
    """Give ``role`` read access to the schema and exactly API_WRITES, in one transaction."""
    if role == conn.execute(text("SELECT current_user")).scalar_one():
        return  # the API connects as the owner (one URL configured): nothing to grant or take back
    if conn.execute(text("SELECT current_setting('transaction_read_only')")).scalar_one() == "on":
        log.warning("privileges.unchanged", reason="the database is read-only")
        return  # a standby or a read-only database: its grants cannot change, and loads will say why
    if not conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :role"), {"role": role}).first():
        log.warning("privileges.no_such_role", role=role, hint="create it (README: an external PostGIS)")
        return
    who = quote(conn, role)
    database = quote(conn, conn.execute(text("SELECT current_database()")).scalar_one())
    conn.execute(text(f"GRANT CONNECT ON DATABASE {database} TO {who}"))
    conn.execute(text(f"GRANT USAGE ON SCHEMA public TO {who}"))
    conn.execute(text(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {who}"))
    conn.execute(text(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {who}"))
    conn.execute(text(f"REVOKE ALL ON ALL FUNCTIONS IN SCHEMA public FROM {who}"))
    conn.execute(text(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {who}"))
    for target, privileges in API_WRITES.items():
        conn.execute(text(grant_statement(conn, target, privileges, who)))
    log.info("privileges.granted", role=role, writes=sorted(API_WRITES))
