"""Statistical and administrative areas with their boundaries."""
from geoalchemy2 import Geometry
from sqlalchemy import BigInteger, CheckConstraint, Computed, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, in_list
from models.vintages import vintage_check

AREA_LEVELS = ("country", "region", "utla", "ltla", "lsoa", "ward", "custom")


class Area(Base):
    __tablename__ = "areas"
    __table_args__ = (
        UniqueConstraint("level", "code", "vintage"),
        CheckConstraint(in_list("level", AREA_LEVELS), name="level"),
        CheckConstraint(vintage_check("vintage"), name="vintage"),
        Index("ix_areas_geom", "geom", postgresql_using="gist"),
        Index("ix_areas_geom_27700", "geom_27700", postgresql_using="gist"),
        Index("ix_areas_code", "code"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), comment="ONS GSS code, e.g. E06000017")
    name: Mapped[str] = mapped_column(Text)
    level: Mapped[str] = mapped_column(String(16))
    vintage: Mapped[str] = mapped_column(String(16), comment="Boundary vintage, e.g. 2023-12")
    parent_codes: Mapped[dict] = mapped_column(
        JSONB, server_default="{}", comment="Codes of containing areas by level, e.g. {\"utla\": ...}")
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=False), nullable=False)
    # Metric work (areas, distances in metres) runs on British National Grid; kept in step by PostGIS.
    geom_27700 = mapped_column(
        Geometry("MULTIPOLYGON", srid=27700, spatial_index=False),
        Computed("ST_Transform(geom, 27700)", persisted=True))
    # Web Mercator copies for vector tiles, simplified once here to one tile unit (1/4096 of a
    # tile, an eighth of a screen pixel) at the deepest zoom of their band (app/tiles.py picks
    # one by zoom; migration 0009).
    geom_3857 = mapped_column(Geometry("GEOMETRY", srid=3857, spatial_index=False),
                              Computed("ST_Transform(geom, 3857)", persisted=True))
    geom_3857_z5 = mapped_column(Geometry("GEOMETRY", srid=3857, spatial_index=False),
                                 Computed("ST_Simplify(ST_Transform(geom, 3857), 305.75, true)", persisted=True))
    geom_3857_z7 = mapped_column(Geometry("GEOMETRY", srid=3857, spatial_index=False),
                                 Computed("ST_Simplify(ST_Transform(geom, 3857), 76.44, true)", persisted=True))
    geom_3857_z9 = mapped_column(Geometry("GEOMETRY", srid=3857, spatial_index=False),
                                 Computed("ST_Simplify(ST_Transform(geom, 3857), 19.11, true)", persisted=True))
    import_run_id: Mapped[int] = mapped_column(ForeignKey("import_runs.id"), index=True)
