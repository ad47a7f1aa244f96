"""places: country (GSS code), records without a location (geom NULL); place_features serves the
place's country and its current status by year

Revision ID: 0012_place_country
Revises: 0011
"""
from alembic import op
import sqlalchemy as sa

revision = '0012_place_country'
down_revision = '0011'
branch_labels = None
depends_on = None

# The places collection: one feature per real place — its canonical record, or, where a planner
# amended it (a live place_edits row), the edit record's values under the place's id — with
# every record of the place in `sources` (docs/places.md, docs/edits.md), its `country`, and
# `current_status`: the place's latest year in place_years (a live edit's own status), else the
# record's. Records keep their status as published (`status`, which place_years reads). Two
# branches of one UNION ALL, so a bbox on geom still reaches the GiST index of places in each.
PLACE_FEATURES = """
    CREATE VIEW place_features AS
    SELECT f.*,
           CASE WHEN f.edited THEN f.status
                ELSE coalesce((SELECT y.status FROM place_years y WHERE y.place_id = f.id
                               ORDER BY y.year DESC LIMIT 1), f.status) END AS current_status,
           (SELECT json_agg(json_build_object('source', r.source, 'source_ref', r.source_ref,
                                              'name', r.name, 'status', r.status)
                            ORDER BY r.source, r.source_ref)
            FROM places r WHERE r.id = f.id OR r.merged_into = f.id) AS sources
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
        JOIN places p ON p.id = e.merged_into AND p.merged_into IS NULL) f"""


def upgrade() -> None:
    op.execute("DROP VIEW place_features")
    op.alter_column('places', 'geom', nullable=True)
    op.add_column('places', sa.Column('country', sa.String(length=9), nullable=True, comment="GSS code of the UK country the record lies in (2023 LAD boundaries), else the one its source states; set by loaders/sql/place_country.sql after every places load"))
    op.create_check_constraint(op.f('ck_places_country'), 'places', "country IN ('E92000001', 'W92000004', 'S92000003', 'N92000002')")
    op.create_index(op.f('ix_places_country'), 'places', ['country'], unique=False)
    op.execute(PLACE_FEATURES)


def downgrade() -> None:
    op.execute("DROP VIEW place_features")
    op.drop_index(op.f('ix_places_country'), table_name='places')
    op.drop_constraint(op.f('ck_places_country'), 'places', type_='check')
    op.drop_column('places', 'country')
    op.execute("DELETE FROM places WHERE geom IS NULL")
    op.alter_column('places', 'geom', nullable=False)
    op.execute(op.get_context().script.get_revision("0010").module.PLACE_FEATURES)  # 0010's view
