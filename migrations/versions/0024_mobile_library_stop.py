"""places category mobile_library_stop: the stops of the mobile library timetables

The category vocabulary (models/categories.py) is a CHECK constraint on places and place_proposals.
This revision rebuilds both from the vocabulary as the code defines it when the migration runs, so
a vocabulary that gained other categories in the same release (merged from another branch) is kept
whole, whichever revision adding one runs last; downgrade takes mobile_library_stop out again.

Revision ID: 0024
Revises: 0023
"""
from alembic import op

from models.base import in_list
from models.categories import CATEGORIES

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None

ADDED = "mobile_library_stop"
TABLES = ("places", "place_proposals")


def _constrain(categories) -> None:
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS ck_{table}_category")
        op.execute(f"ALTER TABLE {table} ADD CONSTRAINT ck_{table}_category CHECK ({in_list('category', categories)})")


def upgrade() -> None:
    _constrain(list(CATEGORIES))


def downgrade() -> None:
    op.execute(f"DELETE FROM places WHERE category = '{ADDED}'")
    op.execute(f"DELETE FROM place_proposals WHERE category = '{ADDED}'")
    _constrain([c for c in CATEGORIES if c != ADDED])
