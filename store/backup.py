"""Backups of the database in use with pg_dump's custom format, and their restore.

Backups carry no grants (roles differ between clusters); `kindmap db restore` grants the API's
role afresh (store/privileges.py). They are restored as the owner, who is no superuser: a backup's
extensions (PostGIS) and their configuration tables' rows (spatial_ref_sys) are left out of the
restore (pg_restore --use-list), so the owner neither drops nor writes what only a superuser may;
the database in use already has them.

The client binaries come from the same PostgreSQL installation as the local cluster (their major
version must not be older than the server's).
"""
from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from store import localdb


# pg_restore --list entries of an extension and its comment, e.g. "5; 3079 16385 EXTENSION - postgis"
EXTENSION_ENTRY = re.compile(r"^\d+; \d+ \d+ (COMMENT - )?EXTENSION ", re.MULTILINE)


class BackupError(RuntimeError):
    """pg_dump or pg_restore failed; the message carries their own words."""


def _libpq(url: str) -> str:
    """The SQLAlchemy URL as a libpq connection string (no driver suffix)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _run(args: list[str]) -> str:
    proc = subprocess.run(args, capture_output=True, text=True)
    if proc.returncode != 0:
        raise BackupError(f"{Path(args[0]).name} failed: {proc.stderr.strip().splitlines()[-1:]}")
    return proc.stdout


def backup(url: str, file: Path) -> None:
    """Every table, its data and the schema version, in one consistent snapshot."""
    _run([str(localdb.bindir() / "pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
          f"--file={file}", f"--dbname={_libpq(url)}"])


def restore(url: str, file: Path) -> None:
    """Replace the database's contents by the backup's, in one transaction (all or nothing)."""
    if not file.is_file():
        raise BackupError(f"{file}: no such backup file")
    pg_restore = str(localdb.bindir() / "pg_restore")
    with psycopg.connect(_libpq(url)) as conn:  # e.g. PostGIS's spatial_ref_sys
        config_tables = {name for (name,) in conn.execute(
            "SELECT c::regclass::text FROM pg_extension, unnest(extconfig) c").fetchall()}
    entries = "".join(line + "\n" for line in _run([pg_restore, "--list", str(file)]).splitlines()
                      if not EXTENSION_ENTRY.match(line) and not any(
                          re.search(rf" TABLE DATA \w+ {re.escape(t)} ", line) for t in config_tables))
    with tempfile.NamedTemporaryFile("w", prefix="kindmap-restore-", suffix=".list") as listing:
        listing.write(entries)
        listing.flush()
        _run([pg_restore, "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
              "--exit-on-error", f"--use-list={listing.name}", f"--dbname={_libpq(url)}", str(file)])
