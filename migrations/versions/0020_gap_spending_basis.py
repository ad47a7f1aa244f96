"""analysis_gap_spending: which series the spending part comes from (outturn, or budget where the
unit's last outturn return is missing) and its years

Revision ID: 0020
Revises: 0019
"""
from alembic import op
import sqlalchemy as sa

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('analysis_gap_spending', sa.Column(
        'basis', sa.Text(), nullable=True,
        comment='outturn, or budget (RA) where the unit has no outturn for both years'))
    op.add_column('analysis_gap_spending', sa.Column(
        'from_year', sa.String(length=7), nullable=True, comment='First financial year of the change'))
    op.add_column('analysis_gap_spending', sa.Column(
        'to_year', sa.String(length=7), nullable=True, comment='Last financial year of the change'))


def downgrade() -> None:
    for column in ('to_year', 'from_year', 'basis'):
        op.drop_column('analysis_gap_spending', column)
