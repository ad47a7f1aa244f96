"""table_statistics: whether the analysis inputs' planner statistics are fresh (no ANALYZE twice)

Revision ID: 0017
Revises: 0016
"""
from alembic import op
import sqlalchemy as sa

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

# The tables the refresh analyses (analysis/input_statistics.py), and the columns whose update can
# change the statistics its plans use; fixed here (not imported) so this migration keeps meaning
# what it meant when written. No list: every update counts.
TABLES = {"places": ("id", "category", "geom", "geom_27700"), "place_years": (), "spending": (),
          "indicators": (), "area_hierarchy": (), "area_lookups": ()}


def upgrade() -> None:
    op.create_table('table_statistics',
    sa.Column('table_name', sa.String(length=63), nullable=False),
    sa.Column('changed', sa.BigInteger(), server_default='0', nullable=False, comment='bumped by each statement that may change the statistics'),
    sa.Column('analysed', sa.BigInteger(), nullable=True, comment='`changed` when last analysed'),
    sa.PrimaryKeyConstraint('table_name', name=op.f('pk_table_statistics'))
    )
    op.execute("""
        CREATE FUNCTION bump_table_changes() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE table_statistics SET changed = changed + 1 WHERE table_name = TG_TABLE_NAME;
            RETURN NULL;
        END $$""")
    for table, columns in TABLES.items():
        # Never analysed as far as anyone recorded: the next refresh analyses it.
        op.execute(f"INSERT INTO table_statistics (table_name, changed) VALUES ('{table}', 1)")
        updates = f"UPDATE OF {', '.join(columns)}" if columns else "UPDATE"
        op.execute(f"CREATE TRIGGER {table}_statistics_changed AFTER INSERT OR {updates} OR DELETE OR TRUNCATE "
                   f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION bump_table_changes()")


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_statistics_changed ON {table}")
    op.execute("DROP FUNCTION IF EXISTS bump_table_changes()")
    op.drop_table('table_statistics')
