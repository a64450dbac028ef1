"""user language

Each user's interface language (``users.language``, a locale identifier of crm.core.i18n.LANGUAGES). Existing
users keep English, which is what they saw before. Their number format "en" was the old default, not a choice:
it becomes empty (follow the language, English for them as before); the downgrade writes "en" back.

Revision ID: a18e0c1d2b3f
Revises: 019c94fa8921
Create Date: 2026-12-02 14:25:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a18e0c1d2b3f'
down_revision = '019c94fa8921'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=20), server_default='en', nullable=False))
    op.execute("UPDATE users SET locale = '' WHERE locale = 'en'")


def downgrade():
    op.execute("UPDATE users SET locale = 'en' WHERE locale = ''")
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('language')
