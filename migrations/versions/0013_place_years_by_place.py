"""place_years indexed by (place_id, year): a place's latest status is one index probe

The places collection serves each place's status from its latest row in place_years (0012's
view). With place_id alone indexed, every probe read and sorted all of a place's years, and a
filter on status made one such probe per place: a CQL2 filter on status took 3× as long.

Revision ID: 0013
Revises: 0012_place_country
"""
from alembic import op

revision = '0013'
down_revision = '0012_place_country'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_place_years_place_id_year', 'place_years', ['place_id', 'year'])
    op.drop_index('ix_place_years_place_id', table_name='place_years')


def downgrade() -> None:
    op.create_index('ix_place_years_place_id', 'place_years', ['place_id'])
    op.drop_index('ix_place_years_place_id_year', table_name='place_years')
