"""analysis_grant_places: grants tied to the places their recipients run — by charity or company
number in a place's attributes (linked), or by a similar name near where the grant lands (a
candidate for review, never linked silently); rebuilt by the analysis refresh (analysis/grant_places.py);
and grant_place_reviews, a reviewer's decision on a candidate, kept through the refreshes

Revision ID: 0025
Revises: 0024
"""
from alembic import op
import sqlalchemy as sa

from models.base import in_list
from models.grants import DECISIONS, LINK_BASES, LINK_STATES

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('analysis_grant_places',
    sa.Column('grant_id', sa.BigInteger(), nullable=False),
    sa.Column('place_id', sa.BigInteger(), nullable=False, comment='The place (its canonical record)'),
    sa.Column('basis', sa.String(length=16), nullable=False,
              comment='charity_number, company_number or name_distance'),
    sa.Column('state', sa.String(length=12), nullable=False,
              comment='linked (a number matched) or candidate (to review)'),
    sa.Column('matched', sa.Text(), nullable=True, comment='The number, or the place\'s name, that matched'),
    sa.Column('score', sa.Double(), nullable=True, comment='Name similarity 0–100 (name_distance)'),
    sa.Column('distance_m', sa.Double(), nullable=True,
              comment='Metres from the place to the area the grant lands in (0: inside; name_distance)'),
    sa.CheckConstraint(in_list('basis', LINK_BASES), name=op.f('ck_analysis_grant_places_basis')),
    sa.CheckConstraint(in_list('state', LINK_STATES), name=op.f('ck_analysis_grant_places_state')),
    sa.ForeignKeyConstraint(['grant_id'], ['grants.id'], name=op.f('fk_analysis_grant_places_grant_id_grants'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['place_id'], ['places.id'], name=op.f('fk_analysis_grant_places_place_id_places'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('grant_id', 'place_id', name=op.f('pk_analysis_grant_places')),
    )
    op.create_index('ix_analysis_grant_places_place_id', 'analysis_grant_places', ['place_id'])
    op.create_table('grant_place_reviews',
    sa.Column('grant_identifier', sa.Text(), nullable=False, comment='360Giving Identifier'),
    sa.Column('place_id', sa.BigInteger(), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False, comment='accepted or rejected'),
    sa.Column('key_id', sa.BigInteger(), nullable=True, comment='The key that decided'),
    sa.Column('decided_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.CheckConstraint(in_list('state', DECISIONS), name=op.f('ck_grant_place_reviews_state')),
    sa.ForeignKeyConstraint(['key_id'], ['api_keys.id'], name=op.f('fk_grant_place_reviews_key_id_api_keys')),
    sa.ForeignKeyConstraint(['place_id'], ['places.id'], name=op.f('fk_grant_place_reviews_place_id_places'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('grant_identifier', 'place_id', name=op.f('pk_grant_place_reviews')),
    )
    for table in ('analysis_grant_places', 'grant_place_reviews'):
        op.execute(f"CREATE TRIGGER {table}_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                   f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version()")


def downgrade() -> None:
    op.drop_table('grant_place_reviews')
    op.drop_table('analysis_grant_places')
