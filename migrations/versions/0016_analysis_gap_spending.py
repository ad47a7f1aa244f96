"""analysis_gap_spending: the gap index's spending part per upper-tier authority, stored at refresh

Revision ID: 0016
Revises: 0015
"""
from alembic import op
import sqlalchemy as sa

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('analysis_gap_spending',
    sa.Column('code', sa.String(length=16), nullable=False, comment='2023 UTLA code'),
    sa.Column('unit', sa.Text(), nullable=False, comment='Its comparable unit: the UTLA, or UTLAs joined by + (analysis.reorganisations)'),
    sa.Column('base_real_per_head', sa.Double(), nullable=True, comment="The unit's real spending per head in the first year (gap_index.SPENDING_FROM)"),
    sa.Column('real_per_head', sa.Double(), nullable=True, comment="The unit's real spending per head in the last year (gap_index.SPENDING_TO)"),
    sa.Column('real_change_pct', sa.Double(), nullable=True, comment='Change between them, percent'),
    sa.Column('spending_part', sa.Double(), nullable=True, comment="percent_rank of the change among England's units: 1 = the deepest cut"),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_analysis_gap_spending'))
    )
    # A refresh step's own table carries a change counter, as its inputs (analysis.step).
    op.execute("CREATE TRIGGER analysis_gap_spending_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
               "ON analysis_gap_spending FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version()")


def downgrade() -> None:
    op.drop_table('analysis_gap_spending')
