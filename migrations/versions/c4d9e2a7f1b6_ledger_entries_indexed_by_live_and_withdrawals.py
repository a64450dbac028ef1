"""ledger entries indexed by voided_at, withdraws_id

The resources list counts its live entries (withdrawals apart) and finds its page's withdrawals: with this index
both read an index, not the 100,000 rows of the table (on SQLite the index on withdraws_id alone is passed over,
its statistics counting every entry without a withdrawal as one value).

Revision ID: c4d9e2a7f1b6
Revises: b7e3f1a9c2d4
Create Date: 2026-12-02 20:05:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c4d9e2a7f1b6'
down_revision = 'b7e3f1a9c2d4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.create_index('ix_ledger_entries_live', ['voided_at', 'withdraws_id'], unique=False)


def downgrade():
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_ledger_entries_live')
