"""places.source_version and source_timestamp (OpenStreetMap's version and timestamp of each
record); place_reviews, the identity engine's review queue (docs/places.md); the optional OSM
categories (pub, cafe, sports_centre, park, playground) in the category vocabulary

Revision ID: 0023
Revises: 0022
"""
from alembic import op
import sqlalchemy as sa

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None

BEFORE = ('library', 'community_centre', 'youth_centre', 'village_hall', 'social_centre', 'childrens_centre',
          'place_of_worship', 'food_bank', 'arts_centre', 'social_facility', 'town_hall', 'other')
AFTER = BEFORE + ('pub', 'cafe', 'sports_centre', 'park', 'playground')


def _categories(values: tuple[str, ...]) -> None:
    for table in ('places', 'place_proposals'):
        op.drop_constraint(op.f(f'ck_{table}_category'), table, type_='check')
        op.create_check_constraint(op.f(f'ck_{table}_category'), table,
                                   "category IN (" + ", ".join(f"'{v}'" for v in values) + ")")


def upgrade() -> None:
    op.add_column('places', sa.Column('source_version', sa.Integer(), nullable=True, comment="The record's version at its source, where it has one (OpenStreetMap's version)"))
    op.add_column('places', sa.Column('source_timestamp', sa.DateTime(timezone=True), nullable=True, comment="When the source last changed the record, where it says (OpenStreetMap's timestamp)"))
    op.create_table(
        'place_reviews',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('ref_a', sa.Text(), nullable=False, comment="One record, 'source:source_ref' (the smaller)"),
        sa.Column('ref_b', sa.Text(), nullable=False, comment="The other record, 'source:source_ref'"),
        sa.Column('rule', sa.String(length=64), nullable=False, comment='Why it is doubtful (places/identity.py decide)'),
        sa.Column('distance', sa.Float(), nullable=False, comment='Metres between the two records'),
        sa.Column('score', sa.Float(), nullable=True, comment='Name similarity 0–100 (null: a name is generic)'),
        sa.Column('state', sa.String(length=16), server_default='pending', nullable=False),
        sa.Column('key_id', sa.BigInteger(), nullable=True, comment='The key that decided'),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('listed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.CheckConstraint("state IN ('pending', 'accepted', 'rejected')", name=op.f('ck_place_reviews_state')),
        sa.ForeignKeyConstraint(['key_id'], ['api_keys.id'], name=op.f('fk_place_reviews_key_id_api_keys')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_place_reviews')),
        sa.UniqueConstraint('ref_a', 'ref_b', name=op.f('uq_place_reviews_ref_a_ref_b')),
    )
    op.create_index(op.f('ix_place_reviews_state'), 'place_reviews', ['state'], unique=False)
    _categories(AFTER)


def downgrade() -> None:
    for table in ('places', 'place_proposals'):
        op.execute(f"DELETE FROM {table} WHERE category IN ('pub', 'cafe', 'sports_centre', 'park', 'playground')")
    _categories(BEFORE)
    op.drop_index(op.f('ix_place_reviews_state'), table_name='place_reviews')
    op.drop_table('place_reviews')
    op.drop_column('places', 'source_timestamp')
    op.drop_column('places', 'source_version')
