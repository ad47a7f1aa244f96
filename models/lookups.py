"""Code lookups between geographies and between code systems."""
from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class AreaLookup(Base):
    """One published lookup row: an area and the area containing it (e.g. LSOA21 → UTLA23)."""

    __tablename__ = "area_lookups"
    __table_args__ = (UniqueConstraint("lookup", "code", "parent_level"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    lookup: Mapped[str] = mapped_column(String(64), comment="Which published lookup, e.g. lsoa21_utla23")
    code: Mapped[str] = mapped_column(String(16), index=True)
    level: Mapped[str] = mapped_column(String(16), comment="Level of code, e.g. lsoa")
    parent_code: Mapped[str] = mapped_column(String(16), index=True)
    parent_level: Mapped[str] = mapped_column(String(16))
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
