"""The ``kindmap`` command: database, loading, serving and the demo."""
from __future__ import annotations

import inspect
import json
import sys
import typing
from pathlib import Path
from typing import Annotated

import typer

from cli.common import DATABASE_ERRORS, _fail, _refusal, _start_local, ready
from cli.data import data_cli
from cli.validate import validate
from store import localdb
from store.logging import configure_logging
from store.settings import api_settings, database_settings

cli = typer.Typer(help="kindmap: third places, public-health spending and the gaps between them.",
                  no_args_is_help=True, add_completion=False)
db_cli = typer.Typer(help="The database: the project-local PostGIS cluster and migrations.",
                     no_args_is_help=True)
load_cli = typer.Typer(help="Load a published file (one kind per source format) or a manifest.",
                       no_args_is_help=True)
keys_cli = typer.Typer(help="API keys: create (shown once), list, revoke.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
cli.add_typer(load_cli, name="load")
cli.add_typer(keys_cli, name="keys")
cli.add_typer(data_cli, name="data")
cli.command("validate")(validate)


@db_cli.command("start")
def db_start() -> None:
    """Initialise (first time) and start the project-local PostGIS under .kindmap/pg/."""
    if database_settings().database_url:
        _fail("KINDMAP_DATABASE_URL is set: kindmap uses that database and starts none of its own")
    _start_local()
    typer.echo(f"running: {localdb.url()}")


@db_cli.command("stop")
def db_stop() -> None:
    """Stop the project-local cluster."""
    typer.echo("stopped" if localdb.stop() else "not running")


@db_cli.command("status")
def db_status() -> None:
    """Say whether the database in use is reachable (exit 1 when it is not)."""
    from sqlalchemy import text

    from store import db

    if not database_settings().database_url:
        state = ("running" if localdb.running() else
                 "stopped" if localdb.initialised() else "not initialised")
        typer.echo(f"local cluster {localdb.data_dir()}: {state} (port {database_settings().pg_port})")
    try:
        with db.engine().connect() as conn:
            version = conn.execute(text("SELECT postgis_lib_version()")).scalar()
        typer.echo(f"database reachable: PostGIS {version}")
    except Exception as error:  # any driver error means "not reachable" here
        typer.echo(f"database not reachable: {str(error).splitlines()[0]}")
        raise typer.Exit(1)


@db_cli.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision")] = "head") -> None:
    """Run the Alembic migrations up to REVISION (default: head), starting the database if needed."""
    from store import db, migrate

    _start_local()
    migrate.upgrade(db.database_url(), revision)
    typer.echo(f"database at {revision}")


@db_cli.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Argument(help="Target revision")] = "base") -> None:
    """Undo migrations down to REVISION (default: base, an empty database)."""
    from store import db, migrate

    migrate.downgrade(db.database_url(), revision)
    typer.echo(f"database at {revision}")


@db_cli.command("url")
def db_url() -> None:
    """Print the connection URL of the database in use."""
    from store import db

    typer.echo(db.database_url())


@db_cli.command("backup")
def db_backup(file: Annotated[Path, typer.Argument(help="Where to write the backup (pg_dump custom format)")]) -> None:
    """Back up the whole database in use (data, import runs, keys) to FILE."""
    from store import backup, db

    _start_local()
    try:
        backup.backup(db.database_url(), file)
    except backup.BackupError as error:
        _fail(str(error))
    typer.echo(f"backed up to {file}")


@db_cli.command("restore")
def db_restore(file: Annotated[Path, typer.Argument(help="A backup made by `kindmap db backup`")]) -> None:
    """Replace the database's contents by FILE's, in one transaction (nothing changes on failure)."""
    from store import backup, db, migrate

    _start_local()
    try:
        backup.restore(db.database_url(), file)
    except backup.BackupError as error:
        _fail(str(error))
    migrate.grant(db.database_url())
    typer.echo(f"restored from {file}")


@keys_cli.command("create")
def keys_create(
    name: Annotated[str, typer.Option(help="Who holds the key, e.g. 'Trafford planning team'")],
    scope: Annotated[list[str], typer.Option(help="A scope (repeat for several): read, write:places, "
                                                  "moderate, admin")],
    authority: Annotated[list[str] | None, typer.Option(
        help="GSS code of an authority the key may edit in (repeat; none: anywhere)")] = None,
) -> None:
    """Create an API key and print it: it is shown once, only its hash is stored."""
    from store import db, keys

    ready()
    try:
        with db.engine().begin() as conn:
            key, token = keys.create(conn, name, scope, authority or [])
    except ValueError as error:
        _fail(str(error))
    typer.echo(f"key {key.id} ({key.prefix}) for {name}: {token}")


@keys_cli.command("list")
def keys_list() -> None:
    """Every key: id, prefix, holder, scopes, authorities, created, revoked, last used (never the key)."""
    from store import db, keys

    ready()
    with db.engine().connect() as conn:
        for row in keys.listing(conn):
            typer.echo("\t".join(str(row[c] if row[c] is not None else "-") for c in row))


@keys_cli.command("revoke")
def keys_revoke(key_id: Annotated[int, typer.Argument(help="The key's id (from `kindmap keys list`)")]) -> None:
    """Revoke a key: it stops working at once; its row stays for the audit trail."""
    from store import db, keys

    ready()
    with db.engine().begin() as conn:
        if not keys.revoke(conn, key_id):
            _fail(f"no live key {key_id}")
    typer.echo(f"key {key_id} revoked")


def _print_report(report, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(report.as_dict(), default=str, indent=2))
    else:
        typer.echo(report.text())


def _run_load(kind_name: str, path: Path, options: dict, dry_run: bool, as_json: bool, strict: bool):
    from store import db
    from loaders import KINDS
    from store.errors import LoadError
    from loaders.pipeline import run

    kind = KINDS[kind_name]
    try:
        return run(db.engine(), kind_name, kind.load, kind.source, path, options,
                   dry_run=dry_run, strict=strict, progress=sys.stderr.isatty())
    except LoadError as error:
        if as_json:
            typer.echo(json.dumps({"error": error.message, "file": error.file,
                                   "location": error.location, "column": error.column}))
        _fail(str(error))
    except DATABASE_ERRORS as error:  # the load's one transaction was rolled back
        refusal = _refusal(error)
        if as_json:
            typer.echo(json.dumps({"error": refusal, "file": str(path)}))
        _fail(f"{path}: {refusal}; nothing was loaded")


def _analyse(reports) -> None:
    """Refresh the analysis (analysis.refresh) when any of these loads wrote something."""
    if any(r.status == "loaded" for r in reports):
        run_analysis()


def run_analysis(force: bool = False) -> dict[str, int | None]:
    import analysis
    from store import db

    with db.engine().begin() as conn:
        written = analysis.refresh(conn, progress=sys.stderr.isatty(), force=force)
    typer.echo("analysis refreshed: " + ", ".join(
        f"{name} {'up to date' if rows is None else f'{rows} rows'}" for name, rows in written.items()), err=True)
    return written


@cli.command("analyse")
def analyse(force: Annotated[bool, typer.Option(
        help="Rebuild every step, also those whose inputs did not change")] = False) -> None:
    """Rebuild the analysis tables (analysis_*) whose inputs changed; loads run this themselves."""
    ready()
    run_analysis(force)


def _kind_command(kind_name: str, kind) -> typing.Callable:
    """A typer command whose options are the loader's own keyword parameters."""
    hints = typing.get_type_hints(kind.load)
    loader_params = list(inspect.signature(kind.load).parameters.values())[2:]

    def command(paths: list[Path], dry_run: bool, as_json: bool, strict: bool, **options) -> None:
        ready()
        reports = []
        for path in paths:  # each file in its own transaction; the first refusal stops here
            reports.append(_run_load(kind_name, path, options, dry_run, as_json, strict))
            _print_report(reports[-1], as_json)
        _analyse(reports)

    params = [inspect.Parameter("paths", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Annotated[
        list[Path], typer.Argument(help="The published file(s), loaded one after another, each in its "
                                        "own transaction")])]
    for p in loader_params:
        required = p.default is inspect.Parameter.empty
        params.append(inspect.Parameter(
            p.name, inspect.Parameter.KEYWORD_ONLY,
            annotation=Annotated[hints[p.name], typer.Option(help=kind.options.get(p.name, ""))],
            default=... if required else p.default))
    params += [
        inspect.Parameter("dry_run", inspect.Parameter.KEYWORD_ONLY, default=False, annotation=Annotated[
            bool, typer.Option("--dry-run", help="Validate and report without writing")]),
        inspect.Parameter("as_json", inspect.Parameter.KEYWORD_ONLY, default=False, annotation=Annotated[
            bool, typer.Option("--json", help="Print the report as JSON")]),
        inspect.Parameter("strict", inspect.Parameter.KEYWORD_ONLY, default=False, annotation=Annotated[
            bool, typer.Option("--strict", help="Refuse the whole file if any row is rejected")]),
    ]
    command.__signature__ = inspect.Signature(params)
    command.__doc__ = kind.help
    return command


def register_kinds() -> None:
    """One ``kindmap load <kind>`` command per loader kind (idempotent)."""
    from loaders import KINDS

    registered = {c.name for c in load_cli.registered_commands}
    for name, kind in KINDS.items():
        if name in registered:
            continue
        load_cli.command(name, help=kind.help)(_kind_command(name, kind))


@load_cli.command("manifest")
def load_manifest(
    manifest: Annotated[Path, typer.Argument(help="TOML or YAML manifest naming files, kinds, options")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate and report without writing")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the reports as JSON")] = False,
) -> None:
    """Load every file a manifest names, in order (each file in its own transaction)."""
    from loaders.manifest import read_manifest

    ready()
    try:
        entries = read_manifest(manifest)
    except ValueError as error:
        _fail(f"{manifest}: {error}")
    reports = []
    for entry in entries:
        report = _run_load(entry.kind, entry.path, entry.options, dry_run, as_json, entry.strict)
        reports.append(report)
        if not as_json:
            _print_report(report, False)
    if as_json:
        typer.echo(json.dumps([r.as_dict() for r in reports], default=str, indent=2))
    _analyse(reports)


@cli.command("serve")
def serve(
    port: Annotated[int | None, typer.Option(help="Port (default KINDMAP_PORT or 8000)")] = None,
    host: Annotated[str | None, typer.Option(help="Interface (default KINDMAP_HOST or 127.0.0.1)")] = None,
    workers: Annotated[int, typer.Option(help="Worker processes (one per core serves the most)")] = 1,
) -> None:
    """Serve the API with uvicorn."""
    import uvicorn

    settings = api_settings()
    uvicorn.run("app.main:create_app", factory=True, host=host or settings.host,
                port=port or settings.port, log_config=None, workers=workers,
                proxy_headers=False)  # KINDMAP_TRUSTED_PROXIES decides, in the app (app/main.py)


@cli.command("demo")
def demo(
    port: Annotated[int | None, typer.Option(help="Port (default KINDMAP_PORT or 8000)")] = None,
    host: Annotated[str | None, typer.Option(help="Interface (default KINDMAP_HOST or 127.0.0.1)")] = None,
    serve_after: Annotated[bool, typer.Option("--serve/--no-serve", help="Serve after loading")] = True,
    published: Annotated[bool, typer.Option(
        "--published/--sample-only",
        help="Load every published file data/manifests/shared-data.toml names (population, deprivation, "
             "lookups, spending: the gaps, charts and rankings), fetching what is not beside the clone; "
             "--sample-only: the bundled sample, offline")] = True,
) -> None:
    """Start the database, migrate, load real data, refresh the analysis, then serve. The data: every
    published file of data/manifests/shared-data.toml — from beside the clone (../shared/data) when
    it is there, else fetched into the data cache (KINDMAP_DATA_DIR; from KINDMAP_DATA_MIRROR if
    set), each file checked by SHA-256 — or with --sample-only (or when the fetch fails) the
    bundled sample (data/sample/: boundaries, the 2016 libraries, Rutland in full)."""
    from datasets.catalog import catalog
    from datasets.download import FetchError, fetcher
    from datasets.ensure import ensure
    from loaders.manifest import PUBLISHED_MANIFEST, SAMPLE_MANIFEST, read_manifest

    ready()
    manifest = SAMPLE_MANIFEST
    if published:
        try:
            with fetcher() as fetching:
                ensure(PUBLISHED_MANIFEST, catalog(), fetching, typer.echo)
            manifest = PUBLISHED_MANIFEST  # a superset of the sample (its district boundaries more detailed)
        except (FetchError, ValueError) as error:
            typer.echo(f"loading the bundled sample: the published files could not be fetched ({error}); "
                       "gaps, spending charts and rankings need them (`kindmap data fetch` retries, "
                       "resuming; KINDMAP_DATA_MIRROR names a mirror)")
    reports = []
    for entry in read_manifest(manifest):
        report = _run_load(entry.kind, entry.path, entry.options, False, False, entry.strict)
        reports.append(report)
        typer.echo(f"{entry.kind} {entry.path.name}: {report.status}; "
                   f"new {report.new}, changed {report.changed}, rejected {report.rejected}")
    _analyse(reports)
    if serve_after:
        serve(port=port, host=host)


def main() -> None:
    configure_logging()
    register_kinds()
    try:
        cli()
    except DATABASE_ERRORS as error:  # outside a load: migrations, keys, analysis
        typer.echo(f"error: {_refusal(error)}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
