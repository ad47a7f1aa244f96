"""api keys (hashed, scoped, revocable)

Revision ID: 0007_api_keys
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0007_api_keys"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False,
                  comment="The key's first characters: names it in logs and lists"),
        sa.Column("secret_hash", sa.String(length=64), nullable=False, comment="SHA-256 of the whole key (hex)"),
        sa.Column("name", sa.Text(), nullable=False, comment="Who holds it, e.g. 'Trafford planning team'"),
        sa.Column("scopes", sa.ARRAY(sa.String(length=32)), nullable=False),
        sa.Column("authorities", sa.ARRAY(sa.String(length=16)), server_default="{}", nullable=False,
                  comment="GSS codes of the authorities whose places the key may edit; empty: anywhere"),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("scopes <@ ARRAY['read', 'write:places', 'moderate', 'admin']::varchar[]",
                           name=op.f("ck_api_keys_scopes")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("prefix", name=op.f("uq_api_keys_prefix")),
    )


def downgrade() -> None:
    op.drop_table("api_keys")
