"""place_current: each place's served status and sources, stored; place_features reads them

Since 0012 the view computed each place's current status by a per-row probe of place_years and
its `sources` by a per-row aggregate over places: a CQL2 filter on status could use no index
(a probe per place; 5× slower than tipg's scan of the record column) and a page of 1,000 places
spent half its time in those subqueries. They are now a table of their own, written as a
difference by loaders/sql/place_current.sql after place_years in every load and every edit, and
indexed by status. A table apart from places: it is derived, like place_years, and the API role
writes it for the place it edits without writing a publisher's record (row security on places).

Revision ID: 0015
Revises: 0014
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

# The places collection: one feature per real place — its canonical record, or, where a planner
# amended it (a live place_edits row), the edit record's values under the place's id — with its
# stored current status and the records of the place (place_current). LEFT JOIN: a place is
# served in the moment between its record's write and its place_current row (one transaction);
# a filter on current_status makes it an inner join, onto place_current's status index. Two
# branches of one UNION ALL, so a bbox on geom still reaches the GiST index of places in each.
PLACE_FEATURES = """
    CREATE VIEW place_features AS
    SELECT f.*, c.status AS current_status, c.sources
    FROM (
        SELECT p.id, p.name, p.category, p.status, p.opened_year, p.closed_year, p.operator_type,
               p.source, p.source_ref, p.attributes, p.geom, p.geom_27700, p.import_run_id,
               p.updated_at, p.merged_into, p.country, false AS edited
        FROM places p
        WHERE p.merged_into IS NULL
          AND NOT EXISTS (SELECT 1 FROM place_edits pe JOIN places e ON e.id = pe.record_id
                          WHERE e.merged_into = p.id AND pe.superseded_by IS NULL)
        UNION ALL
        SELECT p.id, e.name, e.category, e.status, e.opened_year, e.closed_year, e.operator_type,
               p.source, p.source_ref, e.attributes, e.geom, e.geom_27700, e.import_run_id,
               e.updated_at, p.merged_into, coalesce(e.country, p.country), true
        FROM (SELECT DISTINCT ON (e.merged_into) e.*  -- the newest live edit of the place
              FROM place_edits pe JOIN places e ON e.id = pe.record_id
              WHERE pe.superseded_by IS NULL AND e.merged_into IS NOT NULL
              ORDER BY e.merged_into, e.updated_at DESC, e.id DESC) e
        JOIN places p ON p.id = e.merged_into AND p.merged_into IS NULL) f
    LEFT JOIN place_current c ON c.place_id = f.id"""

# What 0012's view computed per row, for the places already loaded (as of this revision; later
# loads and edits run loaders/sql/place_current.sql).
FILL = """
    INSERT INTO place_current (place_id, status, sources)
    SELECT f.id,
           CASE WHEN f.edited THEN f.status
                ELSE coalesce((SELECT y.status FROM place_years y WHERE y.place_id = f.id
                               ORDER BY y.year DESC LIMIT 1), f.status) END,
           (SELECT jsonb_agg(jsonb_build_object('source', r.source, 'source_ref', r.source_ref,
                                                'name', r.name, 'status', r.status)
                             ORDER BY r.source, r.source_ref)
            FROM places r WHERE r.id = f.id OR r.merged_into = f.id)
    FROM place_features f"""


def upgrade() -> None:
    op.execute("DROP VIEW place_features")
    op.create_table('place_current',
    sa.Column('place_id', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False, comment="The status served: the place's latest year in place_years (a live planner edit: the edit's status; no year resolved: the canonical record's)"),
    sa.Column('sources', postgresql.JSONB(astext_type=sa.Text()), nullable=False, comment='Every record of the place (source, source_ref, name, status as published), by source and source_ref'),
    sa.CheckConstraint("status IN ('open', 'closed', 'temporarily_closed')", name=op.f('ck_place_current_status')),
    sa.ForeignKeyConstraint(['place_id'], ['places.id'], name=op.f('fk_place_current_place_id_places'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('place_id', name=op.f('pk_place_current'))
    )
    op.create_index(op.f('ix_place_current_status'), 'place_current', ['status'], unique=False)
    op.execute("CREATE TRIGGER place_current_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
               "ON place_current FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version()")
    op.execute(PLACE_FEATURES)
    op.execute(FILL)


def downgrade() -> None:
    op.execute("DROP VIEW place_features")
    op.drop_index(op.f('ix_place_current_status'), table_name='place_current')
    op.drop_table('place_current')
    op.execute(op.get_context().script.get_revision("0012_place_country").module.PLACE_FEATURES)
