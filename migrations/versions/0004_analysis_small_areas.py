"""analysis room: the small-area base (analysis_small_areas)

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-28 18:00:00
"""
from alembic import op
import sqlalchemy as sa
from geoalchemy2 import Geometry

revision = '0004'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_geospatial_table('analysis_small_areas',
    sa.Column('code', sa.String(length=16), nullable=False, comment='LSOA GSS code'),
    sa.Column('vintage', sa.String(length=16), nullable=False, comment='Vintage of the LSOA, e.g. 2011-12'),
    sa.Column('name', sa.Text(), nullable=True),
    sa.Column('population', sa.Integer(), nullable=True, comment='Mid-year residents, carried from LSOA 2021 to 2011 codes where needed'),
    sa.Column('imd_rank', sa.Integer(), nullable=True, comment='IMD rank (1 = most deprived)'),
    sa.Column('imd_decile', sa.SmallInteger(), nullable=True, comment='IMD decile (1 = most deprived)'),
    sa.Column('origin_kind', sa.String(length=32), nullable=False, comment='population_weighted (a loaded centroid) or point_on_surface (of the boundary)'),
    sa.Column('area_id', sa.BigInteger(), nullable=True, comment='areas.id of the loaded LSOA boundary, when one is loaded'),
    sa.Column('origin', Geometry(geometry_type='POINT', srid=27700, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('ltla', sa.String(length=16), nullable=True, comment='Lower-tier authority (2023) code'),
    sa.Column('utla', sa.String(length=16), nullable=True, comment='Upper-tier authority (2023) code'),
    sa.Column('region', sa.String(length=16), nullable=True, comment='Region code'),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_analysis_small_areas'))
    )
    op.create_geospatial_index('ix_analysis_small_areas_origin', 'analysis_small_areas', ['origin'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index('ix_analysis_small_areas_ltla', 'analysis_small_areas', ['ltla'], unique=False)
    op.create_index('ix_analysis_small_areas_utla', 'analysis_small_areas', ['utla'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_analysis_small_areas_utla', table_name='analysis_small_areas')
    op.drop_index('ix_analysis_small_areas_ltla', table_name='analysis_small_areas')
    op.drop_geospatial_index('ix_analysis_small_areas_origin', table_name='analysis_small_areas', postgresql_using='gist', column_name='origin')
    op.drop_geospatial_table('analysis_small_areas')
