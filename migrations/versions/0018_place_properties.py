"""place_current.properties: each place's served properties as JSON, stored; place_features in id order

A page of 1,000 places spent most of its query building JSON: json_build_object looks up the
type of each of its eleven values for every feature, and `attributes` and `sources` are jsonb,
printed to text each time (EXPLAIN ANALYZE and same-run timings in docs/benchmarks.md, session 8).
The properties object is now built once, when place_current is written (loaders/sql/place_current.sql,
after every load and every edit), in the registry's order and spelling, so a page concatenates text.

The view also changes shape so that `ORDER BY id LIMIT n` reads the first n places by the primary
key and stops, instead of reading, joining and sorting every place: PostgreSQL (15) builds no ordered
path for a UNION ALL branch that has a WHERE clause of its own, so the canonical branch is now every
record and the view's own WHERE keeps the same rows (a record merged into no place, and either the
edit branch or a place with no live edit).

Revision ID: 0018
Revises: 0017
"""
from alembic import op
import sqlalchemy as sa

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

# The places collection: one feature per real place — its canonical record, or, where a planner
# amended it (a live place_edits row), the edit record's values under the place's id — with its
# stored current status, the records of the place and the properties served (place_current).
# LEFT JOIN: a place is served in the moment between its record's write and its place_current row
# (one transaction); a filter on current_status makes it an inner join, onto place_current's status
# index. Two branches of one UNION ALL, so a bbox on geom still reaches the GiST index of places in
# each; no WHERE inside a branch (see above), so each branch keeps its primary-key order. The
# canonical record of an amended place is left out by a join, not a NOT EXISTS: a correlated
# subquery is costed per row even when run hashed, and the planner then chose plans that took
# 132 ms instead of 1.5 once the statement was prepared (its generic plan; CQL2 on status).
PLACE_FEATURES = """
    CREATE VIEW place_features AS
    SELECT f.*, c.status AS current_status, c.sources, c.properties
    FROM (
        SELECT p.id, p.name, p.category, p.status, p.opened_year, p.closed_year, p.operator_type,
               p.source, p.source_ref, p.attributes, p.geom, p.geom_27700, p.import_run_id,
               p.updated_at, p.merged_into, p.country, false AS edited
        FROM places p
        UNION ALL
        SELECT p.id, e.name, e.category, e.status, e.opened_year, e.closed_year, e.operator_type,
               p.source, p.source_ref, e.attributes, e.geom, e.geom_27700, e.import_run_id,
               e.updated_at, p.merged_into, coalesce(e.country, p.country), true
        FROM (SELECT DISTINCT ON (e.merged_into) e.*  -- the newest live edit of the place
              FROM place_edits pe JOIN places e ON e.id = pe.record_id
              WHERE pe.superseded_by IS NULL AND e.merged_into IS NOT NULL
              ORDER BY e.merged_into, e.updated_at DESC, e.id DESC) e
        JOIN places p ON p.id = e.merged_into AND p.merged_into IS NULL) f
    LEFT JOIN (SELECT DISTINCT e.merged_into AS place_id  -- the places with a live edit
               FROM place_edits pe JOIN places e ON e.id = pe.record_id
               WHERE pe.superseded_by IS NULL AND e.merged_into IS NOT NULL) amended ON amended.place_id = f.id
    LEFT JOIN place_current c ON c.place_id = f.id
    WHERE f.merged_into IS NULL AND (f.edited OR amended.place_id IS NULL)"""

# The properties of app/collections.py's `places` as of this revision (later loads and edits run
# loaders/sql/place_current.sql, which builds them from the registry).
FILL = """
    UPDATE place_current c
    SET properties = json_build_object(
        'name', t.name, 'category', t.category, 'status', t.current_status, 'country', t.country,
        'opened_year', t.opened_year, 'closed_year', t.closed_year, 'operator_type', t.operator_type,
        'source', t.source, 'source_ref', t.source_ref, 'attributes', t.attributes, 'sources', t.sources)
    FROM place_features t WHERE t.id = c.place_id"""


def upgrade() -> None:
    op.execute("DROP VIEW place_features")
    op.add_column('place_current', sa.Column(
        'properties', sa.JSON(), nullable=True,
        comment="The feature's properties as the places collection serves them (app/collections.py, "
                "in its order), built when the row is written"))
    op.execute(PLACE_FEATURES)
    op.execute(FILL)
    op.alter_column('place_current', 'properties', nullable=False)


def downgrade() -> None:
    op.execute("DROP VIEW place_features")
    op.drop_column('place_current', 'properties')
    op.execute(op.get_context().script.get_revision("0015").module.PLACE_FEATURES)
