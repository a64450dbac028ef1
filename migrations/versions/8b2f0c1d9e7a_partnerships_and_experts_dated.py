"""partnerships and experts dated: engaged since, on the roster since; seed keys

The dates that place a partnership and an expert in a reporting period (crm.core.periods). Existing records
take the day they were recorded. The seed keys remember which record each demo seed made (crm.seeding).

Revision ID: 8b2f0c1d9e7a
Revises: df5439a0a782
Create Date: 2026-12-01 22:05:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8b2f0c1d9e7a'
down_revision = 'df5439a0a782'
branch_labels = None
depends_on = None

DATED = (('partnerships', 'engaged'), ('experts', 'listed'))


def upgrade():
    op.create_table(
        'seed_keys',
        sa.Column('key', sa.String(length=300), nullable=False),
        sa.Column('entity', sa.String(length=60), nullable=False),
        sa.Column('entity_id', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_seed_keys')),
    )
    postgresql = op.get_bind().dialect.name == 'postgresql'
    day = "CAST(created_at AS DATE)" if postgresql else "date(created_at)"
    for table, name in DATED:
        # Added NOT NULL with a default, then filled: on SQLite this is ALTER TABLE ADD COLUMN, never the table
        # copied (which would lose the experts' expression index).
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column(f'{name}_on', sa.Date(), nullable=False, server_default='1900-01-01'))
            batch_op.add_column(sa.Column(f'{name}_precision', sa.String(length=5), nullable=False, server_default='day'))
        op.execute(f"UPDATE {table} SET {name}_on = {day}, {name}_precision = 'day'")
        if postgresql:
            op.alter_column(table, f'{name}_on', server_default=None)
            op.alter_column(table, f'{name}_precision', server_default=None)
        op.create_index(f'ix_{table}_{name}_on', table, [f'{name}_on'], unique=False)


def downgrade():
    op.drop_table('seed_keys')
    for table, name in DATED:
        op.drop_index(f'ix_{table}_{name}_on', table_name=table)
        # SQLite drops a column in place (3.35 and later): the table is not copied.
        op.drop_column(table, f'{name}_precision')
        op.drop_column(table, f'{name}_on')
