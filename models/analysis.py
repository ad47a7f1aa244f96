"""Materialised results of the analysis room (``analysis/``), rebuilt by ``analysis.refresh``."""
from geoalchemy2 import Geometry
from sqlalchemy import ARRAY, BigInteger, Double, Index, Integer, SmallInteger, String, Text
from sqlalchemy.dialects.postgresql import INT4MULTIRANGE
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class SmallArea(Base):
    """One origin per small area (LSOA): where its residents are taken to live, how many, how deprived.

    England-wide the origins are the 2011 LSOAs (they carry IMD 2019 and the ONS
    population-weighted centroids); where an area's own LSOA boundaries are loaded, its LSOAs are
    the origins instead. docs/analysis.md says how population and deprivation are carried across.
    """

    __tablename__ = "analysis_small_areas"
    __table_args__ = (
        Index("ix_analysis_small_areas_origin", "origin", postgresql_using="gist"),
        Index("ix_analysis_small_areas_ltla", "ltla"),
        Index("ix_analysis_small_areas_utla", "utla"),
    )

    code: Mapped[str] = mapped_column(String(16), primary_key=True, comment="LSOA GSS code")
    vintage: Mapped[str] = mapped_column(String(16), comment="Vintage of the LSOA, e.g. 2011-12")
    name: Mapped[str | None] = mapped_column(Text)
    population: Mapped[int | None] = mapped_column(
        Integer, comment="Mid-year residents, carried from LSOA 2021 to 2011 codes where needed")
    imd_rank: Mapped[int | None] = mapped_column(Integer, comment="IMD rank (1 = most deprived)")
    imd_decile: Mapped[int | None] = mapped_column(SmallInteger, comment="IMD decile (1 = most deprived)")
    origin_kind: Mapped[str] = mapped_column(
        String(32), comment="population_weighted (a loaded centroid) or point_on_surface (of the boundary)")
    area_id: Mapped[int | None] = mapped_column(
        BigInteger, comment="areas.id of the loaded LSOA boundary, when one is loaded")
    origin = mapped_column(Geometry("POINT", srid=27700, spatial_index=False), nullable=False)
    ltla: Mapped[str | None] = mapped_column(String(16), comment="Lower-tier authority (2023) code")
    utla: Mapped[str | None] = mapped_column(String(16), comment="Upper-tier authority (2023) code")
    region: Mapped[str | None] = mapped_column(String(16), comment="Region code")


class AnalysisStep(Base):
    """What each refresh step (analysis.STEPS) last ran on: the data versions of its inputs and
    its own tables (data_versions), so a refresh skips a step none of whose tables changed."""

    __tablename__ = "analysis_steps"

    step: Mapped[str] = mapped_column(String(63), primary_key=True, comment="The step's name in analysis.STEPS")
    versions: Mapped[str] = mapped_column(
        Text, comment="table=version,… of its inputs and outputs when it last ran (data_versions)")


class GapSpending(Base):
    """The gap index's spending part per 2023 upper-tier authority (analysis/gap_spending.py): the
    comparable unit it belongs to and that unit's real change in public-health spending per head
    (spending_cut.sql), stored at refresh so requests do not recompute the series."""

    __tablename__ = "analysis_gap_spending"

    code: Mapped[str] = mapped_column(String(16), primary_key=True, comment="2023 UTLA code")
    unit: Mapped[str] = mapped_column(
        Text, comment="Its comparable unit: the UTLA, or UTLAs joined by + (analysis.reorganisations)")
    base_real_per_head: Mapped[float | None] = mapped_column(
        Double, comment="The unit's real spending per head in the first year (gap_index.SPENDING_FROM)")
    real_per_head: Mapped[float | None] = mapped_column(
        Double, comment="The unit's real spending per head in the last year (gap_index.SPENDING_TO)")
    real_change_pct: Mapped[float | None] = mapped_column(Double, comment="Change between them, percent")
    spending_part: Mapped[float | None] = mapped_column(
        Double, comment="percent_rank of the change among England's units: 1 = the deepest cut")
    basis: Mapped[str | None] = mapped_column(
        Text, comment="outturn, or budget (RA) where the unit has no outturn for both years")
    from_year: Mapped[str | None] = mapped_column(String(7), comment="First financial year of the change")
    to_year: Mapped[str | None] = mapped_column(String(7), comment="Last financial year of the change")


class SmallAreaCoverage(Base):
    """Which categories are known in each small area, and for which years: the coverage claims
    (models/coverage.py) resolved onto the small-area origins by the refresh step ``coverage``
    (analysis/coverage.py). A (small area, category) without a row, or a year outside ``years``,
    is not covered: its measures are null with the reason ``not_covered``."""

    __tablename__ = "analysis_coverage"

    category: Mapped[str] = mapped_column(String(32), primary_key=True)
    code: Mapped[str] = mapped_column(String(16), primary_key=True,
                                      comment="Small-area (LSOA) code; '*': the years known in every small area")
    years = mapped_column(INT4MULTIRANGE, nullable=False, comment="The years covered (union of the claims)")
    coverage_ids: Mapped[list[int]] = mapped_column(ARRAY(BigInteger), comment="The claims (coverage.id)")


class CoverageExtent(Base):
    """Each coverage claim's extent as a shape for maps and GET /coverage: its own shape, or the union
    of the newest loaded boundaries of the areas it names (a country: its upper-tier authorities),
    simplified to ~50 m; rebuilt by the refresh step ``coverage``."""

    __tablename__ = "analysis_coverage_extents"

    coverage_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, comment="coverage.id")
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=False), nullable=True,
                         comment="NULL: none of the areas it names is loaded")
    small_areas: Mapped[int] = mapped_column(Integer, comment="Small-area origins inside it")
class KeptAnswer(Base):
    """The costliest default answers (England-wide /priorities at each level), computed by the
    refresh (analysis/answers.py) and served while the data versions they were computed on hold."""

    __tablename__ = "analysis_answers"

    name: Mapped[str] = mapped_column(String(63), primary_key=True, comment="What it answers, e.g. priorities?level=lsoa")
    versions: Mapped[str] = mapped_column(
        Text, comment="table=version,… of the tables it was computed from (data_versions); served only while they hold")
    body: Mapped[str] = mapped_column(Text, comment="The answer's body as the route would send it")
