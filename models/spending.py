"""Local-authority spending: area × financial year × service line, in nominal pounds."""
from decimal import Decimal

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, in_list

BASES = ("outturn", "budget")


class Spending(Base):
    __tablename__ = "spending"
    __table_args__ = (
        UniqueConstraint("dataset", "area_code", "financial_year", "service", "basis", "measure"),
        CheckConstraint(in_list("basis", BASES), name="basis"),
        Index("ix_spending_area_year", "area_code", "financial_year"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    dataset: Mapped[str] = mapped_column(String(16), comment="Published table: RS, RO3, RA")
    area_code: Mapped[str] = mapped_column(String(16), comment="ONS GSS code of the authority")
    financial_year: Mapped[str] = mapped_column(String(7), comment="e.g. 2014-15")
    service: Mapped[str] = mapped_column(String(64), comment="Stable service line, e.g. public_health")
    basis: Mapped[str] = mapped_column(String(8), comment="outturn (spent) or budget (planned)")
    measure: Mapped[str] = mapped_column(String(40), server_default="net_current_expenditure")
    amount_gbp: Mapped[Decimal | None] = mapped_column(
        Numeric(16, 2), comment="Nominal £; NULL when the return was not received")
    source_line: Mapped[str | None] = mapped_column(Text, comment="The line as published")
    import_run_id: Mapped[int] = mapped_column(ForeignKey("import_runs.id"), index=True)
