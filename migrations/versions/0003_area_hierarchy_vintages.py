"""area_hierarchy (LSOA 2011/2021 and 2023 authorities → 2023 LTLA, UTLA, region); one vintage vocabulary

Vintages become 'YYYY-MM' everywhere (a bare year is December of that year) and a CHECK keeps
them so; area_lookups keeps the vintage of census small-area codes and the names it prints.

Revision ID: 0003
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa

revision = '0003'
down_revision = '0004'
branch_labels = None
depends_on = None

VINTAGE = "~ '^[0-9]{4}-(0[1-9]|1[0-2])$'"  # models/vintages.py VINTAGE_PATTERN, frozen here


def upgrade() -> None:
    # Existing bare years are the December vintage; where both spellings were loaded they are one
    # vintage, so the bare-year duplicate goes.
    op.execute("""DELETE FROM areas a USING areas b WHERE a.vintage ~ '^[0-9]{4}$'
                  AND b.level = a.level AND b.code = a.code AND b.vintage = a.vintage || '-12'""")
    op.execute("UPDATE areas SET vintage = vintage || '-12' WHERE vintage ~ '^[0-9]{4}$'")
    op.execute("""DELETE FROM centroids a USING centroids b WHERE a.vintage ~ '^[0-9]{4}$'
                  AND b.kind = a.kind AND b.code = a.code AND b.vintage = a.vintage || '-12'""")
    op.execute("UPDATE centroids SET vintage = vintage || '-12' WHERE vintage ~ '^[0-9]{4}$'")
    op.create_check_constraint(op.f('ck_areas_vintage'), 'areas', f"vintage {VINTAGE}")
    op.create_check_constraint(op.f('ck_centroids_vintage'), 'centroids', f"vintage {VINTAGE}")
    op.add_column('area_lookups', sa.Column('vintage', sa.String(length=16), nullable=True,
                                            comment='Vintage of code, e.g. 2011-12'))
    op.add_column('area_lookups', sa.Column('parent_vintage', sa.String(length=16), nullable=True,
                                            comment='Vintage of parent_code'))
    op.add_column('area_lookups', sa.Column('name', sa.Text(), nullable=True,
                                            comment='Name of code as the lookup prints it'))
    op.create_check_constraint(op.f('ck_area_lookups_vintage'), 'area_lookups', f"vintage {VINTAGE}")
    op.create_check_constraint(op.f('ck_area_lookups_parent_vintage'), 'area_lookups',
                               f"parent_vintage {VINTAGE}")
    op.create_table('area_hierarchy',
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('vintage', sa.String(length=16), nullable=False, comment='Vintage of code: 2011-12, 2021-12 (LSOA), 2023-12'),
    sa.Column('ltla', sa.String(length=16), nullable=True, comment='2023-12 LTLA (NULL for a county)'),
    sa.Column('utla', sa.String(length=16), nullable=False, comment='2023-12 UTLA'),
    sa.Column('region', sa.String(length=16), nullable=False, comment='Region (E12…)'),
    sa.Column('country', sa.String(length=16), nullable=False, comment='Country (E92000001)'),
    sa.CheckConstraint("level IN ('lsoa', 'ltla', 'utla')", name=op.f('ck_area_hierarchy_level')),
    sa.CheckConstraint(f"vintage {VINTAGE}", name=op.f('ck_area_hierarchy_vintage')),
    sa.CheckConstraint("ltla IS NOT NULL OR (level = 'utla' AND code = utla)", name=op.f('ck_area_hierarchy_ltla')),
    sa.PrimaryKeyConstraint('level', 'code', 'vintage', name=op.f('pk_area_hierarchy'))
    )
    op.create_index('ix_area_hierarchy_ltla', 'area_hierarchy', ['ltla'], unique=False)
    op.create_index('ix_area_hierarchy_utla', 'area_hierarchy', ['utla'], unique=False)
    op.create_index('ix_area_hierarchy_region', 'area_hierarchy', ['region'], unique=False)
    # The hierarchy is derived: the next boundary, lookup or centroid load fills it.


def downgrade() -> None:
    op.drop_index('ix_area_hierarchy_region', table_name='area_hierarchy')
    op.drop_index('ix_area_hierarchy_utla', table_name='area_hierarchy')
    op.drop_index('ix_area_hierarchy_ltla', table_name='area_hierarchy')
    op.drop_table('area_hierarchy')
    op.drop_constraint(op.f('ck_area_lookups_parent_vintage'), 'area_lookups', type_='check')
    op.drop_constraint(op.f('ck_area_lookups_vintage'), 'area_lookups', type_='check')
    op.drop_column('area_lookups', 'name')
    op.drop_column('area_lookups', 'parent_vintage')
    op.drop_column('area_lookups', 'vintage')
    op.drop_constraint(op.f('ck_centroids_vintage'), 'centroids', type_='check')
    op.drop_constraint(op.f('ck_areas_vintage'), 'areas', type_='check')
