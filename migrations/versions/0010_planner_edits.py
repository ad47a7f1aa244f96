"""planner edits: edit records, audit, proposals; the places view shows edits

Revision ID: 0010
Revises: 0009
"""
from alembic import op
import sqlalchemy as sa
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

# The places collection: one feature per real place — its canonical record, or, where a planner
# amended it (a live place_edits row), the edit record's values under the place's id — with
# every record of the place in `sources` (docs/places.md, docs/edits.md). Two branches of one
# UNION ALL, so a bbox on geom still reaches the GiST index of places in each.
PLACE_FEATURES = """
    CREATE VIEW place_features AS
    SELECT f.*,
           (SELECT json_agg(json_build_object('source', r.source, 'source_ref', r.source_ref,
                                              'name', r.name, 'status', r.status)
                            ORDER BY r.source, r.source_ref)
            FROM places r WHERE r.id = f.id OR r.merged_into = f.id) AS sources
    FROM (
        SELECT p.id, p.name, p.category, p.status, p.opened_year, p.closed_year, p.operator_type,
               p.source, p.source_ref, p.attributes, p.geom, p.geom_27700, p.import_run_id,
               p.updated_at, p.merged_into
        FROM places p
        WHERE p.merged_into IS NULL
          AND NOT EXISTS (SELECT 1 FROM place_edits pe JOIN places e ON e.id = pe.record_id
                          WHERE e.merged_into = p.id AND pe.superseded_by IS NULL)
        UNION ALL
        SELECT p.id, e.name, e.category, e.status, e.opened_year, e.closed_year, e.operator_type,
               p.source, p.source_ref, e.attributes, e.geom, e.geom_27700, e.import_run_id,
               e.updated_at, p.merged_into
        FROM (SELECT DISTINCT ON (e.merged_into) e.*  -- the newest live edit of the place
              FROM place_edits pe JOIN places e ON e.id = pe.record_id
              WHERE pe.superseded_by IS NULL AND e.merged_into IS NOT NULL
              ORDER BY e.merged_into, e.updated_at DESC, e.id DESC) e
        JOIN places p ON p.id = e.merged_into AND p.merged_into IS NULL) f"""



def upgrade() -> None:
    op.create_table('place_audit',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('place_id', sa.BigInteger(), nullable=False, comment='The place (its id in the collection)'),
    sa.Column('record_id', sa.BigInteger(), nullable=False, comment='The record written'),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('key_id', sa.BigInteger(), nullable=True, comment='The API key that made the change'),
    sa.Column('import_run_id', sa.BigInteger(), nullable=False, comment="The edit's own import run, or the load that superseded it"),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('before', postgresql.JSONB(astext_type=sa.Text()), nullable=True, comment='The place as served before (null: new)'),
    sa.Column('after', postgresql.JSONB(astext_type=sa.Text()), nullable=False, comment='The place as served after'),
    sa.CheckConstraint("action IN ('create', 'replace', 'update', 'delete', 'superseded', 'accept')", name=op.f('ck_place_audit_action')),
    sa.ForeignKeyConstraint(['import_run_id'], ['import_runs.id'], name=op.f('fk_place_audit_import_run_id_import_runs')),
    sa.ForeignKeyConstraint(['key_id'], ['api_keys.id'], name=op.f('fk_place_audit_key_id_api_keys')),
    sa.ForeignKeyConstraint(['place_id'], ['places.id'], name=op.f('fk_place_audit_place_id_places')),
    sa.ForeignKeyConstraint(['record_id'], ['places.id'], name=op.f('fk_place_audit_record_id_places')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_place_audit'))
    )
    op.create_index(op.f('ix_place_audit_import_run_id'), 'place_audit', ['import_run_id'], unique=False)
    op.create_index(op.f('ix_place_audit_key_id'), 'place_audit', ['key_id'], unique=False)
    op.create_index('ix_place_audit_place_id_at', 'place_audit', ['place_id', 'at'], unique=False)
    op.create_table('place_edits',
    sa.Column('record_id', sa.BigInteger(), nullable=False, comment="The edit record (a places row of source 'edits')"),
    sa.Column('amends', sa.BigInteger(), nullable=False, comment="The publisher's record it amends"),
    sa.Column('based_on', sa.String(length=32), nullable=False, comment="md5 of the amended record's published values when the edit was made (edits/sql/published_hash.sql)"),
    sa.Column('superseded_by', sa.BigInteger(), nullable=True, comment="The load that changed the amended record since: the edit no longer wins (reported in that load's report)"),
    sa.ForeignKeyConstraint(['amends'], ['places.id'], name=op.f('fk_place_edits_amends_places'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['record_id'], ['places.id'], name=op.f('fk_place_edits_record_id_places'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['superseded_by'], ['import_runs.id'], name=op.f('fk_place_edits_superseded_by_import_runs')),
    sa.PrimaryKeyConstraint('record_id', name=op.f('pk_place_edits')),
    sa.UniqueConstraint('amends', name=op.f('uq_place_edits_amends'))
    )
    op.create_geospatial_table('place_proposals',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('client', sa.String(length=64), nullable=False, comment="SHA-256 of the client's address (rate limit)"),
    sa.Column('submitted_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('name', sa.Text(), nullable=True),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('opened_year', sa.Integer(), nullable=True),
    sa.Column('closed_year', sa.Integer(), nullable=True),
    sa.Column('operator_type', sa.String(length=32), nullable=False),
    sa.Column('attributes', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.Column('geom', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('state', sa.String(length=16), server_default='pending', nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by', sa.BigInteger(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True, comment='Why it was rejected, as the moderator said'),
    sa.Column('place_id', sa.BigInteger(), nullable=True, comment='The record made on acceptance'),
    sa.CheckConstraint("category IN ('library', 'community_centre', 'youth_centre', 'village_hall', 'social_centre', 'childrens_centre', 'place_of_worship', 'food_bank', 'arts_centre', 'social_facility', 'town_hall', 'other')", name=op.f('ck_place_proposals_category')),
    sa.CheckConstraint("operator_type IN ('council', 'community_supported', 'community', 'independent_community', 'commercial', 'other', 'unknown')", name=op.f('ck_place_proposals_operator_type')),
    sa.CheckConstraint("state IN ('pending', 'accepted', 'rejected')", name=op.f('ck_place_proposals_state')),
    sa.CheckConstraint("status IN ('open', 'closed', 'temporarily_closed')", name=op.f('ck_place_proposals_status')),
    sa.ForeignKeyConstraint(['decided_by'], ['api_keys.id'], name=op.f('fk_place_proposals_decided_by_api_keys')),
    sa.ForeignKeyConstraint(['place_id'], ['places.id'], name=op.f('fk_place_proposals_place_id_places')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_place_proposals'))
    )
    op.create_index('ix_place_proposals_client_submitted_at', 'place_proposals', ['client', 'submitted_at'], unique=False)
    op.create_index('ix_place_proposals_state', 'place_proposals', ['state'], unique=False)
    # A live edit changes what the places collection serves: its ETags follow place_edits too.
    op.execute("CREATE TRIGGER place_edits_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
               "ON place_edits FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version()")
    op.execute("DROP VIEW place_features")
    op.execute(PLACE_FEATURES)


def downgrade() -> None:
    op.execute("DROP VIEW place_features")
    op.execute(op.get_context().script.get_revision("0008").module.PLACE_FEATURES)  # 0008's view
    op.drop_index('ix_place_proposals_state', table_name='place_proposals')
    op.drop_index('ix_place_proposals_client_submitted_at', table_name='place_proposals')
    op.drop_geospatial_table('place_proposals')
    op.drop_table('place_edits')
    op.drop_index('ix_place_audit_place_id_at', table_name='place_audit')
    op.drop_index(op.f('ix_place_audit_key_id'), table_name='place_audit')
    op.drop_index(op.f('ix_place_audit_import_run_id'), table_name='place_audit')
    op.drop_table('place_audit')
