"""What the command groups share: a one-line failure, a database's refusal in one line, and
making the database usable (the local cluster started, migrated)."""
from __future__ import annotations

import typing

import psycopg
import typer
from sqlalchemy.exc import DBAPIError

from store import localdb
from store.settings import database_settings


def _fail(message: str, code: int = 2) -> typing.NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


# What the database may refuse with, through SQLAlchemy or (COPY) straight from the driver.
DATABASE_ERRORS = (DBAPIError, psycopg.Error)


def _refusal(error: Exception) -> str:
    """One line for a database that refuses (read-only, disk full, no permission…): no traceback."""
    driver_error = getattr(error, "orig", error)
    diag = getattr(driver_error, "diag", None)
    message = (diag and diag.message_primary) or str(driver_error).strip().splitlines()[0]
    sqlstate = getattr(driver_error, "sqlstate", None)
    return f"the database refused: {message}" + (f" (SQLSTATE {sqlstate})" if sqlstate else "")


def _start_local() -> None:
    """Start the project-local cluster unless KINDMAP_DATABASE_URL names another database."""
    if database_settings().database_url:
        return
    try:
        localdb.start()
    except localdb.LocalDbError as error:
        _fail(str(error))


def ready() -> str:
    """Make the database usable: start the local cluster unless one is configured, migrate."""
    from store import db, migrate

    _start_local()
    url = db.database_url()
    migrate.upgrade(url)
    return url
