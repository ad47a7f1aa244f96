"""Planner statistics taken once per change: ANALYZE of the analysis inputs, recorded.

A load analyses what it wrote (its later statements plan on it); the analysis refresh after it
(analysis/input_statistics.py) analyses the same tables, because right after a load the planner
would otherwise guess (33 s instead of 0.3 s for England's access). ``table_statistics``
(migration 0017) says which of the two is needed: statement triggers bump ``changed`` on every
write that can change the statistics, and ``analyse`` records the ``changed`` it saw. A table not
listed there is analysed every time it is asked for.
"""
from sqlalchemy import BigInteger, Connection, String, text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class TableStatistics(Base):
    """Whether a table's planner statistics are fresh: ``changed`` is bumped by a statement trigger
    on every write that can change what ANALYZE finds in the columns the analysis plans use
    (for ``places``: rows added or removed, or ``id``/``category``/``geom`` updated — not a
    load's later updates of ``country`` or ``merged_into``); whoever ANALYZEs the table sets
    ``analysed`` to it (``analyse`` below). The refresh re-analyses only a table whose
    two differ, so a load that analysed what it wrote is not analysed twice."""

    __tablename__ = "table_statistics"

    table_name: Mapped[str] = mapped_column(String(63), primary_key=True)
    changed: Mapped[int] = mapped_column(BigInteger, server_default="0",
                                         comment="bumped by each statement that may change the statistics")
    analysed: Mapped[int | None] = mapped_column(BigInteger, comment="`changed` when last analysed")


STALE = text("SELECT coalesce((SELECT analysed IS DISTINCT FROM changed FROM table_statistics "
             "WHERE table_name = :table), true)")
ANALYSED = text("UPDATE table_statistics SET analysed = changed WHERE table_name = :table")


def analyse(conn: Connection, table: str, columns: tuple[str, ...] = ()) -> None:
    """ANALYZE ``table`` (only ``columns``, if given: the row count is refreshed either way) and
    record that its statistics are fresh; call it after the transaction's last write to it."""
    listed = f" ({', '.join(columns)})" if columns else ""
    conn.execute(text(f"ANALYZE {table}{listed}"))
    conn.execute(ANALYSED, {"table": table})


def analyse_if_changed(conn: Connection, table: str, columns: tuple[str, ...] = ()) -> bool:
    """``analyse`` unless nothing that changes the statistics was written since they were taken;
    True when it analysed."""
    if not conn.execute(STALE, {"table": table}).scalar():
        return False
    analyse(conn, table, columns)
    return True


def unchanged(conn: Connection, table: str) -> None:
    """Record that statements since the last ``analyse`` changed no row of ``table`` (their
    triggers bumped ``changed`` all the same): its statistics still hold."""
    conn.execute(ANALYSED, {"table": table})
