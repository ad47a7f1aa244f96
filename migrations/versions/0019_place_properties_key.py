"""place_current.properties_key: which registry built the stored properties

The stored properties (0018) are the JSON of app/collections.py's `places` as it was when the row
was written. A release whose registry differs (a property added, renamed or computed otherwise)
would go on serving the old JSON until the next load rewrote every row. Each row now carries the
key of the registry that built it (a hash of its JSON expression); a page serves the stored JSON only
where the key is the running registry's, and builds it from the columns elsewhere — as it does for a
place with no place_current row at all (between a record's write and its row, or a writer that
forgot it), which 0018 served as a null feature.

Revision ID: 0019
Revises: 0018
"""
from alembic import op
import sqlalchemy as sa

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

# The key of the registry that built every stored row as of this revision (0018's FILL and the loads
# since): app/collections.py's Collection.properties_key of `places` at that time.
KEY_0018 = "3145329788404b88"
SERVED = "c.status AS current_status, c.sources, c.properties\n"


def _view(with_key: bool) -> str:
    """0018's view, serving the key beside the properties or not."""
    view = op.get_context().script.get_revision("0018").module.PLACE_FEATURES
    assert SERVED in view
    return view.replace(SERVED, SERVED.rstrip() + ", c.properties_key\n") if with_key else view


def upgrade() -> None:
    op.add_column('place_current', sa.Column(
        'properties_key', sa.String(length=16), nullable=True,
        comment="The key of the registry that built `properties` (app/collections.py "
                "Collection.properties_key): served only while it is the running one's"))
    op.execute(f"UPDATE place_current SET properties_key = '{KEY_0018}'")
    op.alter_column('place_current', 'properties_key', nullable=False)
    op.execute("DROP VIEW place_features")
    op.execute(_view(with_key=True))


def downgrade() -> None:
    op.execute("DROP VIEW place_features")
    op.execute(_view(with_key=False))
    op.drop_column('place_current', 'properties_key')
