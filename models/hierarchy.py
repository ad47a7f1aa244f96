"""Where every English small area and authority sits in the 2023 authority hierarchy.

One row per (level, code, vintage): LSOA 2011 ('2011-12') and LSOA 2021 ('2021-12') codes known to a
stored lookup, centroid or boundary, and the LTLAs and UTLAs of the 2023-12 boundaries. ``ltla``,
``utla``, ``region`` and ``country`` are 2023-12 codes. Rebuilt set-based
(``loaders/sql/area_hierarchy.sql``) inside every boundary, lookup or centroid load, so analysis
rolls small areas up by joining this table only.
"""
from sqlalchemy import CheckConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, in_list
from models.vintages import vintage_check

HIERARCHY_LEVELS = ("lsoa", "ltla", "utla")


class AreaHierarchy(Base):
    __tablename__ = "area_hierarchy"
    __table_args__ = (
        CheckConstraint(in_list("level", HIERARCHY_LEVELS), name="level"),
        CheckConstraint(vintage_check("vintage"), name="vintage"),
        # Complete for England: only a county (two-tier UTLA) has no LTLA of its own.
        CheckConstraint("ltla IS NOT NULL OR (level = 'utla' AND code = utla)", name="ltla"),
        Index("ix_area_hierarchy_ltla", "ltla"),
        Index("ix_area_hierarchy_utla", "utla"),
        Index("ix_area_hierarchy_region", "region"),
    )

    level: Mapped[str] = mapped_column(String(16), primary_key=True)
    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    vintage: Mapped[str] = mapped_column(String(16), primary_key=True,
                                         comment="Vintage of code: 2011-12, 2021-12 (LSOA), 2023-12")
    ltla: Mapped[str | None] = mapped_column(String(16), comment="2023-12 LTLA (NULL for a county)")
    utla: Mapped[str] = mapped_column(String(16), comment="2023-12 UTLA")
    region: Mapped[str] = mapped_column(String(16), comment="Region (E12…)")
    country: Mapped[str] = mapped_column(String(16), comment="Country (E92000001)")
