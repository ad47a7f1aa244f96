"""The API's role: publishers' history read-only to it, audit rows written by the database

Before, the API's role could UPDATE and DELETE any row of place_status, place_years and
place_current and INSERT any audit row: an API bug could erase what a loader recorded, or write
a trail of its choosing. Now, for every role but the tables' owner (loads, migrations: they
bypass row security as the owner, no FORCE):
- place_status: rows only of records written through the API (source edits/proposals), and no
  DELETE (as before, not granted);
- place_years, place_current: rows only of a place that is such a record or has one merged into
  it (the place an edit re-resolves); every other place's rows are read-only;
- place_audit: no INSERT; a row is written by write_place_audit(), SECURITY DEFINER (runs as the
  owner), which takes the key from the edit's import run and accepts only a run of source
  edits/proposals made in the calling transaction, for a record of that run.
Reads stay open (policies of `true`, folded away by the planner).

Revision ID: 0021
Revises: 0020
"""
from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

API_SOURCES = "('edits', 'proposals')"  # edits.places.SOURCE, edits.proposals.SOURCE
OWN_RECORD = f"EXISTS (SELECT 1 FROM places e WHERE e.id = place_status.place_id AND e.source IN {API_SOURCES})"
EDITED_PLACE = ("EXISTS (SELECT 1 FROM places e WHERE e.source IN {sources} "
                "AND (e.id = {table}.place_id OR e.merged_into = {table}.place_id))")

AUDIT_FUNCTION = f"""
CREATE FUNCTION write_place_audit(p_place bigint, p_record bigint, p_action text, p_run bigint,
                                  p_before jsonb, p_after jsonb) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    run_key bigint;
    written bigint;
BEGIN
    SELECT CAST(r.options ->> 'key_id' AS bigint) INTO run_key
    FROM import_runs r JOIN sources s ON s.id = r.source_id
    WHERE r.id = p_run AND s.key IN {API_SOURCES} AND r.xmin = CAST(pg_current_xact_id() AS xid)
      AND EXISTS (SELECT 1 FROM places p WHERE p.id = p_record AND p.import_run_id = p_run);
    IF NOT FOUND THEN
        RAISE EXCEPTION 'place_audit: import run % is no API write of this transaction (record %)', p_run, p_record
              USING ERRCODE = '42501';
    END IF;
    INSERT INTO place_audit (place_id, record_id, action, key_id, import_run_id, before, after)
    VALUES (p_place, p_record, p_action, run_key, p_run, p_before, p_after)
    RETURNING id INTO written;
    RETURN written;
END $$
"""


def upgrade() -> None:
    op.execute("ALTER TABLE place_status ENABLE ROW LEVEL SECURITY")
    op.execute("CREATE POLICY place_status_read ON place_status FOR SELECT USING (true)")
    op.execute(f"CREATE POLICY place_status_api_insert ON place_status FOR INSERT WITH CHECK ({OWN_RECORD})")
    op.execute(f"CREATE POLICY place_status_api_update ON place_status FOR UPDATE USING ({OWN_RECORD}) "
               f"WITH CHECK ({OWN_RECORD})")
    for table in ("place_years", "place_current"):
        edited = EDITED_PLACE.format(sources=API_SOURCES, table=table)
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY {table}_read ON {table} FOR SELECT USING (true)")
        op.execute(f"CREATE POLICY {table}_api_insert ON {table} FOR INSERT WITH CHECK ({edited})")
        op.execute(f"CREATE POLICY {table}_api_update ON {table} FOR UPDATE USING ({edited}) WITH CHECK ({edited})")
        op.execute(f"CREATE POLICY {table}_api_delete ON {table} FOR DELETE USING ({edited})")
    op.execute(AUDIT_FUNCTION)
    op.execute("REVOKE ALL ON FUNCTION write_place_audit(bigint, bigint, text, bigint, jsonb, jsonb) FROM PUBLIC")


def downgrade() -> None:
    op.execute("DROP FUNCTION write_place_audit(bigint, bigint, text, bigint, jsonb, jsonb)")
    for table in ("place_years", "place_current"):
        for policy in ("read", "api_insert", "api_update", "api_delete"):
            op.execute(f"DROP POLICY {table}_{policy} ON {table}")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    for policy in ("read", "api_insert", "api_update"):
        op.execute(f"DROP POLICY place_status_{policy} ON place_status")
    op.execute("ALTER TABLE place_status DISABLE ROW LEVEL SECURITY")
