"""manual rates scoped: the network within a stated range, one ledger entry, or one agreement

A manual rate converts only inside its scope. Manual rates entered before keep converting as they did: the
network, for the 31 days they held.

Revision ID: 44c5db34501c
Revises: 8b2f0c1d9e7a
Create Date: 2026-12-01 23:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '44c5db34501c'
down_revision = '8b2f0c1d9e7a'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('exchange_rates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scope', sa.String(length=40), nullable=False, server_default='network'))
        batch_op.add_column(sa.Column('scope_entry_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('scope_agreement_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('valid_until', sa.Date(), nullable=True))
        batch_op.drop_constraint('uq_exchange_rates_source_base_quote_effective_on', type_='unique')
        batch_op.create_unique_constraint(
            'uq_exchange_rates_source_base_quote_effective_on_scope', ['source', 'base', 'quote', 'effective_on', 'scope']
        )
        batch_op.create_index('ix_exchange_rates_scope_agreement_id', ['scope_agreement_id'], unique=False)
        batch_op.create_index('ix_exchange_rates_scope_entry_id', ['scope_entry_id'], unique=False)
        batch_op.create_foreign_key(
            'fk_exchange_rates_scope_agreement_id_agreements', 'agreements', ['scope_agreement_id'], ['id']
        )
        batch_op.create_foreign_key(
            'fk_exchange_rates_scope_entry_id_ledger_entries', 'ledger_entries', ['scope_entry_id'], ['id']
        )
    later = "effective_on + 31" if op.get_bind().dialect.name == 'postgresql' else "date(effective_on, '+31 days')"
    op.execute(f"UPDATE exchange_rates SET valid_until = {later} WHERE source = 'manual'")


def downgrade():
    scoped = op.get_bind().scalar(sa.text("SELECT count(*) FROM exchange_rates WHERE scope <> 'network'"))
    if scoped:
        raise RuntimeError(
            f"Cannot downgrade: {scoped} manual rates entered for one ledger entry or agreement would convert every "
            "amount of their pair in the earlier schema. Delete them first, or restore a backup taken before the upgrade."
        )
    with op.batch_alter_table('exchange_rates', schema=None) as batch_op:
        batch_op.drop_constraint('fk_exchange_rates_scope_entry_id_ledger_entries', type_='foreignkey')
        batch_op.drop_constraint('fk_exchange_rates_scope_agreement_id_agreements', type_='foreignkey')
        batch_op.drop_index('ix_exchange_rates_scope_entry_id')
        batch_op.drop_index('ix_exchange_rates_scope_agreement_id')
        batch_op.drop_constraint('uq_exchange_rates_source_base_quote_effective_on_scope', type_='unique')
        batch_op.create_unique_constraint(
            'uq_exchange_rates_source_base_quote_effective_on', ['source', 'base', 'quote', 'effective_on']
        )
        batch_op.drop_column('valid_until')
        batch_op.drop_column('scope_agreement_id')
        batch_op.drop_column('scope_entry_id')
        batch_op.drop_column('scope')
