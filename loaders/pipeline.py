"""The one way data gets in: read → validate → stage (COPY) → upsert in one transaction → record.

A loader is a function ``load(ctx, path, **options)`` that reads a published file and hands
row batches to ``ctx.upsert(target, batches)``. Everything it writes, and the import run that
records it, commits together or not at all. Rows that do not change are not touched, so loading
the same file twice is a no-op; a load that changes nothing is rolled back and leaves no trace.
"""
from __future__ import annotations

import hashlib
import io
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd
import structlog
from sqlalchemy import Connection, Engine, text
from tqdm import tqdm

from store.db import hold_load_lock
from store.errors import LoadError
from models.table_statistics import analyse

log = structlog.get_logger(__name__)

MAX_REJECTIONS_LISTED = 50


@dataclass(frozen=True)
class SourceInfo:
    """The publisher's dataset a file belongs to."""

    key: str
    title: str
    publisher: str
    licence: str
    url: str | None = None


@dataclass(frozen=True)
class Target:
    """How staged rows reach a table.

    ``stage`` maps staged column names to SQL types (the temporary table); ``columns`` maps each
    destination column to an SQL expression over the staged row ``s`` (default ``s.<name>``).
    ``key`` is the destination's natural key: rows whose key exists are updated only if some
    column differs.
    """

    table: str
    stage: dict[str, str]
    key: tuple[str, ...]
    columns: dict[str, str] = field(default_factory=dict)
    touch: str | None = None  # a timestamp column set to now() when a row changes
    # How an existing row's column is updated: SQL over the row (``<table>.col``) and the incoming
    # values (``EXCLUDED.col``); default EXCLUDED.col. E.g. merge JSON instead of replacing it.
    update: dict[str, str] = field(default_factory=dict)
    params: dict = field(default_factory=dict)  # bind parameters the expressions use

    def destination(self) -> dict[str, str]:
        return self.columns or {name: f"s.{name}" for name in self.stage}


@dataclass
class LoadReport:
    kind: str
    file: str
    sha256: str
    source: str
    dry_run: bool = False
    status: str = "pending"
    rows_read: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    rejected: int = 0
    rejections: list[dict] = field(default_factory=list)
    repairs: dict[str, int] = field(default_factory=dict)
    tables: dict[str, dict[str, int]] = field(default_factory=dict)
    reconciliation: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    import_run_id: int | None = None
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return asdict(self)

    def text(self) -> str:
        lines = [f"{self.kind} {self.file} [{self.status}]",
                 f"  sha256 {self.sha256[:16]}…  source {self.source}",
                 f"  rows read {self.rows_read}: new {self.new}, changed {self.changed}, "
                 f"unchanged {self.unchanged}, rejected {self.rejected}"]
        for table, counts in self.tables.items():
            lines.append(f"  {table}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
        for name, count in self.repairs.items():
            lines.append(f"  repaired: {name} {count}")
        for rejection in self.rejections:
            where = ", ".join(str(rejection[k]) for k in ("location", "column") if rejection.get(k))
            lines.append(f"  rejected {where}: {rejection['reason']}")
        if self.rejected > len(self.rejections):
            lines.append(f"  … and {self.rejected - len(self.rejections)} more rejections")
        if self.reconciliation:
            lines.append("  reconciliation:")
            lines.extend(f"    {k}: {v}" for k, v in self.reconciliation.items())
        lines.extend(f"  note: {n}" for n in self.notes)
        lines.append(f"  {self.seconds:.1f} s")
        return "\n".join(lines)


class LoadContext:
    """What a loader sees: the open transaction, its import run and its report."""

    def __init__(self, conn: Connection, report: LoadReport, run_id: int, progress: bool):
        self.conn = conn
        self.report = report
        self.run_id = run_id
        self.progress = progress
        self._stages = 0

    # -- reading ---------------------------------------------------------------------------
    def read(self, count: int) -> None:
        """Count records read from the file (whether loaded or rejected)."""
        self.report.rows_read += count

    def reject(self, location: str, reason: str, column: str | None = None) -> None:
        """A row that cannot be used: reported with where it is, and left out."""
        self.report.rejected += 1
        if len(self.report.rejections) < MAX_REJECTIONS_LISTED:
            self.report.rejections.append({"location": location, "column": column, "reason": reason})

    def note(self, message: str) -> None:
        self.report.notes.append(message)

    def use_source(self, source: SourceInfo) -> None:
        """Record this load against ``source`` instead of the kind's default (generic formats
        such as places-csv learn their publisher and licence from options)."""
        self.conn.execute(text("UPDATE import_runs SET source_id = :source WHERE id = :run"),
                          {"source": _upsert_source(self.conn, source), "run": self.run_id})
        self.report.source = source.key

    # -- writing ---------------------------------------------------------------------------
    def upsert(self, target: Target, batches: Iterable[pd.DataFrame] | pd.DataFrame) -> dict[str, int]:
        """Stage every batch with COPY, then merge into ``target.table`` in one statement."""
        return self.merge(target, self.stage(target, batches))

    def stage(self, target: Target, batches: Iterable[pd.DataFrame] | pd.DataFrame) -> str:
        self._stages += 1
        stage = f"stage_{target.table}_{self._stages}"
        columns = ", ".join(f"{name} {sqltype}" for name, sqltype in target.stage.items())
        self.conn.execute(text(f"CREATE TEMP TABLE {stage} ({columns}) ON COMMIT DROP"))
        if isinstance(batches, pd.DataFrame):
            batches = [batches]
        names = list(target.stage)
        cursor = self.conn.connection.driver_connection.cursor()
        with tqdm(desc=f"staging {target.table}", unit=" rows", disable=not self.progress,
                  leave=False) as bar:
            for batch in batches:
                if batch.empty:
                    continue
                missing = [n for n in names if n not in batch.columns]
                if missing:
                    raise LoadError(f"internal: batch lacks staged columns {missing}")
                buffer = io.StringIO()
                _jsonify(batch[names]).to_csv(buffer, header=False, index=False)
                with cursor.copy(f"COPY {stage} ({', '.join(names)}) FROM STDIN WITH (FORMAT csv)") as copy:
                    copy.write(buffer.getvalue())
                bar.update(len(batch))
        # Autovacuum never analyses temporary tables: without statistics the planner guesses,
        # and a spatial join against the stage can go from a second to minutes.
        self.conn.execute(text(f"ANALYZE {stage}"))
        return stage

    def merge(self, target: Target, stage: str) -> dict[str, int]:
        dest = target.destination()
        cols = list(dest)
        key_exprs = ", ".join(dest[k] for k in target.key)
        positions = ", ".join(str(i + 1) for i in range(len(target.key)))
        duplicate = self.conn.execute(text(
            f"SELECT {key_exprs}, count(*) FROM {stage} s GROUP BY {positions} HAVING count(*) > 1 LIMIT 1"
        ), target.params).first()
        if duplicate:
            raise LoadError(f"{duplicate[-1]} rows share the key {dict(zip(target.key, duplicate[:-1]))} "
                            f"of {target.table}; each must appear once")
        updatable = [c for c in cols if c not in target.key]
        new_values = [target.update.get(c, f"EXCLUDED.{c}") for c in updatable]
        sets = [f"{c} = {v}" for c, v in zip(updatable, new_values)]
        sets.append("import_run_id = EXCLUDED.import_run_id")
        if target.touch:
            sets.append(f"{target.touch} = now()")
        # Only rows that would really change are updated (and counted): reloads stay no-ops.
        differs = (f"WHERE ({', '.join(f'{target.table}.{c}' for c in updatable)}) IS DISTINCT FROM "
                   f"({', '.join(new_values)})") if updatable else ""
        conflict = (f"DO UPDATE SET {', '.join(sets)} {differs}" if updatable else "DO NOTHING")
        sql = f"""
            WITH up AS (
                INSERT INTO {target.table} ({', '.join(cols)}, import_run_id)
                SELECT {', '.join(dest.values())}, :run FROM {stage} s
                ON CONFLICT ({', '.join(target.key)}) {conflict}
                RETURNING (xmax = 0) AS inserted)
            SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted),
                   (SELECT count(*) FROM {stage})
            FROM up"""
        new, changed, staged = self.conn.execute(text(sql), {"run": self.run_id, **target.params}).one()
        if new or changed:
            # Later steps of the same load query this table; give the planner its new contents
            # (recorded: the analysis refresh does not analyse it again unless it changes again).
            analyse(self.conn, target.table)
        counts = {"staged": staged, "new": new, "changed": changed, "unchanged": staged - new - changed}
        totals = self.report.tables.setdefault(target.table, {k: 0 for k in counts})
        for k, v in counts.items():
            totals[k] += v
        self.report.new += new
        self.report.changed += changed
        self.report.unchanged += staged - new - changed
        return counts

    def execute(self, sql: str, **params) -> int:
        """A set-based statement of the loader's own (e.g. filling parent codes); returns rowcount."""
        return self.conn.execute(text(sql), {"run": self.run_id, **params}).rowcount


def _jsonify(frame: pd.DataFrame) -> pd.DataFrame:
    """JSON-encode dict/list cells so COPY can read them into jsonb columns."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object and out[column].map(lambda v: isinstance(v, dict | list)).any():
            out[column] = out[column].map(lambda v: json.dumps(v, ensure_ascii=False, default=str)
                                          if isinstance(v, dict | list) else v)
    return out


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


Loader = Callable[..., None]


@dataclass(frozen=True)
class Kind:
    """A ``kindmap load <kind>``: its loader function, default source and option help."""

    load: Loader
    source: SourceInfo
    help: str
    options: dict[str, str] = field(default_factory=dict)  # option name → help text


def run(engine: Engine, kind: str, loader: Loader, source: SourceInfo, path: Path,
        options: dict | None = None, dry_run: bool = False, strict: bool = False,
        progress: bool = False) -> LoadReport:
    """Load one file in one transaction and return its report.

    Raises LoadError (with nothing written) when the file cannot be loaded, or when ``strict``
    and any row was rejected.
    """
    options = options or {}
    path = Path(path)
    check_readable(path)
    started = time.monotonic()
    report = LoadReport(kind=kind, file=str(path), sha256=sha256_of(path), source=source.key,
                        dry_run=dry_run)
    log.info("load.start", kind=kind, file=str(path), sha256=report.sha256[:16])
    with engine.connect() as conn:
        transaction = conn.begin()
        try:
            hold_load_lock(conn)
            run_id = _begin_run(conn, kind, source, path, report.sha256, options)
            ctx = LoadContext(conn, report, run_id, progress)
            loader(ctx, path, **options)
            if strict and report.rejected:
                raise LoadError(f"{report.rejected} rows rejected and --strict is set; "
                                f"first: {report.rejections[0]}", file=str(path))
            report.seconds = round(time.monotonic() - started, 2)
            if dry_run:
                report.status = "dry-run (nothing written)"
                transaction.rollback()
            elif report.new == 0 and report.changed == 0:
                report.status = "no-op (nothing new or changed; nothing written)"
                transaction.rollback()
            else:
                _finish_run(conn, run_id, report)
                transaction.commit()
                report.import_run_id = run_id
                report.status = "loaded"
        except LoadError as error:
            transaction.rollback()
            error.file = error.file or str(path)
            raise
        except Exception:
            transaction.rollback()
            raise
    log.info("load.done", kind=kind, status=report.status, new=report.new, changed=report.changed,
             rejected=report.rejected, seconds=report.seconds)
    return report


def check_readable(path: Path) -> None:
    """Say what is wrong with the path itself (missing, a directory, unreadable, empty)."""
    if path.is_dir():
        raise LoadError("is a directory: give the file to load", file=str(path))
    if not path.exists():
        raise LoadError("file not found", file=str(path))
    if not path.is_file():
        raise LoadError("not a regular file", file=str(path))
    try:
        with path.open("rb") as handle:
            handle.read(1)
    except OSError as error:
        raise LoadError(f"cannot read the file ({error.strerror or error})", file=str(path)) from None
    if path.stat().st_size == 0:
        raise LoadError("file is empty", file=str(path))


def _upsert_source(conn: Connection, source: SourceInfo) -> int:
    return conn.execute(text("""
        INSERT INTO sources (key, title, publisher, licence, url)
        VALUES (:key, :title, :publisher, :licence, :url)
        ON CONFLICT (key) DO UPDATE SET title = EXCLUDED.title, publisher = EXCLUDED.publisher,
            licence = EXCLUDED.licence, url = EXCLUDED.url
        RETURNING id"""), asdict(source)).scalar_one()


def _begin_run(conn: Connection, kind: str, source: SourceInfo, path: Path, sha256: str,
               options: dict) -> int:
    source_id = _upsert_source(conn, source)
    return conn.execute(text("""
        INSERT INTO import_runs (source_id, kind, file_name, file_sha256, options)
        VALUES (:source_id, :kind, :file_name, :sha256, CAST(:options AS jsonb)) RETURNING id"""),
        {"source_id": source_id, "kind": kind, "file_name": path.name, "sha256": sha256,
         "options": json.dumps(options, default=str)}).scalar_one()


def _finish_run(conn: Connection, run_id: int, report: LoadReport) -> None:
    conn.execute(text("""
        UPDATE import_runs SET finished_at = now(), rows_read = :read, rows_new = :new,
            rows_changed = :changed, rows_rejected = :rejected, report = CAST(:report AS jsonb)
        WHERE id = :id"""),
        {"id": run_id, "read": report.rows_read, "new": report.new, "changed": report.changed,
         "rejected": report.rejected, "report": json.dumps(report.as_dict(), default=str)})
