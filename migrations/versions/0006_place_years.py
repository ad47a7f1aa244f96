"""place_years: every place's resolved status for each year 2010–2025

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('place_years',
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('place_id', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.CheckConstraint("status IN ('open', 'closed', 'temporarily_closed')", name=op.f('ck_place_years_status')),
    sa.ForeignKeyConstraint(['place_id'], ['places.id'], name=op.f('fk_place_years_place_id_places'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('year', 'place_id', name=op.f('pk_place_years'))
    )
    op.create_index('ix_place_years_place_id', 'place_years', ['place_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_place_years_place_id', table_name='place_years')
    op.drop_table('place_years')
