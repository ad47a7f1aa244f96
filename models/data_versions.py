"""A change counter per served table, for ETags: bumped by a statement trigger on every write.

`bump_data_version()` (created by the migration) runs AFTER each INSERT, UPDATE, DELETE or
TRUNCATE statement on a served table, whoever writes — a loader, an edit, a test — so an ETag
built from these counters changes whenever an answer could. A new served table (an analysis
output) gets the same trigger in its own migration. One row per table: reading the
versions of a collection is a primary-key lookup.
"""
from datetime import datetime

from sqlalchemy import BigInteger, DateTime, String, func
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class DataVersion(Base):
    __tablename__ = "data_versions"

    table_name: Mapped[str] = mapped_column(String(63), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, server_default="0")
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

