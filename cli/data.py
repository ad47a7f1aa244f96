"""`kindmap data fetch | status | path`: the catalog's published files in the data cache."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from cli.common import _fail
from store.settings import data_settings
from datasets.catalog import catalog
from datasets.download import FetchError, fetcher, missing
from datasets.ensure import describe
from datasets.status import status as file_status

data_cli = typer.Typer(help="The published data: fetch the catalog's files (data/catalog.toml, "
                            "docs/data.md) into the data cache, and see what is fetched and loaded.",
                       no_args_is_help=True)

Only = Annotated[list[str] | None, typer.Option(
    "--only", help="Only these groups (repeat, or comma-separated), e.g. --only boundaries,lookups; "
                   "optional groups such as osm-england are fetched only when named")]
Dest = Annotated[Path | None, typer.Option(
    "--dest", help="Cache directory (default KINDMAP_DATA_DIR, or the user cache directory)")]


def _groups(only: list[str] | None) -> list[str]:
    return [g.strip() for item in only or [] for g in item.split(",") if g.strip()]


@data_cli.command("fetch")
def fetch(only: Only = None, dest: Dest = None, mirror: Annotated[str | None, typer.Option(
        help="A mirror (base URL, or a directory laid out like ../shared/data) instead of the "
             "catalog's URLs (default KINDMAP_DATA_MIRROR)")] = None) -> None:
    """Download what the cache misses: each file's size and SHA-256 checked before it is kept
    (partial downloads wait in <file>.part and resume), retried with backoff, through HTTPS_PROXY."""
    settings = data_settings()
    dest, mirror = dest or settings.data_dir, mirror or settings.data_mirror
    try:
        files = catalog().select(_groups(only))
    except ValueError as error:
        _fail(str(error))
    todo = missing(files, dest)
    if not todo:
        typer.echo(f"all {len(files)} files are in {dest}, as the catalog pins them")
        return
    unsized = [f.path for f in todo if f.size is None]
    typer.echo(describe(todo, mirror, dest) + (f" (+ {', '.join(unsized)}, not pinned: its size "
                                               "is known when it starts)" if unsized else ""))
    with fetcher(dest, mirror) as fetching:
        try:
            fetching.fetch_all(todo)
        except FetchError as error:
            _fail(str(error))
    typer.echo(f"fetched {len(todo)} files into {dest}")


@data_cli.command("status")
def status(dest: Dest = None, as_json: Annotated[bool, typer.Option("--json", help="As JSON")] = False) -> None:
    """What the catalog offers, what the cache holds (checked by SHA-256), what the database has
    loaded (by the SHA-256 its import runs recorded), and what is stale."""
    from loaders.manifest import PUBLISHED_MANIFEST, base_of

    dest = dest or data_settings().data_dir
    beside = base_of(PUBLISHED_MANIFEST)
    engine, why = _database()
    rows = file_status(catalog(), dest, engine, beside if beside.is_dir() else None)
    if as_json:
        typer.echo(json.dumps([{"path": r.file.path, "group": r.file.group, "size": r.file.size,
                                "cache": r.cache, "database": r.database, "stale": r.stale} for r in rows],
                              indent=2))
        return
    typer.echo(f"cache: {dest}" + (f" (and {beside}, beside the clone)" if beside.is_dir() else ""))
    if why:
        typer.echo(f"database: {why}")
    width = max(len(r.file.path) for r in rows)
    for r in rows:
        typer.echo(f"{r.file.path:<{width}}  {r.cache:<16}  {r.database}" + ("  STALE" if r.stale else ""))
    pinned = [r for r in rows if r.file.pinned]
    typer.echo(f"catalog: {len(rows)} files ({sum(r.file.size for r in pinned) / 1e6:.1f} MB pinned); "
               f"cached: {sum(r.cache == 'cached' for r in rows)}; "
               f"beside the clone: {sum(r.cache == 'beside the clone' for r in rows)}; "
               f"loaded: {sum(r.database.startswith('loaded') for r in rows)}; "
               f"stale: {sum(r.stale for r in rows)}")


def _database():
    """The owner's engine when the database answers (never started here), else why not."""
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    from store import db, localdb
    from store.settings import database_settings

    if not database_settings().database_url and not localdb.running():
        return None, "the local cluster is not running (kindmap db start): what is loaded is unknown"
    engine = db.engine()
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1 FROM import_runs LIMIT 1"))
    except SQLAlchemyError as error:
        return None, f"not readable ({str(error).splitlines()[0]}): what is loaded is unknown"
    return engine, None


@data_cli.command("path")
def path(name: Annotated[str, typer.Argument(help="A catalog file (its path or name) or a group")],
         dest: Dest = None) -> None:
    """Where a fetched file is, e.g. kindmap load osm "$(kindmap data path osm-england)"."""
    dest = dest or data_settings().data_dir
    found = [f for f in catalog().files if name in (f.path, Path(f.path).name, f.group)]
    if not found:
        _fail(f"{name}: no such file or group in the catalog (kindmap data status lists them)")
    for f in found:
        typer.echo(dest / f.path)
