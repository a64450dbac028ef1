"""data versions and cached pages: a counter per centre and for the network, bumped by every write, and the pages
built from them (crm.core.versions, crm.core.cache)

Revision ID: 5a17d0c4e2b1
Revises: a18e0c1d2b3f
Create Date: 2026-12-02 14:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '5a17d0c4e2b1'
down_revision = 'a18e0c1d2b3f'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('data_versions',
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_data_versions'))
    )
    op.create_table('cached_pages',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=False),
    sa.Column('created', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_cached_pages'))
    )


def downgrade():
    # Both tables only hold what the app can rebuild: nothing is lost by dropping them.
    op.drop_table('cached_pages')
    op.drop_table('data_versions')
