"""analysis_steps: what each refresh step last ran on; data_versions triggers on its other inputs

Revision ID: 0011
Revises: 0010
"""
from alembic import op
import sqlalchemy as sa

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

# The analysis inputs (and outputs) 0005 left without a change counter; fixed here (not imported)
# so this migration keeps meaning what it meant when written.
TABLES = ("place_years", "area_hierarchy", "area_lookups", "centroids", "analysis_small_areas")


def upgrade() -> None:
    op.create_table('analysis_steps',
    sa.Column('step', sa.String(length=63), nullable=False, comment="The step's name in analysis.STEPS"),
    sa.Column('versions', sa.Text(), nullable=False, comment='table=version,… of its inputs and outputs when it last ran (data_versions)'),
    sa.PrimaryKeyConstraint('step', name=op.f('pk_analysis_steps'))
    )
    for table in TABLES:
        op.execute(f"CREATE TRIGGER {table}_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                   f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version()")


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_data_version ON {table}")
    op.drop_table('analysis_steps')
