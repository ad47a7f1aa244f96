"""Third places: the points where people meet, with their status over time."""
from geoalchemy2 import Geometry
from sqlalchemy import (JSON, BigInteger, CheckConstraint, Computed, DateTime, ForeignKey, Index, Integer,
                        String, Text, UniqueConstraint, func)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, in_list
from models.categories import CATEGORIES, OPERATOR_TYPES, STATUSES

# The years place_years resolves (2010, the Taskforce list's baseline, to 2025, the UK list).
STATUS_YEARS = range(2010, 2026)

# ONS GSS codes of the UK's countries (places.country).
COUNTRIES = {"E92000001": "England", "W92000004": "Wales", "S92000003": "Scotland",
             "N92000002": "Northern Ireland"}


class Place(Base):
    """One publisher's record of a place, as published. Records of one real-world place are
    grouped (docs/places.md): the canonical record (merged_into IS NULL) is the place."""

    __tablename__ = "places"
    __table_args__ = (
        UniqueConstraint("source", "source_ref"),
        CheckConstraint(in_list("category", CATEGORIES), name="category"),
        CheckConstraint(in_list("status", STATUSES), name="status"),
        CheckConstraint(in_list("operator_type", OPERATOR_TYPES), name="operator_type"),
        CheckConstraint(in_list("country", COUNTRIES), name="country"),
        Index("ix_places_geom", "geom", postgresql_using="gist"),
        Index("ix_places_geom_27700", "geom_27700", postgresql_using="gist"),
        Index("ix_places_category", "category"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    name: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(32), server_default="open")
    opened_year: Mapped[int | None] = mapped_column(Integer)
    closed_year: Mapped[int | None] = mapped_column(Integer)
    operator_type: Mapped[str] = mapped_column(String(32), server_default="unknown")
    source: Mapped[str] = mapped_column(String(80), comment="Source key, e.g. dcms-libraries-2016, osm")
    source_ref: Mapped[str] = mapped_column(Text, comment="The record's id at its source, e.g. node/123")
    attributes: Mapped[dict] = mapped_column(JSONB, server_default="{}")
    # NULL: the source gives no location (a list row no located record matches); such a record
    # is kept, counted by country, and left out of every spatial answer (docs/places.md).
    geom = mapped_column(Geometry("POINT", srid=4326, spatial_index=False), nullable=True)
    geom_27700 = mapped_column(Geometry("POINT", srid=27700, spatial_index=False),
                               Computed("ST_Transform(geom, 27700)", persisted=True))
    import_run_id: Mapped[int] = mapped_column(ForeignKey("import_runs.id"), index=True)
    updated_at = mapped_column(DateTime(timezone=True), server_default=func.now())
    source_version: Mapped[int | None] = mapped_column(
        Integer, comment="The record's version at its source, where it has one (OpenStreetMap's version)")
    source_timestamp = mapped_column(
        DateTime(timezone=True), nullable=True,
        comment="When the source last changed the record, where it says (OpenStreetMap's timestamp)")
    country: Mapped[str | None] = mapped_column(
        String(9), index=True,
        comment="GSS code of the UK country the record lies in (2023 LAD boundaries), else the one its "
                "source states; set by loaders/sql/place_country.sql after every places load")
    merged_into: Mapped[int | None] = mapped_column(
        ForeignKey("places.id", ondelete="SET NULL"), index=True,
        comment="The canonical record of the real place this record describes (NULL: this record "
                "is the place); set by loaders/identity.py after every places load")


class PlaceStatus(Base):
    """A place's status in a given year, as a dated source reported it (history is kept)."""

    __tablename__ = "place_status"
    __table_args__ = (
        CheckConstraint(in_list("status", STATUSES), name="status"),
        CheckConstraint(in_list("operator_type", OPERATOR_TYPES), name="operator_type"),
    )

    place_id: Mapped[int] = mapped_column(ForeignKey("places.id", ondelete="CASCADE"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(32))
    operator_type: Mapped[str] = mapped_column(String(32), server_default="unknown")
    import_run_id: Mapped[int] = mapped_column(ForeignKey("import_runs.id"), index=True)


class PlaceYear(Base):
    """A place's resolved status in each year of STATUS_YEARS (derived from the stored history by
    places/sql/place_years.sql inside every load that changes places or their status; never
    edited). No row: nothing says the place existed that year (e.g. before it opened)."""

    __tablename__ = "place_years"
    __table_args__ = (
        CheckConstraint(in_list("status", STATUSES), name="status"),
        # a place's years in order: its latest status (the collection's) is one probe
        Index("ix_place_years_place_id_year", "place_id", "year"),
    )

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id", ondelete="CASCADE"), primary_key=True)
    status: Mapped[str] = mapped_column(String(32))


class PlaceCurrent(Base):
    """What the places collection serves of a place that more than its canonical record decides,
    stored so the collection reads columns and a filter on status reads an index (a per-row
    probe of place_years made a status filter slower than a table scan). Derived, never edited:
    places/sql/place_current.sql writes it as a difference after place_years, inside every load
    that changes places and every edit (for the edited place). One row per place."""

    __tablename__ = "place_current"
    __table_args__ = (CheckConstraint(in_list("status", STATUSES), name="status"),)

    place_id: Mapped[int] = mapped_column(ForeignKey("places.id", ondelete="CASCADE"), primary_key=True)
    status: Mapped[str] = mapped_column(
        String(32), index=True,
        comment="The status served: the place's latest year in place_years (a live planner edit: the "
                "edit's status; no year resolved: the canonical record's)")
    sources: Mapped[list] = mapped_column(
        JSONB, comment="Every record of the place (source, source_ref, name, status as published), "
                       "by source and source_ref")
    # json, not jsonb: kept as text in the registry's order, so a page concatenates it (migration 0018).
    properties: Mapped[dict] = mapped_column(
        JSON, comment="The feature's properties as the places collection serves them (app/collections.py, "
                      "in its order), built when the row is written")
    properties_key: Mapped[str] = mapped_column(
        String(16), comment="The key of the registry that built `properties` (app/collections.py "
                            "Collection.properties_key): served only while it is the running one's")
