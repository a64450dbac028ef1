"""report drafting records: partnership roles, report areas of agreements, pool status, type headings,
resource mobilisation strategies, challenges, the section's linked words, hidden rows and the date filed

Existing records keep what they said: every partnership is a partner except the CBD Secretariat's, which is each
centre's convention body (the Secretariat of the Convention is, by definition, the convention body of every
TSCC); agreements follow their kind (no area chosen); pools are established; the types seeded by the app get the
plural headings reports list partners under; sections and rows have no linked words yet (a redraft offers the
new draft beside them) and no row is hidden.

Revision ID: 143cd6d6159d
Revises: d886449e3a27
Create Date: 2026-12-01 23:01:42.193816

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '143cd6d6159d'
down_revision = 'd886449e3a27'
branch_labels = None
depends_on = None


CBD_SECRETARIAT = 'Secretariat of the Convention on Biological Diversity'
# The plural headings of the types the app seeds (crm.partners.services.DEFAULT_TYPES).
HEADINGS = {
    'un_international': 'UN and international bodies',
    'government': 'National and local government bodies',
    'research': 'Research institutes and universities',
    'cooperation_platform': 'International cooperation platforms',
    'ngo': 'NGOs and civil society organizations',
    'private': 'Private sector organizations',
    'funder': 'Funders',
    'iplc_women_youth': 'IPLC, women and youth organizations',
}
DEFAULTED = (
    ('expert_pools', lambda: sa.Column('status', sa.Enum('candidates', 'established', name='poolstatus', native_enum=False, length=20), nullable=False, server_default='established')),
    ('organisation_types', lambda: sa.Column('plural_name', sa.String(length=120), nullable=False, server_default='')),
    ('partnerships', lambda: sa.Column('role', sa.Enum('partner', 'convention_body', 'host_institution', name='partnershiprole', native_enum=False, length=20), nullable=False, server_default='partner')),
    ('report_outputs', lambda: sa.Column('is_hidden', sa.Boolean(), nullable=False, server_default=sa.false())),
    ('report_outputs', lambda: sa.Column('links', sa.JSON(), nullable=False, server_default=sa.text("'{}'"))),
    ('report_sections', lambda: sa.Column('links', sa.JSON(), nullable=False, server_default=sa.text("'{}'"))),
)


def upgrade():
    op.create_table('challenges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('area', sa.Enum('partnerships', 'resource_mobilization', name='challengearea', native_enum=False, length=30), nullable=False),
    sa.Column('challenge', sa.Text(), nullable=False),
    sa.Column('solution', sa.Text(), nullable=False),
    sa.Column('noted_on', sa.Date(), nullable=False),
    sa.Column('noted_precision', sa.String(length=5), nullable=False),
    sa.Column('resolved_on', sa.Date(), nullable=True),
    sa.Column('resolved_precision', sa.String(length=5), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('centre_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['centre_id'], ['centres.id'], name=op.f('fk_challenges_centre_id_centres')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_challenges_recorded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_challenges'))
    )
    with op.batch_alter_table('challenges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_challenges_centre_id'), ['centre_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_challenges_noted_on'), ['noted_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_challenges_resolved_on'), ['resolved_on'], unique=False)

    op.create_table('mobilisation_strategies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('not_started', 'in_development', 'adopted', name='strategystatus', native_enum=False, length=20), nullable=False),
    sa.Column('adopted_on', sa.Date(), nullable=True),
    sa.Column('adopted_precision', sa.String(length=5), nullable=True),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('centre_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['centre_id'], ['centres.id'], name=op.f('fk_mobilisation_strategies_centre_id_centres')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mobilisation_strategies')),
    sa.UniqueConstraint('centre_id', name=op.f('uq_mobilisation_strategies_centre_id'))
    )
    with op.batch_alter_table('mobilisation_strategies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mobilisation_strategies_adopted_on'), ['adopted_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_mobilisation_strategies_centre_id'), ['centre_id'], unique=False)

    op.create_table('strategy_sources',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('strategy_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=300), nullable=False),
    sa.Column('categories', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('centre_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['centre_id'], ['centres.id'], name=op.f('fk_strategy_sources_centre_id_centres')),
    sa.ForeignKeyConstraint(['strategy_id'], ['mobilisation_strategies.id'], name=op.f('fk_strategy_sources_strategy_id_mobilisation_strategies'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_strategy_sources'))
    )
    with op.batch_alter_table('strategy_sources', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_strategy_sources_centre_id'), ['centre_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_strategy_sources_strategy_id'), ['strategy_id'], unique=False)

    op.create_table('strategy_steps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('strategy_id', sa.Integer(), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('action', sa.Text(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('due_precision', sa.String(length=5), nullable=True),
    sa.Column('done_on', sa.Date(), nullable=True),
    sa.Column('done_precision', sa.String(length=5), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('centre_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['centre_id'], ['centres.id'], name=op.f('fk_strategy_steps_centre_id_centres')),
    sa.ForeignKeyConstraint(['source_id'], ['strategy_sources.id'], name=op.f('fk_strategy_steps_source_id_strategy_sources'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['strategy_id'], ['mobilisation_strategies.id'], name=op.f('fk_strategy_steps_strategy_id_mobilisation_strategies'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_strategy_steps'))
    )
    with op.batch_alter_table('strategy_steps', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_strategy_steps_centre_id'), ['centre_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_strategy_steps_done_on'), ['done_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_strategy_steps_due_on'), ['due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_strategy_steps_strategy_id'), ['strategy_id'], unique=False)

    with op.batch_alter_table('agreements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('report_area', sa.Enum('operationalization', 'partnerships', name='reportarea', native_enum=False, length=20), nullable=True))
    # Added NOT NULL with a default, then the default dropped on PostgreSQL: on SQLite this is ALTER TABLE ADD
    # COLUMN, never the table copied (which would lose the experts' expression index).
    for table, column in DEFAULTED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(column())
    with op.batch_alter_table('report_sections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('filed_on', sa.Date(), nullable=True))

    op.execute(
        "UPDATE partnerships SET role = 'convention_body' WHERE organisation_id IN "
        f"(SELECT id FROM organisations WHERE name = '{CBD_SECRETARIAT}')"
    )
    for code, heading in HEADINGS.items():
        op.execute(
            sa.text("UPDATE organisation_types SET plural_name = :heading WHERE code = :code").bindparams(
                heading=heading, code=code
            )
        )
    if op.get_bind().dialect.name == 'postgresql':
        for table, column in DEFAULTED:
            op.alter_column(table, column().name, server_default=None)



def downgrade():
    # SQLite drops a column in place (3.35 and later): the table is not copied.
    op.drop_column('report_sections', 'filed_on')
    for table, column in reversed(DEFAULTED):
        op.drop_column(table, column().name)
    op.drop_column('agreements', 'report_area')

    with op.batch_alter_table('strategy_steps', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_strategy_steps_strategy_id'))
        batch_op.drop_index(batch_op.f('ix_strategy_steps_due_on'))
        batch_op.drop_index(batch_op.f('ix_strategy_steps_done_on'))
        batch_op.drop_index(batch_op.f('ix_strategy_steps_centre_id'))

    op.drop_table('strategy_steps')
    with op.batch_alter_table('strategy_sources', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_strategy_sources_strategy_id'))
        batch_op.drop_index(batch_op.f('ix_strategy_sources_centre_id'))

    op.drop_table('strategy_sources')
    with op.batch_alter_table('mobilisation_strategies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mobilisation_strategies_centre_id'))
        batch_op.drop_index(batch_op.f('ix_mobilisation_strategies_adopted_on'))

    op.drop_table('mobilisation_strategies')
    with op.batch_alter_table('challenges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_challenges_resolved_on'))
        batch_op.drop_index(batch_op.f('ix_challenges_noted_on'))
        batch_op.drop_index(batch_op.f('ix_challenges_centre_id'))

    op.drop_table('challenges')
