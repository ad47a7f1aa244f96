"""Backups of the database in use with pg_dump's custom format, and their restore.

Backups carry no grants (roles differ between clusters); `kindmap db restore` grants the API's
role afresh (app/privileges.py).

The client binaries come from the same PostgreSQL installation as the local cluster (their major
version must not be older than the server's).
"""
from __future__ import annotations

import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

from app import localdb


class BackupError(RuntimeError):
    """pg_dump or pg_restore failed; the message carries their own words."""


def _libpq(url: str) -> str:
    """The SQLAlchemy URL as a libpq connection string (no driver suffix)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _run(args: list[str]) -> None:
    proc = subprocess.run(args, capture_output=True, text=True)
    if proc.returncode != 0:
        raise BackupError(f"{Path(args[0]).name} failed: {proc.stderr.strip().splitlines()[-1:]}")


def backup(url: str, file: Path) -> None:
    """Every table, its data and the schema version, in one consistent snapshot."""
    _run([str(localdb.bindir() / "pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
          f"--file={file}", f"--dbname={_libpq(url)}"])


def restore(url: str, file: Path) -> None:
    """Replace the database's contents by the backup's, in one transaction (all or nothing)."""
    if not file.is_file():
        raise BackupError(f"{file}: no such backup file")
    _run([str(localdb.bindir() / "pg_restore"), "--clean", "--if-exists", "--no-owner",
          "--no-privileges", "--single-transaction", "--exit-on-error", f"--dbname={_libpq(url)}", str(file)])
