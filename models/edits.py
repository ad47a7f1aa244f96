"""Planner edits, their audit trail and the public's proposals (docs/edits.md).

A planner's edit is one more source record of a place: a ``places`` row of source ``edits``.
Amending a publisher's place writes the edit record ``place/<id>`` merged into that place and a
``place_edits`` row saying which record it amends and what that record held when it was amended,
so a reload can tell whether the publisher has since changed it. A place the planner adds is an
``edits`` record standing alone. Every publisher's record stays as published.
"""
from datetime import datetime

from geoalchemy2 import Geometry
from sqlalchemy import BigInteger, CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, in_list
from models.categories import CATEGORIES, OPERATOR_TYPES, STATUSES

AUDIT_ACTIONS = ("create", "replace", "update", "delete", "superseded", "accept")
PROPOSAL_STATES = ("pending", "accepted", "rejected")


class PlaceEdit(Base):
    """An edit record amending a publisher's record; it wins until that record changes."""

    __tablename__ = "place_edits"

    record_id: Mapped[int] = mapped_column(ForeignKey("places.id", ondelete="CASCADE"), primary_key=True,
                                           comment="The edit record (a places row of source 'edits')")
    amends: Mapped[int] = mapped_column(ForeignKey("places.id", ondelete="CASCADE"), unique=True,
                                        comment="The publisher's record it amends")
    based_on: Mapped[str] = mapped_column(String(32), comment="md5 of the amended record's published "
                                          "values when the edit was made (edits/sql/published_hash.sql)")
    superseded_by: Mapped[int | None] = mapped_column(
        ForeignKey("import_runs.id"), comment="The load that changed the amended record since: the "
        "edit no longer wins (reported in that load's report)")


class PlaceAudit(Base):
    """Every change made through the API, and every edit a load superseded: who, when, before, after."""

    __tablename__ = "place_audit"
    __table_args__ = (
        CheckConstraint(in_list("action", AUDIT_ACTIONS), name="action"),
        Index("ix_place_audit_place_id_at", "place_id", "at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"), comment="The place (its id in the collection)")
    record_id: Mapped[int] = mapped_column(ForeignKey("places.id"), comment="The record written")
    action: Mapped[str] = mapped_column(String(16))
    key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id"), index=True,
                                               comment="The API key that made the change")
    import_run_id: Mapped[int] = mapped_column(ForeignKey("import_runs.id"), index=True,
                                               comment="The edit's own import run, or the load that superseded it")
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    before: Mapped[dict | None] = mapped_column(JSONB, comment="The place as served before (null: new)")
    after: Mapped[dict] = mapped_column(JSONB, comment="The place as served after")


class PlaceProposal(Base):
    """A place proposed by the public: never served until a key with scope ``moderate`` accepts it."""

    __tablename__ = "place_proposals"
    __table_args__ = (
        CheckConstraint(in_list("category", CATEGORIES), name="category"),
        CheckConstraint(in_list("status", STATUSES), name="status"),
        CheckConstraint(in_list("operator_type", OPERATOR_TYPES), name="operator_type"),
        CheckConstraint(in_list("state", PROPOSAL_STATES), name="state"),
        Index("ix_place_proposals_client_submitted_at", "client", "submitted_at"),
        Index("ix_place_proposals_state", "state"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    client: Mapped[str] = mapped_column(String(64), comment="SHA-256 of the client's address (rate limit)")
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    name: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(32))
    opened_year: Mapped[int | None] = mapped_column(Integer)
    closed_year: Mapped[int | None] = mapped_column(Integer)
    operator_type: Mapped[str] = mapped_column(String(32))
    attributes: Mapped[dict] = mapped_column(JSONB, server_default="{}")
    geom = mapped_column(Geometry("POINT", srid=4326, spatial_index=False), nullable=False)
    state: Mapped[str] = mapped_column(String(16), server_default="pending")
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id"))
    reason: Mapped[str | None] = mapped_column(Text, comment="Why it was rejected, as the moderator said")
    place_id: Mapped[int | None] = mapped_column(ForeignKey("places.id"), comment="The record made on acceptance")
