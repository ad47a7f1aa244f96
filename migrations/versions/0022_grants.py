"""grants and grant_coverage: 360Giving grants with where each lands, and what each funder covers

Revision ID: 0022
Revises: 0021
"""
from alembic import op
import sqlalchemy as sa

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None

LEVELS = ("lsoa", "ward", "ltla", "utla", "region", "country", "postcode_sector", "postcode_district")


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    op.create_table('grants',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('identifier', sa.Text(), nullable=False, comment='360Giving Identifier (id)'),
    sa.Column('title', sa.Text(), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('amount_awarded', sa.Numeric(16, 2), nullable=False, comment='As published, in currency'),
    sa.Column('award_date', sa.Date(), nullable=False),
    sa.Column('funder_id', sa.Text(), nullable=False, comment='Funding Org:Identifier, e.g. GB-LAE-TRF'),
    sa.Column('funder_name', sa.Text(), nullable=True),
    sa.Column('programme_code', sa.Text(), nullable=True),
    sa.Column('programme_title', sa.Text(), nullable=True),
    sa.Column('recipient_id', sa.Text(), nullable=True, comment='Recipient Org:Identifier'),
    sa.Column('recipient_name', sa.Text(), nullable=True),
    sa.Column('recipient_charity_number', sa.Text(), nullable=True),
    sa.Column('recipient_company_number', sa.Text(), nullable=True),
    sa.Column('recipient_postcode', sa.Text(), nullable=True),
    sa.Column('beneficiary_code', sa.Text(), nullable=True, comment='The finest beneficiary code stated'),
    sa.Column('beneficiary_code_type', sa.Text(), nullable=True, comment='Its 360Giving geoCodeType'),
    sa.Column('beneficiary_name', sa.Text(), nullable=True),
    sa.Column('recipient_code', sa.Text(), nullable=True, comment='Recipient Org:Location geographic code'),
    sa.Column('area_code', sa.String(length=16), nullable=True, comment="Where it lands (today's code)"),
    sa.Column('area_level', sa.String(length=20), nullable=True),
    sa.Column('located_by', sa.String(length=20), nullable=True),
    sa.Column('recipient_address_only', sa.Boolean(), server_default='false', nullable=False,
              comment="Located by the recipient's address alone: maps leave it out"),
    sa.Column('ltla', sa.String(length=16), nullable=True, comment='2023 LTLA holding area_code, if one does'),
    sa.Column('utla', sa.String(length=16), nullable=True, comment='2023 UTLA holding area_code, if one does'),
    sa.Column('region', sa.String(length=16), nullable=True),
    sa.Column('import_run_id', sa.BigInteger(), nullable=False),
    sa.CheckConstraint(_in('area_level', LEVELS), name=op.f('ck_grants_area_level')),
    sa.CheckConstraint(_in('located_by', ("beneficiary", "recipient_code", "recipient_postcode")),
                       name=op.f('ck_grants_located_by')),
    sa.ForeignKeyConstraint(['import_run_id'], ['import_runs.id'], name=op.f('fk_grants_import_run_id_import_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grants')),
    sa.UniqueConstraint('identifier', name=op.f('uq_grants_identifier')),
    )
    op.create_index('ix_grants_area', 'grants', ['area_code'])
    op.create_index('ix_grants_utla_date', 'grants', ['utla', 'award_date'])
    op.create_index('ix_grants_ltla', 'grants', ['ltla'])
    op.create_index('ix_grants_funder', 'grants', ['funder_id'])
    op.create_index(op.f('ix_grants_import_run_id'), 'grants', ['import_run_id'])
    op.create_table('grant_coverage',
    sa.Column('funder_id', sa.Text(), nullable=False),
    sa.Column('area_code', sa.String(length=16), nullable=False, comment='2023 LTLA or UTLA'),
    sa.Column('basis', sa.String(length=12), nullable=False,
              comment="option (--coverage), council (the funder's own authority) or declared (its grants' locations)"),
    sa.Column('import_run_id', sa.BigInteger(), nullable=False),
    sa.CheckConstraint(_in('basis', ("option", "council", "declared")), name=op.f('ck_grant_coverage_basis')),
    sa.ForeignKeyConstraint(['import_run_id'], ['import_runs.id'], name=op.f('fk_grant_coverage_import_run_id_import_runs')),
    sa.PrimaryKeyConstraint('funder_id', 'area_code', name=op.f('pk_grant_coverage')),
    )
    op.create_index(op.f('ix_grant_coverage_import_run_id'), 'grant_coverage', ['import_run_id'])
    for table in ('grants', 'grant_coverage'):
        op.execute(f"CREATE TRIGGER {table}_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                   f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version()")


def downgrade() -> None:
    op.drop_table('grant_coverage')
    op.drop_table('grants')
