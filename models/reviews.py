"""The review queue of place identity: candidate pairs the rules could not decide (docs/places.md).

places/identity.py writes every undecided pair (``pending``) on every places load, joined
meanwhile so its place is counted once; a key with ``write:places`` accepts (one place) or
rejects (two places) it through the API (app/routers/reviews.py). A decided pair is kept and wins
on every later load, like an override of data/place-overrides.toml.
"""
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, in_list

REVIEW_STATES = ("pending", "accepted", "rejected")


class PlaceReview(Base):
    __tablename__ = "place_reviews"
    __table_args__ = (
        UniqueConstraint("ref_a", "ref_b"),
        CheckConstraint(in_list("state", REVIEW_STATES), name="state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref_a: Mapped[str] = mapped_column(Text, comment="One record, 'source:source_ref' (the smaller)")
    ref_b: Mapped[str] = mapped_column(Text, comment="The other record, 'source:source_ref'")
    rule: Mapped[str] = mapped_column(String(64), comment="Why it is doubtful (places/identity.py decide)")
    distance: Mapped[float] = mapped_column(Float, comment="Metres between the two records")
    score: Mapped[float | None] = mapped_column(Float, comment="Name similarity 0–100 (null: a name is generic)")
    state: Mapped[str] = mapped_column(String(16), server_default="pending", index=True)
    key_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("api_keys.id"), comment="The key that decided")
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str | None] = mapped_column(Text)
    listed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
