"""places: country (GSS code), records without a location (geom NULL); place_features serves the
place's current status from place_years and its country

Revision ID: 0010_place_country
Revises: 0009
"""
from alembic import op
import sqlalchemy as sa

revision = '0010_place_country'
down_revision = '0009'
branch_labels = None
depends_on = None

# The places collection: one feature per real place (its canonical record), with every
# publisher's record of it (docs/places.md). Its status is the place's latest year in
# place_years (records keep their own status as published); its closure year (unless open) and operator come
# from the records of the place that state them, newest list first.
GROUP = "FROM places r WHERE r.id = p.id OR r.merged_into = p.id"
NEWEST = "ORDER BY substring(r.source FROM '-([12][0-9]{3})$') DESC NULLS LAST, r.source, r.source_ref LIMIT 1"
PLACE_FEATURES = f"""
    CREATE VIEW place_features AS
    SELECT p.id, p.name, p.category, coalesce(y.status, p.status) AS status,
           coalesce(p.opened_year, (SELECT min(r.opened_year) {GROUP})) AS opened_year,
           CASE WHEN coalesce(y.status, p.status) <> 'open'
                THEN (SELECT r.closed_year {GROUP} AND r.closed_year IS NOT NULL {NEWEST}) END AS closed_year,
           coalesce((SELECT r.operator_type {GROUP} AND r.operator_type <> 'unknown' {NEWEST}),
                    p.operator_type) AS operator_type,
           p.source, p.source_ref, p.attributes, p.geom, p.geom_27700, p.country, p.import_run_id,
           p.updated_at,
           (SELECT json_agg(json_build_object('source', r.source, 'source_ref', r.source_ref,
                                              'name', r.name, 'status', r.status)
                            ORDER BY r.source, r.source_ref) {GROUP}) AS sources
    FROM places p
    LEFT JOIN LATERAL (SELECT status FROM place_years WHERE place_id = p.id ORDER BY year DESC LIMIT 1) y ON true
    WHERE p.merged_into IS NULL"""

PLACE_FEATURES_0008 = """
    CREATE VIEW place_features AS
    SELECT p.*,
           (SELECT json_agg(json_build_object('source', r.source, 'source_ref', r.source_ref,
                                              'name', r.name, 'status', r.status)
                            ORDER BY r.source, r.source_ref)
            FROM places r WHERE r.id = p.id OR r.merged_into = p.id) AS sources
    FROM places p
    WHERE p.merged_into IS NULL"""


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
    op.execute(PLACE_FEATURES_0008)
