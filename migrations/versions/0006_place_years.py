"""place identity and place_years: records merged into their place; every place's status 2010–2025

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

# The places collection: one feature per real place (its canonical record), with every
# publisher's record of it (docs/places.md).
PLACE_FEATURES = """
    CREATE VIEW place_features AS
    SELECT p.*,
           (SELECT json_agg(json_build_object('source', r.source, 'source_ref', r.source_ref,
                                              'name', r.name, 'status', r.status)
                            ORDER BY r.source, r.source_ref)
            FROM places r WHERE r.id = p.id OR r.merged_into = p.id) AS sources
    FROM places p
    WHERE p.merged_into IS NULL"""


def upgrade() -> None:
    op.add_column('places', sa.Column('merged_into', sa.BigInteger(), nullable=True, comment='The canonical record of the real place this record describes (NULL: this record is the place); set by loaders/identity.py after every places load'))
    op.create_index(op.f('ix_places_merged_into'), 'places', ['merged_into'], unique=False)
    op.create_foreign_key(op.f('fk_places_merged_into_places'), 'places', 'places', ['merged_into'], ['id'], ondelete='SET NULL')
    op.create_table('place_years',
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('place_id', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.CheckConstraint("status IN ('open', 'closed', 'temporarily_closed')", name=op.f('ck_place_years_status')),
    sa.ForeignKeyConstraint(['place_id'], ['places.id'], name=op.f('fk_place_years_place_id_places'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('year', 'place_id', name=op.f('pk_place_years'))
    )
    op.create_index('ix_place_years_place_id', 'place_years', ['place_id'], unique=False)
    op.execute(PLACE_FEATURES)


def downgrade() -> None:
    op.execute("DROP VIEW place_features")
    op.drop_index('ix_place_years_place_id', table_name='place_years')
    op.drop_table('place_years')
    op.drop_constraint(op.f('fk_places_merged_into_places'), 'places', type_='foreignkey')
    op.drop_index(op.f('ix_places_merged_into'), table_name='places')
    op.drop_column('places', 'merged_into')
