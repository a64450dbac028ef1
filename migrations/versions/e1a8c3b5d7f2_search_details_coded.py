"""search details coded, worded in the reader's language when shown

The index's details were written in English (a stage, a kind of agreement, a country, a seeded type): they are now
stored language-neutral (``crm.search.index.coded``) and worded when a result is shown. Every row is rewritten;
the downgrade leaves them (the older code shows a coded detail's values as they are).

Revision ID: e1a8c3b5d7f2
Revises: c4d9e2a7f1b6
Create Date: 2026-12-03 07:40:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'e1a8c3b5d7f2'
down_revision = 'c4d9e2a7f1b6'
branch_labels = None
depends_on = None


def upgrade():
    from crm.search.index import rebuild

    rebuild(op.get_bind())


def downgrade():
    pass
