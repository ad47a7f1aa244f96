"""place identity: records merged into their place (places.merged_into); the place_features view

Revision ID: 0008
Revises: 0007_api_keys
"""
from alembic import op
import sqlalchemy as sa

revision = '0008'
down_revision = '0007_api_keys'
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
    op.execute(PLACE_FEATURES)


def downgrade() -> None:
    op.execute("DROP VIEW place_features")
    op.drop_constraint(op.f('fk_places_merged_into_places'), 'places', type_='foreignkey')
    op.drop_index(op.f('ix_places_merged_into'), table_name='places')
    op.drop_column('places', 'merged_into')
