"""Where each source of places is complete: its claimed extent × categories × years.

A source lists the places of some categories *somewhere* and *as of some years*; outside that,
kindmap does not know what exists, so an analysis must not call it a gap (docs/places.md,
"Coverage"). Every places load records what it covers, one row per claim, with the import run
that made it; ``analysis_coverage`` (models/analysis.py) resolves the claims onto small areas.
"""
from geoalchemy2 import Geometry
from sqlalchemy import ARRAY, BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base

# How a claim's extent was given (coverage.extent_kind).
EXTENT_KINDS = {
    "area": "the areas named by GSS code (a council's authority, a national list's country)",
    "bbox": "a box (an OSM extract's header bbox)",
    "polygon": "a polygon (a file given with --coverage, or an extract's own polygon)",
}


class Coverage(Base):
    """One import run's claim: the places of ``categories`` in this extent in ``first_year`` …
    ``last_year`` are all in its source (a snapshot claims its own year; a list with a status
    history the years it states)."""

    __tablename__ = "coverage"
    __table_args__ = (
        CheckConstraint("first_year <= last_year", name="years"),
        CheckConstraint("area_codes IS NOT NULL OR geom_27700 IS NOT NULL", name="extent"),
        CheckConstraint("extent_kind IN ('area', 'bbox', 'polygon')", name="extent_kind"),
        Index("ix_coverage_geom_27700", "geom_27700", postgresql_using="gist"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    import_run_id: Mapped[int] = mapped_column(ForeignKey("import_runs.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(80), index=True,
                                        comment="The source key of the places it covers (places.source)")
    categories: Mapped[list[str]] = mapped_column(ARRAY(Text), comment="The categories it lists completely")
    first_year: Mapped[int] = mapped_column(Integer)
    last_year: Mapped[int] = mapped_column(Integer)
    extent_kind: Mapped[str] = mapped_column(String(16))
    area_codes: Mapped[list[str] | None] = mapped_column(
        ARRAY(Text), comment="GSS codes of the areas the extent stands for (a country, authorities)")
    geom_27700 = mapped_column(Geometry("MULTIPOLYGON", srid=27700, spatial_index=False), nullable=True,
                               comment="The extent as a shape (a box or polygon), when given as one")
    basis: Mapped[str] = mapped_column(Text, comment="Why the source claims this, in words (shown with "
                                                     "not_covered)")
