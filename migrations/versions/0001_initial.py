"""initial schema: areas, places (+ status history), spending, indicators, lookups, centroids, provenance

Revision ID: 0001
Revises: 
Create Date: 2026-11-26 04:22:58.281801
"""
from alembic import op
import sqlalchemy as sa
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # An external database (KINDMAP_DATABASE_URL) may not have PostGIS enabled yet.
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.create_table('sources',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('publisher', sa.Text(), nullable=False),
    sa.Column('licence', sa.Text(), nullable=False),
    sa.Column('url', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sources')),
    sa.UniqueConstraint('key', name=op.f('uq_sources_key'))
    )
    op.create_table('import_runs',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('file_name', sa.Text(), nullable=False),
    sa.Column('file_sha256', sa.String(length=64), nullable=False),
    sa.Column('options', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('rows_read', sa.Integer(), server_default='0', nullable=False),
    sa.Column('rows_new', sa.Integer(), server_default='0', nullable=False),
    sa.Column('rows_changed', sa.Integer(), server_default='0', nullable=False),
    sa.Column('rows_rejected', sa.Integer(), server_default='0', nullable=False),
    sa.Column('report', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.ForeignKeyConstraint(['source_id'], ['sources.id'], name=op.f('fk_import_runs_source_id_sources')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_runs'))
    )
    op.create_index(op.f('ix_import_runs_file_sha256'), 'import_runs', ['file_sha256'], unique=False)
    op.create_index(op.f('ix_import_runs_source_id'), 'import_runs', ['source_id'], unique=False)
    op.create_table('area_lookups',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('lookup', sa.String(length=64), nullable=False, comment='Which published lookup, e.g. lsoa21_utla23'),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False, comment='Level of code, e.g. lsoa'),
    sa.Column('parent_code', sa.String(length=16), nullable=False),
    sa.Column('parent_level', sa.String(length=16), nullable=False),
    sa.Column('import_run_id', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['import_run_id'], ['import_runs.id'], name=op.f('fk_area_lookups_import_run_id_import_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_area_lookups')),
    sa.UniqueConstraint('lookup', 'code', 'parent_level', name=op.f('uq_area_lookups_lookup_code_parent_level'))
    )
    op.create_index(op.f('ix_area_lookups_code'), 'area_lookups', ['code'], unique=False)
    op.create_index(op.f('ix_area_lookups_import_run_id'), 'area_lookups', ['import_run_id'], unique=False)
    op.create_index(op.f('ix_area_lookups_parent_code'), 'area_lookups', ['parent_code'], unique=False)
    op.create_geospatial_table('areas',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False, comment='ONS GSS code, e.g. E06000017'),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('vintage', sa.String(length=16), nullable=False, comment='Boundary vintage, e.g. 2023-12'),
    sa.Column('parent_codes', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False, comment='Codes of containing areas by level, e.g. {"utla": ...}'),
    sa.Column('geom', Geometry(geometry_type='MULTIPOLYGON', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('geom_27700', Geometry(geometry_type='MULTIPOLYGON', srid=27700, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), sa.Computed('ST_Transform(geom, 27700)', persisted=True), nullable=True),
    sa.Column('import_run_id', sa.BigInteger(), nullable=False),
    sa.CheckConstraint("level IN ('country', 'region', 'utla', 'ltla', 'lsoa', 'ward', 'custom')", name=op.f('ck_areas_level')),
    sa.ForeignKeyConstraint(['import_run_id'], ['import_runs.id'], name=op.f('fk_areas_import_run_id_import_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_areas')),
    sa.UniqueConstraint('level', 'code', 'vintage', name=op.f('uq_areas_level_code_vintage'))
    )
    op.create_index('ix_areas_code', 'areas', ['code'], unique=False)
    op.create_geospatial_index('ix_areas_geom', 'areas', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_geospatial_index('ix_areas_geom_27700', 'areas', ['geom_27700'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_areas_import_run_id'), 'areas', ['import_run_id'], unique=False)
    op.create_table('authority_codes',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('ecode', sa.String(length=8), nullable=False, comment='MHCLG E-code, e.g. E4209'),
    sa.Column('gss_code', sa.String(length=16), nullable=False),
    sa.Column('name', sa.Text(), nullable=True),
    sa.Column('first_year', sa.Integer(), nullable=True, comment='First financial year (start) seen'),
    sa.Column('last_year', sa.Integer(), nullable=True, comment='Last financial year (start) seen'),
    sa.Column('import_run_id', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['import_run_id'], ['import_runs.id'], name=op.f('fk_authority_codes_import_run_id_import_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_authority_codes')),
    sa.UniqueConstraint('ecode', 'gss_code', name=op.f('uq_authority_codes_ecode_gss_code'))
    )
    op.create_index(op.f('ix_authority_codes_ecode'), 'authority_codes', ['ecode'], unique=False)
    op.create_index(op.f('ix_authority_codes_gss_code'), 'authority_codes', ['gss_code'], unique=False)
    op.create_index(op.f('ix_authority_codes_import_run_id'), 'authority_codes', ['import_run_id'], unique=False)
    op.create_geospatial_table('centroids',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False, comment='GSS code of the area, e.g. an LSOA11 code'),
    sa.Column('name', sa.String(length=120), nullable=True),
    sa.Column('kind', sa.String(length=32), nullable=False, comment='e.g. population_weighted'),
    sa.Column('vintage', sa.String(length=16), nullable=False),
    sa.Column('geom', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('geom_27700', Geometry(geometry_type='POINT', srid=27700, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), sa.Computed('ST_Transform(geom, 27700)', persisted=True), nullable=True),
    sa.Column('import_run_id', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['import_run_id'], ['import_runs.id'], name=op.f('fk_centroids_import_run_id_import_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_centroids')),
    sa.UniqueConstraint('code', 'kind', 'vintage', name=op.f('uq_centroids_code_kind_vintage'))
    )
    op.create_geospatial_index('ix_centroids_geom', 'centroids', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_geospatial_index('ix_centroids_geom_27700', 'centroids', ['geom_27700'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_centroids_import_run_id'), 'centroids', ['import_run_id'], unique=False)
    op.create_table('indicators',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('area_code', sa.String(length=16), nullable=False),
    sa.Column('indicator', sa.String(length=64), nullable=False, comment='e.g. population, imd_rank, imd_decile'),
    sa.Column('period', sa.String(length=16), nullable=False, comment='e.g. 2022 (mid-year), 2019 (IoD)'),
    sa.Column('value', sa.Double(), nullable=True),
    sa.Column('import_run_id', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['import_run_id'], ['import_runs.id'], name=op.f('fk_indicators_import_run_id_import_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_indicators')),
    sa.UniqueConstraint('area_code', 'indicator', 'period', name=op.f('uq_indicators_area_code_indicator_period'))
    )
    op.create_index(op.f('ix_indicators_area_code'), 'indicators', ['area_code'], unique=False)
    op.create_index(op.f('ix_indicators_import_run_id'), 'indicators', ['import_run_id'], unique=False)
    op.create_geospatial_table('places',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.Text(), nullable=True),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=32), server_default='open', nullable=False),
    sa.Column('opened_year', sa.Integer(), nullable=True),
    sa.Column('closed_year', sa.Integer(), nullable=True),
    sa.Column('operator_type', sa.String(length=32), server_default='unknown', nullable=False),
    sa.Column('source', sa.String(length=80), nullable=False, comment='Source key, e.g. dcms-libraries-2016, osm'),
    sa.Column('source_ref', sa.Text(), nullable=False, comment="The record's id at its source, e.g. node/123"),
    sa.Column('attributes', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.Column('geom', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('geom_27700', Geometry(geometry_type='POINT', srid=27700, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), sa.Computed('ST_Transform(geom, 27700)', persisted=True), nullable=True),
    sa.Column('import_run_id', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=True),
    sa.CheckConstraint("category IN ('library', 'community_centre', 'youth_centre', 'village_hall', 'social_centre', 'childrens_centre', 'place_of_worship', 'food_bank', 'arts_centre', 'social_facility', 'town_hall', 'other')", name=op.f('ck_places_category')),
    sa.CheckConstraint("operator_type IN ('council', 'community_supported', 'community', 'independent_community', 'commercial', 'other', 'unknown')", name=op.f('ck_places_operator_type')),
    sa.CheckConstraint("status IN ('open', 'closed', 'temporarily_closed')", name=op.f('ck_places_status')),
    sa.ForeignKeyConstraint(['import_run_id'], ['import_runs.id'], name=op.f('fk_places_import_run_id_import_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_places')),
    sa.UniqueConstraint('source', 'source_ref', name=op.f('uq_places_source_source_ref'))
    )
    op.create_index('ix_places_category', 'places', ['category'], unique=False)
    op.create_geospatial_index('ix_places_geom', 'places', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_geospatial_index('ix_places_geom_27700', 'places', ['geom_27700'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_places_import_run_id'), 'places', ['import_run_id'], unique=False)
    op.create_table('spending',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('dataset', sa.String(length=16), nullable=False, comment='Published table: RS, RO3, RA'),
    sa.Column('area_code', sa.String(length=16), nullable=False, comment='ONS GSS code of the authority'),
    sa.Column('financial_year', sa.String(length=7), nullable=False, comment='e.g. 2014-15'),
    sa.Column('service', sa.String(length=64), nullable=False, comment='Stable service line, e.g. public_health'),
    sa.Column('basis', sa.String(length=8), nullable=False, comment='outturn (spent) or budget (planned)'),
    sa.Column('measure', sa.String(length=40), server_default='net_current_expenditure', nullable=False),
    sa.Column('amount_gbp', sa.Numeric(precision=16, scale=2), nullable=True, comment='Nominal £; NULL when the return was not received'),
    sa.Column('source_line', sa.Text(), nullable=True, comment='The line as published'),
    sa.Column('import_run_id', sa.BigInteger(), nullable=False),
    sa.CheckConstraint("basis IN ('outturn', 'budget')", name=op.f('ck_spending_basis')),
    sa.ForeignKeyConstraint(['import_run_id'], ['import_runs.id'], name=op.f('fk_spending_import_run_id_import_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_spending')),
    sa.UniqueConstraint('dataset', 'area_code', 'financial_year', 'service', 'basis', 'measure', name=op.f('uq_spending_dataset_area_code_financial_year_service_basis_measure'))
    )
    op.create_index('ix_spending_area_year', 'spending', ['area_code', 'financial_year'], unique=False)
    op.create_index(op.f('ix_spending_import_run_id'), 'spending', ['import_run_id'], unique=False)
    op.create_table('place_status',
    sa.Column('place_id', sa.BigInteger(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('operator_type', sa.String(length=32), server_default='unknown', nullable=False),
    sa.Column('import_run_id', sa.BigInteger(), nullable=False),
    sa.CheckConstraint("operator_type IN ('council', 'community_supported', 'community', 'independent_community', 'commercial', 'other', 'unknown')", name=op.f('ck_place_status_operator_type')),
    sa.CheckConstraint("status IN ('open', 'closed', 'temporarily_closed')", name=op.f('ck_place_status_status')),
    sa.ForeignKeyConstraint(['import_run_id'], ['import_runs.id'], name=op.f('fk_place_status_import_run_id_import_runs')),
    sa.ForeignKeyConstraint(['place_id'], ['places.id'], name=op.f('fk_place_status_place_id_places'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('place_id', 'year', name=op.f('pk_place_status'))
    )
    op.create_index(op.f('ix_place_status_import_run_id'), 'place_status', ['import_run_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_place_status_import_run_id'), table_name='place_status')
    op.drop_table('place_status')
    op.drop_index(op.f('ix_spending_import_run_id'), table_name='spending')
    op.drop_index('ix_spending_area_year', table_name='spending')
    op.drop_table('spending')
    op.drop_index(op.f('ix_places_import_run_id'), table_name='places')
    op.drop_geospatial_index('ix_places_geom_27700', table_name='places', postgresql_using='gist', column_name='geom_27700')
    op.drop_geospatial_index('ix_places_geom', table_name='places', postgresql_using='gist', column_name='geom')
    op.drop_index('ix_places_category', table_name='places')
    op.drop_geospatial_table('places')
    op.drop_index(op.f('ix_indicators_import_run_id'), table_name='indicators')
    op.drop_index(op.f('ix_indicators_area_code'), table_name='indicators')
    op.drop_table('indicators')
    op.drop_index(op.f('ix_centroids_import_run_id'), table_name='centroids')
    op.drop_geospatial_index('ix_centroids_geom_27700', table_name='centroids', postgresql_using='gist', column_name='geom_27700')
    op.drop_geospatial_index('ix_centroids_geom', table_name='centroids', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('centroids')
    op.drop_index(op.f('ix_authority_codes_import_run_id'), table_name='authority_codes')
    op.drop_index(op.f('ix_authority_codes_gss_code'), table_name='authority_codes')
    op.drop_index(op.f('ix_authority_codes_ecode'), table_name='authority_codes')
    op.drop_table('authority_codes')
    op.drop_index(op.f('ix_areas_import_run_id'), table_name='areas')
    op.drop_geospatial_index('ix_areas_geom_27700', table_name='areas', postgresql_using='gist', column_name='geom_27700')
    op.drop_geospatial_index('ix_areas_geom', table_name='areas', postgresql_using='gist', column_name='geom')
    op.drop_index('ix_areas_code', table_name='areas')
    op.drop_geospatial_table('areas')
    op.drop_index(op.f('ix_area_lookups_parent_code'), table_name='area_lookups')
    op.drop_index(op.f('ix_area_lookups_import_run_id'), table_name='area_lookups')
    op.drop_index(op.f('ix_area_lookups_code'), table_name='area_lookups')
    op.drop_table('area_lookups')
    op.drop_index(op.f('ix_import_runs_source_id'), table_name='import_runs')
    op.drop_index(op.f('ix_import_runs_file_sha256'), table_name='import_runs')
    op.drop_table('import_runs')
    op.drop_table('sources')
