"""report section languages

A section has a language (``report_sections.language``): "en", the section as filed, or a working copy drafted in
Chinese (zh_Hans_CN) or Russian (ru) from the same records. Every existing section is the English one. Revisions
are numbered per language, so the unique key becomes (period, language, revision). The downgrade drops the working
copies (only the English sections were ever filed) before restoring the old key.

Revision ID: b7e3f1a9c2d4
Revises: 5a17d0c4e2b1
Create Date: 2026-12-02 19:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'b7e3f1a9c2d4'
down_revision = '5a17d0c4e2b1'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('report_sections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=20), server_default='en', nullable=False))
        batch_op.drop_constraint('uq_report_sections_period_id_revision', type_='unique')
        batch_op.create_unique_constraint(
            batch_op.f('uq_report_sections_period_id_language_revision'), ['period_id', 'language', 'revision']
        )


def downgrade():
    # Their rows (report_outputs) go with them (ON DELETE CASCADE on PostgreSQL; explicitly for SQLite).
    op.execute(
        "DELETE FROM report_outputs WHERE section_id IN (SELECT id FROM report_sections WHERE language <> 'en')"
    )
    op.execute("DELETE FROM report_sections WHERE language <> 'en'")
    with op.batch_alter_table('report_sections', schema=None) as batch_op:
        batch_op.drop_constraint('uq_report_sections_period_id_language_revision', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_report_sections_period_id_revision'), ['period_id', 'revision'])
        batch_op.drop_column('language')
