"""areas: Web Mercator copies of the boundaries for vector tiles, pre-simplified per zoom band

Generated (stored) columns, so PostgreSQL keeps them in step with `geom` on every load or edit:
`geom_3857`, and `geom_3857_z5`, `_z7`, `_z9` simplified (Douglas-Peucker, small parts kept) to one
tile unit (1/4096 of a tile: an eighth of a screen pixel on a 512-pixel tile) at the deepest zoom
of their band. A tile then moves and simplifies nothing at request time (app/tiles.py picks the
column by zoom).

Revision ID: 0009
Revises: 0008
"""
from alembic import op
import sqlalchemy as sa
from geoalchemy2 import Geometry

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

# Fixed here (not imported) so this migration keeps meaning what it meant when written.
COLUMNS = {
    "geom_3857": "ST_Transform(geom, 3857)",
    "geom_3857_z5": "ST_Simplify(ST_Transform(geom, 3857), 305.75, true)",
    "geom_3857_z7": "ST_Simplify(ST_Transform(geom, 3857), 76.44, true)",
    "geom_3857_z9": "ST_Simplify(ST_Transform(geom, 3857), 19.11, true)",
}


def upgrade() -> None:
    for name, expression in COLUMNS.items():
        op.add_column('areas', sa.Column(name, Geometry(geometry_type='GEOMETRY', srid=3857, spatial_index=False,
                                                        from_text='ST_GeomFromEWKT', name='geometry'),
                                         sa.Computed(expression, persisted=True), nullable=True))


def downgrade() -> None:
    for name in COLUMNS:
        op.drop_column('areas', name)
