"""Area statistics: population, deprivation scores and ranks, by period."""
from sqlalchemy import BigInteger, Double, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class Indicator(Base):
    __tablename__ = "indicators"
    __table_args__ = (UniqueConstraint("area_code", "indicator", "period"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    area_code: Mapped[str] = mapped_column(String(16), index=True)
    indicator: Mapped[str] = mapped_column(String(64), comment="e.g. population, imd_rank, imd_decile")
    period: Mapped[str] = mapped_column(String(16), comment="e.g. 2022 (mid-year), 2019 (IoD)")
    value: Mapped[float | None] = mapped_column(Double)
    import_run_id: Mapped[int] = mapped_column(ForeignKey("import_runs.id"), index=True)
