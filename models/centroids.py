"""Representative points of areas (e.g. ONS population-weighted LSOA centroids)."""
from geoalchemy2 import Geometry
from sqlalchemy import BigInteger, CheckConstraint, Computed, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base
from models.vintages import vintage_check


class Centroid(Base):
    __tablename__ = "centroids"
    __table_args__ = (
        UniqueConstraint("code", "kind", "vintage"),
        CheckConstraint(vintage_check("vintage"), name="vintage"),
        Index("ix_centroids_geom", "geom", postgresql_using="gist"),
        Index("ix_centroids_geom_27700", "geom_27700", postgresql_using="gist"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), comment="GSS code of the area, e.g. an LSOA11 code")
    name: Mapped[str | None] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(32), comment="e.g. population_weighted")
    vintage: Mapped[str] = mapped_column(String(16))
    geom = mapped_column(Geometry("POINT", srid=4326, spatial_index=False), nullable=False)
    geom_27700 = mapped_column(Geometry("POINT", srid=27700, spatial_index=False),
                               Computed("ST_Transform(geom, 27700)", persisted=True))
    import_run_id: Mapped[int] = mapped_column(ForeignKey("import_runs.id"), index=True)
