"""The API's database role: SELECT on every table, and writes only where models/privileges.py says.

Applied after every migration (app/migrate.py), idempotently: each run first revokes what the role
holds on the schema's tables and sequences, then grants exactly what is listed now, so a table a
later migration adds is readable, and a write dropped from API_WRITES is taken back.
"""
from __future__ import annotations

import re

import structlog
from sqlalchemy import Connection, text

from models.privileges import API_WRITES

log = structlog.get_logger(__name__)

PRIVILEGE = re.compile(r"(INSERT|DELETE|UPDATE)(?: \((\w+(?:, \w+)*)\))?")


def quote(conn: Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote(name)


def _privilege(conn: Connection, spelled: str) -> str:
    """One API_WRITES entry as SQL, its column names quoted; anything else is refused."""
    match = PRIVILEGE.fullmatch(spelled)
    if not match:
        raise ValueError(f"API_WRITES: {spelled!r} is not INSERT, DELETE or UPDATE [(column, …)]")
    action, columns = match.groups()
    if not columns:
        return action
    return f"{action} ({', '.join(quote(conn, c) for c in columns.split(', '))})"


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
    conn.execute(text(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {who}"))
    for table, privileges in API_WRITES.items():
        spelled = ", ".join(_privilege(conn, p) for p in privileges)
        conn.execute(text(f"GRANT {spelled} ON TABLE {quote(conn, table)} TO {who}"))
    inserted = [t for t, privileges in API_WRITES.items() if any(p.startswith("INSERT") for p in privileges)]
    sequences = conn.execute(text("""
        SELECT DISTINCT s.relname FROM pg_depend d
        JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
        JOIN pg_class t ON t.oid = d.refobjid
        WHERE d.deptype IN ('a', 'i') AND t.relname = ANY(:tables)"""), {"tables": inserted}).scalars()
    for sequence in sequences:
        conn.execute(text(f"GRANT USAGE ON SEQUENCE {quote(conn, sequence)} TO {who}"))
    log.info("privileges.granted", role=role, writes=sorted(API_WRITES))
