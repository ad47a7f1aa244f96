"""analysis_grant_places: grants tied to the places their recipients run — by charity or company
number in a place's attributes (linked), or by a similar name near where the grant lands (a
candidate for review, never linked silently); rebuilt by the analysis refresh (analysis/grant_places.py)

Revision ID: 0025
Revises: 0024
"""
from alembic import op
import sqlalchemy as sa

from models.base import in_list
from models.grants import LINK_BASES, LINK_STATES

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
    op.execute("CREATE TRIGGER analysis_grant_places_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
               "ON analysis_grant_places FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version()")


def downgrade() -> None:
    op.drop_table('analysis_grant_places')
