"""places: row-level security, so a role other than the owner writes only records written through the API

The API's role may INSERT and UPDATE places because an edit is a source record (source `edits`) and
an accepted proposal one more (source `proposals`); the code never writes a publisher's record,
and now the database refuses it too: for every role but the table's owner (loads and migrations,
which bypass row security as the owner: no FORCE) an UPDATE sees only those two sources' rows (a
publisher's record changes 0 rows) and an INSERT or UPDATE that would make a row of another source
is refused. Reads stay open (a policy of `true`, folded away by the planner: plans unchanged).

Revision ID: 0014
Revises: 0013
"""
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

# edits.places.SOURCE and edits.proposals.SOURCE, as of this revision
WRITTEN_THROUGH_THE_API = "source IN ('edits', 'proposals')"


def upgrade() -> None:
    op.execute("ALTER TABLE places ENABLE ROW LEVEL SECURITY")
    op.execute("CREATE POLICY places_read ON places FOR SELECT USING (true)")
    op.execute(f"CREATE POLICY places_api_insert ON places FOR INSERT WITH CHECK ({WRITTEN_THROUGH_THE_API})")
    op.execute(f"CREATE POLICY places_api_update ON places FOR UPDATE USING ({WRITTEN_THROUGH_THE_API}) "
               f"WITH CHECK ({WRITTEN_THROUGH_THE_API})")


def downgrade() -> None:
    for policy in ("places_api_update", "places_api_insert", "places_read"):
        op.execute(f"DROP POLICY {policy} ON places")
    op.execute("ALTER TABLE places DISABLE ROW LEVEL SECURITY")
