"""data_versions: a change counter per served table, bumped by statement triggers (ETags)

Revision ID: 0005
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa

revision = '0005'
down_revision = '0003'
branch_labels = None
depends_on = None

# Fixed here (not imported) so this migration keeps meaning what it meant when written.
TABLES = ("places", "place_status", "areas", "spending", "indicators")


def upgrade() -> None:
    op.create_table('data_versions',
    sa.Column('table_name', sa.String(length=63), nullable=False),
    sa.Column('version', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('table_name', name=op.f('pk_data_versions'))
    )
    op.execute("""
        CREATE FUNCTION bump_data_version() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO data_versions AS v (table_name, version, changed_at)
            VALUES (TG_TABLE_NAME, 1, now())
            ON CONFLICT (table_name) DO UPDATE SET version = v.version + 1, changed_at = now();
            RETURN NULL;
        END $$""")
    for table in TABLES:
        op.execute(f"CREATE TRIGGER {table}_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                   f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version()")


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_data_version ON {table}")
    op.execute("DROP FUNCTION IF EXISTS bump_data_version()")
    op.drop_table('data_versions')
