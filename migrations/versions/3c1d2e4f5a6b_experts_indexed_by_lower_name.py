"""experts indexed by lower(name)

The expert search orders by name without case, then id: with this index a page of results is read in
order instead of sorted out of every match. Written by hand: autogenerate cannot compare expression
indexes.

Revision ID: 3c1d2e4f5a6b
Revises: 767a71f3184a
Create Date: 2026-11-24 09:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3c1d2e4f5a6b'
down_revision = '767a71f3184a'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_experts_lower_name', 'experts', [sa.text('lower(name)'), 'id'], unique=False)


def downgrade():
    op.drop_index('ix_experts_lower_name', table_name='experts')
