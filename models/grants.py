"""Grants as funders publish them (360Giving Data Standard), each with where it lands.

One row per grant identifier (``Identifier`` / ``id``): the same grant published in two files is
one grant; the import run that last wrote it names its file. ``area_code`` / ``area_level`` is the
finest location the grant states, carried to today's areas (loaders/grants_360giving.py and
loaders/sql/grant_places.sql say how); ``located_by`` says which field gave it.

``grant_coverage`` is what each loaded file claims to cover: a funder's grants say something about
an authority only if a file of that funder covers it (docs/analysis/grants.md).
"""
from datetime import date
from decimal import Decimal

from sqlalchemy import (BigInteger, Boolean, CheckConstraint, Date, DateTime, Double, ForeignKey, Index, Numeric,
                        String, Text, func)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, in_list

# Where a grant can land: a GSS area of one of these levels, or a postcode district / sector
# (outward code "M16", sector "M16 7") when the recipient's postcode is all the file gives.
GRANT_LEVELS = ("lsoa", "ward", "ltla", "utla", "region", "country", "postcode_sector", "postcode_district")
# Which published field located it; recipient_* locations are the recipient's address, which says
# where the recipient is registered, not where the money is spent (the "headquarters effect").
LOCATED_BY = ("beneficiary", "recipient_code", "recipient_postcode")
COVERAGE_BASES = ("option", "council", "declared")


class Grant(Base):
    __tablename__ = "grants"
    __table_args__ = (
        CheckConstraint(in_list("area_level", GRANT_LEVELS), name="area_level"),
        CheckConstraint(in_list("located_by", LOCATED_BY), name="located_by"),
        Index("ix_grants_area", "area_code"),
        Index("ix_grants_utla_date", "utla", "award_date"),
        Index("ix_grants_ltla", "ltla"),
        Index("ix_grants_funder", "funder_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    identifier: Mapped[str] = mapped_column(Text, unique=True, comment="360Giving Identifier (id)")
    title: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    currency: Mapped[str] = mapped_column(String(3))
    amount_awarded: Mapped[Decimal] = mapped_column(Numeric(16, 2), comment="As published, in currency")
    award_date: Mapped[date] = mapped_column(Date)
    funder_id: Mapped[str] = mapped_column(Text, comment="Funding Org:Identifier, e.g. GB-LAE-TRF")
    funder_name: Mapped[str | None] = mapped_column(Text)
    programme_code: Mapped[str | None] = mapped_column(Text)
    programme_title: Mapped[str | None] = mapped_column(Text)
    recipient_id: Mapped[str | None] = mapped_column(Text, comment="Recipient Org:Identifier")
    recipient_name: Mapped[str | None] = mapped_column(Text)
    recipient_charity_number: Mapped[str | None] = mapped_column(Text)
    recipient_company_number: Mapped[str | None] = mapped_column(Text)
    recipient_postcode: Mapped[str | None] = mapped_column(Text)
    beneficiary_code: Mapped[str | None] = mapped_column(Text, comment="The finest beneficiary code stated")
    beneficiary_code_type: Mapped[str | None] = mapped_column(Text, comment="Its 360Giving geoCodeType")
    beneficiary_name: Mapped[str | None] = mapped_column(Text)
    recipient_code: Mapped[str | None] = mapped_column(Text, comment="Recipient Org:Location geographic code")
    area_code: Mapped[str | None] = mapped_column(String(16), comment="Where it lands (today's code)")
    area_level: Mapped[str | None] = mapped_column(String(20))
    located_by: Mapped[str | None] = mapped_column(String(20))
    recipient_address_only: Mapped[bool] = mapped_column(
        Boolean, server_default="false", comment="Located by the recipient's address alone: maps leave it out")
    ltla: Mapped[str | None] = mapped_column(String(16), comment="2023 LTLA holding area_code, if one does")
    utla: Mapped[str | None] = mapped_column(String(16), comment="2023 UTLA holding area_code, if one does")
    region: Mapped[str | None] = mapped_column(String(16))
    import_run_id: Mapped[int] = mapped_column(ForeignKey("import_runs.id"), index=True)


class GrantCoverage(Base):
    """One funder's claim to publish every grant it makes in an authority (2023 LTLA or UTLA)."""

    __tablename__ = "grant_coverage"
    __table_args__ = (CheckConstraint(in_list("basis", COVERAGE_BASES), name="basis"),)

    funder_id: Mapped[str] = mapped_column(Text, primary_key=True)
    area_code: Mapped[str] = mapped_column(String(16), primary_key=True, comment="2023 LTLA or UTLA")
    basis: Mapped[str] = mapped_column(String(12), comment="option (--coverage), council (the funder's "
                                                            "own authority) or declared (its grants' locations)")
    import_run_id: Mapped[int] = mapped_column(ForeignKey("import_runs.id"), index=True)


# How a grant is tied to a place (analysis/grant_places.py): the recipient's charity or company
# number in one of the place's attributes (linked), or a similar name near where the grant lands
# (a candidate for review, never counted as linked until a reviewer accepts it).
LINK_BASES = ("charity_number", "company_number", "name_distance")
LINK_STATES = ("linked", "candidate")
DECISIONS = ("accepted", "rejected")


class GrantPlace(Base):
    """A grant and a place its recipient may run, rebuilt by the analysis refresh."""

    __tablename__ = "analysis_grant_places"
    __table_args__ = (
        CheckConstraint(in_list("basis", LINK_BASES), name="basis"),
        CheckConstraint(in_list("state", LINK_STATES), name="state"),
        Index("ix_analysis_grant_places_place_id", "place_id"),
    )

    grant_id: Mapped[int] = mapped_column(ForeignKey("grants.id", ondelete="CASCADE"), primary_key=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id", ondelete="CASCADE"), primary_key=True,
                                          comment="The place (its canonical record)")
    basis: Mapped[str] = mapped_column(String(16), comment="charity_number, company_number or name_distance")
    state: Mapped[str] = mapped_column(String(12), comment="linked (a number matched) or candidate (to review)")
    matched: Mapped[str | None] = mapped_column(Text, comment="The number, or the place's name, that matched")
    score: Mapped[float | None] = mapped_column(Double, comment="Name similarity 0–100 (name_distance)")
    distance_m: Mapped[float | None] = mapped_column(
        Double, comment="Metres from the place to the area the grant lands in (0: inside; name_distance)")


class GrantPlaceReview(Base):
    """A reviewer's decision on a candidate (a name-and-distance pair of analysis_grant_places),
    kept by the grant's identifier and the place through every refresh: accepted, it is linked;
    rejected, it is no longer shown (analysis/sql/place_grants.sql)."""

    __tablename__ = "grant_place_reviews"
    __table_args__ = (CheckConstraint(in_list("state", DECISIONS), name="state"),)

    grant_identifier: Mapped[str] = mapped_column(Text, primary_key=True, comment="360Giving Identifier")
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id", ondelete="CASCADE"), primary_key=True)
    state: Mapped[str] = mapped_column(String(12), comment="accepted or rejected")
    key_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("api_keys.id"), comment="The key that decided")
    decided_at = mapped_column(DateTime(timezone=True), server_default=func.now())
    reason: Mapped[str | None] = mapped_column(Text)
