"""Code lookups between geographies and between code systems."""
from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base
from models.vintages import vintage_check


class AreaLookup(Base):
    """One published lookup row: an area and the area containing it (e.g. LSOA21 → UTLA23)."""

    __tablename__ = "area_lookups"
    __table_args__ = (
        UniqueConstraint("lookup", "code", "parent_level"),
        CheckConstraint(vintage_check("vintage"), name="vintage"),
        CheckConstraint(vintage_check("parent_vintage"), name="parent_vintage"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    lookup: Mapped[str] = mapped_column(String(64), comment="Which published lookup, e.g. lsoa21_utla23")
    code: Mapped[str] = mapped_column(String(16), index=True)
    level: Mapped[str] = mapped_column(String(16), comment="Level of code, e.g. lsoa")
    parent_code: Mapped[str] = mapped_column(String(16), index=True)
    parent_level: Mapped[str] = mapped_column(String(16))
    # Census small areas (LSOA, MSOA, OA) are named by census year in the column (LSOA11CD):
    # their vintage is kept so LSOA 2011 and 2021 codes, which overlap, stay apart.
    vintage: Mapped[str | None] = mapped_column(String(16), comment="Vintage of code, e.g. 2011-12")
    parent_vintage: Mapped[str | None] = mapped_column(String(16), comment="Vintage of parent_code")
    name: Mapped[str | None] = mapped_column(Text, comment="Name of code as the lookup prints it")
    import_run_id: Mapped[int] = mapped_column(ForeignKey("import_runs.id"), index=True)


class AuthorityCode(Base):
    """MHCLG E-codes (used in the revenue-account workbooks) and the ONS GSS codes they match."""

    __tablename__ = "authority_codes"
    __table_args__ = (UniqueConstraint("ecode", "gss_code"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    ecode: Mapped[str] = mapped_column(String(8), index=True, comment="MHCLG E-code, e.g. E4209")
    gss_code: Mapped[str] = mapped_column(String(16), index=True)
    name: Mapped[str | None] = mapped_column(Text)
    first_year: Mapped[int | None] = mapped_column(Integer, comment="First financial year (start) seen")
    last_year: Mapped[int | None] = mapped_column(Integer, comment="Last financial year (start) seen")
    import_run_id: Mapped[int] = mapped_column(ForeignKey("import_runs.id"), index=True)
