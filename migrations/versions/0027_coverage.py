"""coverage: what each import run of places claims to list completely (extent × categories × years)

Until now every analysis took "no place of this kind loaded here" for "no place here". Each places
load now records its claim (`coverage`, one row per claim, with its import run), and the refresh
resolves the claims onto the small areas (`analysis_coverage`), so a measure is computed only where
its category is known. (Trafford's leisure centres load as `sports_centre`, in the vocabulary since 0023.)

The three national library lists loaded before this revision get the claims their loaders now make
(England; their years), so an existing database's library analyses go on answering; every other
source states its coverage when it is next loaded (docs/places.md, "Coverage").

Revision ID: 0027
Revises: 0026
"""
from alembic import op
import sqlalchemy as sa
import geoalchemy2
from sqlalchemy.dialects import postgresql

revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None

# The claims of the national lists' loaders (loaders/libraries.py), for runs loaded before this revision.
NATIONAL = {"dcms-libraries-2016": (2010, 2016), "dcms-libraries-basic-2023": (2016, 2023),
            "librarieshacked-libraries-uk-2025": (2024, 2025)}


def upgrade() -> None:
    op.create_table('coverage',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('import_run_id', sa.BigInteger(), nullable=False),
    sa.Column('source', sa.String(length=80), nullable=False, comment='The source key of the places it covers (places.source)'),
    sa.Column('categories', sa.ARRAY(sa.Text()), nullable=False, comment='The categories it lists completely'),
    sa.Column('first_year', sa.Integer(), nullable=False),
    sa.Column('last_year', sa.Integer(), nullable=False),
    sa.Column('extent_kind', sa.String(length=16), nullable=False),
    sa.Column('area_codes', sa.ARRAY(sa.Text()), nullable=True, comment='GSS codes of the areas the extent stands for (a country, authorities)'),
    sa.Column('geom_27700', geoalchemy2.types.Geometry(geometry_type='MULTIPOLYGON', srid=27700, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True, comment='The extent as a shape (a box or polygon), when given as one'),
    sa.Column('basis', sa.Text(), nullable=False, comment='Why the source claims this, in words (shown with not_covered)'),
    sa.CheckConstraint('area_codes IS NOT NULL OR geom_27700 IS NOT NULL', name=op.f('ck_coverage_extent')),
    sa.CheckConstraint("extent_kind IN ('area', 'bbox', 'polygon')", name=op.f('ck_coverage_extent_kind')),
    sa.CheckConstraint('first_year <= last_year', name=op.f('ck_coverage_years')),
    sa.ForeignKeyConstraint(['import_run_id'], ['import_runs.id'], name=op.f('fk_coverage_import_run_id_import_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coverage'))
    )
    op.create_index('ix_coverage_geom_27700', 'coverage', ['geom_27700'], unique=False, postgresql_using='gist')
    op.create_index(op.f('ix_coverage_import_run_id'), 'coverage', ['import_run_id'], unique=False)
    op.create_index(op.f('ix_coverage_source'), 'coverage', ['source'], unique=False)
    op.create_table('analysis_coverage',
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False, comment="Small-area (LSOA) code; '*': the years known in every small area"),
    sa.Column('years', postgresql.INT4MULTIRANGE(), nullable=False, comment='The years covered (union of the claims)'),
    sa.Column('coverage_ids', sa.ARRAY(sa.BigInteger()), nullable=False, comment='The claims (coverage.id)'),
    sa.PrimaryKeyConstraint('category', 'code', name=op.f('pk_analysis_coverage'))
    )
    op.create_table('analysis_coverage_extents',
    sa.Column('coverage_id', sa.BigInteger(), nullable=False, comment='coverage.id'),
    sa.Column('geom', geoalchemy2.types.Geometry(geometry_type='MULTIPOLYGON', srid=4326, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True, comment='NULL: none of the areas it names is loaded'),
    sa.Column('small_areas', sa.Integer(), nullable=False, comment='Small-area origins inside it'),
    sa.PrimaryKeyConstraint('coverage_id', name=op.f('pk_analysis_coverage_extents'))
    )
    for table in ("coverage", "analysis_coverage", "analysis_coverage_extents"):  # inputs and outputs of a refresh step (analysis.step)
        op.execute(f"CREATE TRIGGER {table}_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                   f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version()")
    for source, (first, last) in NATIONAL.items():
        op.execute(sa.text("""
            INSERT INTO coverage (import_run_id, source, categories, first_year, last_year, extent_kind,
                                  area_codes, basis)
            SELECT max(r.id), :source, ARRAY['library'], :first, :last, 'area', ARRAY['E92000001'],
                   'a national list of public libraries in England (claim recorded by migration 0027)'
            FROM import_runs r JOIN sources s ON s.id = r.source_id WHERE s.key = :source
            HAVING count(*) > 0""").bindparams(source=source, first=first, last=last))


def downgrade() -> None:
    op.drop_table('analysis_coverage_extents')
    op.drop_table('analysis_coverage')
    op.drop_index(op.f('ix_coverage_source'), table_name='coverage')
    op.drop_index(op.f('ix_coverage_import_run_id'), table_name='coverage')
    op.drop_index('ix_coverage_geom_27700', table_name='coverage')
    op.drop_table('coverage')
