"""analysis_answers: the costliest default answers (England-wide /priorities), computed by the
analysis refresh and served while their inputs' data versions hold

Revision ID: 0026
Revises: 0025
"""
from alembic import op
import sqlalchemy as sa

revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('analysis_answers',
    sa.Column('name', sa.String(length=63), nullable=False, comment='What it answers, e.g. priorities?level=lsoa'),
    sa.Column('versions', sa.Text(), nullable=False, comment='table=version,… of the tables it was computed from (data_versions); served only while they hold'),
    sa.Column('body', sa.Text(), nullable=False, comment="The answer's body as the route would send it"),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_analysis_answers'))
    )
    # A refresh step's own table carries a change counter, as its inputs (analysis.step).
    op.execute("CREATE TRIGGER analysis_answers_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
               "ON analysis_answers FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version()")


def downgrade() -> None:
    op.drop_table('analysis_answers')
