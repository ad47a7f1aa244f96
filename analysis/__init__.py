"""The gap analysis: set-based SQL over what the loaders store, materialised in ``analysis_*`` tables.

``refresh(conn)`` rebuilds every materialised result, in the order of ``STEPS``; the CLI runs it
after any load that changed something (and ``kindmap analyse`` runs it on demand). A step names
the tables it reads and writes: when none of their data versions (``data_versions``, bumped by
triggers on every write) moved since it last ran (``analysis_steps``), it is skipped. A new measure
is one ``.sql`` file in ``analysis/sql/``, one thin wrapper module and one entry appended to
``STEPS``. Nothing here imports FastAPI: routers call the wrappers.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import structlog
from sqlalchemy import Connection, text

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Step:
    """One refresh step: ``run(conn)`` rebuilds its tables and returns how many rows it wrote;
    ``tables`` are those it reads and writes (each with a data_versions trigger)."""

    name: str
    run: Callable[[Connection], int]
    tables: tuple[str, ...]


STEPS: list[Step] = []
VERSIONS = text("SELECT coalesce(string_agg(t || '=' || coalesce(v.version, 0), ',' ORDER BY t), '') "
                "FROM unnest(CAST(:tables AS text[])) t LEFT JOIN data_versions v ON v.table_name = t")
LAST_RUN = text("SELECT versions FROM analysis_steps WHERE step = :step")
RAN = text("INSERT INTO analysis_steps (step, versions) VALUES (:step, :versions) "
           "ON CONFLICT (step) DO UPDATE SET versions = excluded.versions")


def versions(conn: Connection, tables: tuple[str, ...]) -> str:
    """``table=version,…`` of ``tables`` now (data_versions; 0 for a table never written)."""
    return conn.execute(VERSIONS, {"tables": list(tables)}).scalar()


def step(name: str, tables: tuple[str, ...]):
    """Register ``run`` as a refresh step over ``tables`` (decorator); steps run in registration order."""
    def register(run: Callable[[Connection], int]) -> Callable[[Connection], int]:
        STEPS.append(Step(name, run, tables))
        return run
    return register


def prepare(conn: Connection) -> Connection:
    """Settings for analysis queries in the current transaction of ``conn``: no JIT — the plans
    are costed high (CTEs over whole tables), and compiling costs more than it saves on queries
    that run in under a second."""
    conn.execute(text("SET LOCAL jit = off"))
    # Hashes of every small area (~33k rows with their points) stay in memory, not in batches.
    conn.execute(text("SET LOCAL work_mem = '64MB'"))
    return conn


def refresh(conn: Connection, progress: bool = False, force: bool = False) -> dict[str, int | None]:
    """Run every registered step whose tables changed since it last ran (every step when
    ``force``), in order, on ``conn`` (the caller owns the transaction).

    Returns rows written per step, None for a step that was up to date; with ``progress`` each
    step is logged with its time.
    """
    prepare(conn)
    written = {}
    for s in STEPS:
        started = time.perf_counter()
        tables = {"tables": list(s.tables)}
        if not force and conn.execute(LAST_RUN, {"step": s.name}).scalar() == conn.execute(VERSIONS, tables).scalar():
            written[s.name] = None
        else:
            written[s.name] = s.run(conn)
            conn.execute(RAN, {"step": s.name, "versions": conn.execute(VERSIONS, tables).scalar()})
        if progress:
            log.info("analysis.step", step=s.name, rows=written[s.name],
                     seconds=round(time.perf_counter() - started, 3))
    return written


# The steps, in order (each module registers itself on import): planner statistics first.
from analysis import input_statistics, small_areas  # noqa: E402,F401
from analysis import coverage  # noqa: E402,F401
from analysis import gap_spending  # noqa: E402,F401
from analysis import grant_places  # noqa: E402,F401
from analysis import answers  # noqa: E402,F401  (last: it reads what the others wrote)
