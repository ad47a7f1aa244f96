"""API keys: who may write (and, when configured, read). Only a hash of each key is stored."""
from datetime import datetime

from sqlalchemy import ARRAY, BigInteger, CheckConstraint, DateTime, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base

SCOPES: dict[str, str] = {
    "read": "Read the API when reads need a key (KINDMAP_READS_NEED_KEY)",
    "write:places": "Create, change and withdraw places (within the key's authorities, if any)",
    "moderate": "Accept or reject places proposed by the public",
    "admin": "Everything, in every area",
}


class ApiKey(Base):
    __tablename__ = "api_keys"
    __table_args__ = (
        CheckConstraint("scopes <@ ARRAY[" + ", ".join(f"'{s}'" for s in SCOPES) + "]::varchar[]",
                        name="scopes"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    prefix: Mapped[str] = mapped_column(String(16), unique=True,
                                        comment="The key's first characters: names it in logs and lists")
    secret_hash: Mapped[str] = mapped_column(String(64), comment="SHA-256 of the whole key (hex)")
    name: Mapped[str] = mapped_column(Text, comment="Who holds it, e.g. 'Trafford planning team'")
    scopes: Mapped[list[str]] = mapped_column(ARRAY(String(32)))
    authorities: Mapped[list[str]] = mapped_column(
        ARRAY(String(16)), server_default="{}",
        comment="GSS codes of the authorities whose places the key may edit; empty: anywhere")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
