"""The gap analysis: set-based SQL over what the loaders store, materialised in ``analysis_*`` tables.

``refresh(conn)`` rebuilds every materialised result, in the order of ``STEPS``; the CLI runs it
after any load that changed something (and ``kindmap analyse`` runs it on demand). A new measure
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
    """One refresh step: ``run(conn)`` rebuilds its tables and returns how many rows it wrote."""

    name: str
    run: Callable[[Connection], int]


STEPS: list[Step] = []


def step(name: str):
    """Register ``run`` as a refresh step (decorator); steps run in registration order."""
    def register(run: Callable[[Connection], int]) -> Callable[[Connection], int]:
        STEPS.append(Step(name, run))
        return run
    return register


def prepare(conn: Connection) -> Connection:
    """Settings for analysis queries in the current transaction of ``conn``: no JIT — the plans
    are costed high (CTEs over whole tables), and compiling costs more than it saves on queries
    that run in about a second."""
    conn.execute(text("SET LOCAL jit = off"))
    return conn


def refresh(conn: Connection, progress: bool = False) -> dict[str, int]:
    """Run every registered step in order on ``conn`` (the caller owns the transaction).

    Returns rows written per step; with ``progress`` each step is logged with its time.
    """
    prepare(conn)
    written = {}
    for s in STEPS:
        started = time.perf_counter()
        written[s.name] = s.run(conn)
        if progress:
            log.info("analysis.step", step=s.name, rows=written[s.name],
                     seconds=round(time.perf_counter() - started, 3))
    return written


# The steps, in order (each module registers itself on import).
from analysis import input_statistics, small_areas  # noqa: E402,F401
