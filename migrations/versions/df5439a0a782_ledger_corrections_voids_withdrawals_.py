"""ledger corrections: voids, withdrawals, rate dates, measure rollups

A correction is now a void (a mistake: out of every figure) or a withdrawal (a real event on its own date).
Existing reversals of entries were booked on the day they were made: they become withdrawals on that day,
converted at the rate date of the entry they withdraw. A reversed tranche and its reversal become one voided
tranche (the reversal's note is the reason; the negative row goes, its history stays in the audit log).
Entries without a booked date take the day they were recorded. Money booked as received without a tranche
gets its tranche (the whole amount, on the booked date), so that "Received" is the tranches everywhere.
The rollups are keyed by measure (pledged, committed, received) and rate month, with unbounded sums, and
refilled from the records.

Revision ID: df5439a0a782
Revises: 3c1d2e4f5a6b
Create Date: 2026-12-01 21:22:18.135651

"""
from alembic import op
import sqlalchemy as sa
import crm.core.types


# revision identifiers, used by Alembic.
revision = 'df5439a0a782'
down_revision = '3c1d2e4f5a6b'
branch_labels = None
depends_on = None

OLD_ROLLUPS = (
    'ledger_rollups', 'ledger_rollups_by_centre', 'ledger_rollups_by_category', 'ledger_rollups_by_kind',
    'ledger_rollups_by_stage', 'ledger_rollups_by_unit',
)
CATEGORY = sa.Enum('host_institution', 'bilateral', 'multilateral', 'government', 'private_sector', 'foundation_ngo',
                   'other', name='category', native_enum=False, length=30)
KIND = sa.Enum('financial', 'in_kind', 'people_time', name='kind', native_enum=False, length=30)
MEASURE = sa.Enum('pledged', 'committed', 'received', name='measure', native_enum=False, length=30)
STAGE = sa.Enum('pledged', 'committed', 'received', name='stage', native_enum=False, length=30)
# Each new grain: its key columns besides measure, currency, month and rate_month.
GRAINS = {
    'ledger_rollups': ('centre_id', 'category', 'kind', 'unit'),
    'ledger_rollups_by_centre': ('centre_id', 'kind'),
    'ledger_rollups_by_category': ('category', 'kind'),
    'ledger_rollups_by_unit': ('kind', 'unit'),
}
KEY_COLUMNS = {
    'centre_id': lambda name: sa.Column('centre_id', sa.Integer(), sa.ForeignKey(
        'centres.id', name=f'fk_{name}_centre_id_centres'), nullable=False),
    'category': lambda name: sa.Column('category', CATEGORY, nullable=False),
    'kind': lambda name: sa.Column('kind', KIND, nullable=False),
    'unit': lambda name: sa.Column('unit', sa.String(100), nullable=False),
}


def day_of(column: str) -> str:
    return f"CAST({column} AS DATE)" if op.get_bind().dialect.name == 'postgresql' else f"date({column})"


def month_of(column: str) -> str:
    return f"substr(CAST({column} AS VARCHAR), 1, 7)"


def records() -> str:
    """Every live record as the rollups sum it (crm.funding.rollup.records_select, as of this revision)."""
    return (
        "SELECT e.centre_id AS centre_id, CASE WHEN e.stage = 'pledged' THEN 'pledged' ELSE 'committed' END AS measure, "
        "e.category AS category, e.kind AS kind, e.unit AS unit, coalesce(e.currency, '') AS currency, "
        f"{month_of('e.booked_on')} AS month, {month_of('e.rate_on')} AS rate_month, e.amount AS amount, "
        "e.quantity AS quantity, CASE WHEN e.withdraws_id IS NULL THEN 1 ELSE 0 END AS entries, 1 AS records "
        "FROM ledger_entries e WHERE e.voided_at IS NULL "
        "UNION ALL "
        "SELECT t.centre_id, 'received', e.category, e.kind, e.unit, t.currency, "
        f"{month_of('t.received_on')}, {month_of('t.received_on')}, t.amount, NULL, 1, 1 "
        "FROM tranches t JOIN ledger_entries e ON e.id = t.entry_id "
        "WHERE t.voided_at IS NULL AND e.voided_at IS NULL"
    )


def create_grains() -> None:
    for name, keys in GRAINS.items():
        op.create_table(
            name,
            sa.Column('id', sa.Integer(), nullable=False),
            *(KEY_COLUMNS[key](name) for key in keys),
            sa.Column('measure', MEASURE, nullable=False),
            sa.Column('currency', sa.String(length=3), nullable=False),
            sa.Column('month', sa.String(length=7), nullable=False),
            sa.Column('rate_month', sa.String(length=7), nullable=False),
            sa.Column('amount', crm.core.types.ExactSum(scale=4), nullable=True),
            sa.Column('quantity', crm.core.types.ExactSum(scale=4), nullable=True),
            sa.Column('entries', sa.Integer(), nullable=False),
            sa.Column('records', sa.Integer(), nullable=False),
            sa.PrimaryKeyConstraint('id', name=f'pk_{name}'),
            sa.UniqueConstraint(*keys, 'measure', 'currency', 'month', 'rate_month', name=f'uq_{name}_bucket'),
        )
        columns = ", ".join((*keys, 'measure', 'currency', 'month', 'rate_month'))
        # Sums of at most a few thousand amounts of at most 10^13: they fit SQLite's integers here.
        op.execute(
            f"INSERT INTO {name} ({columns}, amount, quantity, entries, records) "
            f"SELECT {columns}, sum(amount), sum(quantity), sum(entries), sum(records) "
            f"FROM ({records()}) AS live GROUP BY {columns}"
        )


def upgrade():
    for name in OLD_ROLLUPS:
        op.drop_table(name)

    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rate_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('withdraws_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('voided_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('voided_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('void_reason', sa.Text(), nullable=False, server_default=''))
    op.execute(f"UPDATE ledger_entries SET booked_on = {day_of('created_at')} WHERE booked_on IS NULL")
    op.execute("UPDATE ledger_entries SET withdraws_id = reverses_id, rate_on = booked_on")
    op.execute(
        "UPDATE ledger_entries SET rate_on = (SELECT o.booked_on FROM ledger_entries o "
        "WHERE o.id = ledger_entries.withdraws_id) WHERE withdraws_id IS NOT NULL"
    )
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_ledger_entries_booked_on')
        batch_op.drop_constraint('uq_ledger_entries_reverses_id', type_='unique')
        batch_op.drop_constraint('fk_ledger_entries_reverses_id_ledger_entries', type_='foreignkey')
        batch_op.drop_column('reverses_id')
        batch_op.alter_column('booked_on', existing_type=sa.Date(), nullable=False)
        batch_op.alter_column('rate_on', existing_type=sa.Date(), nullable=False)
        batch_op.create_foreign_key(
            'fk_ledger_entries_withdraws_id_ledger_entries', 'ledger_entries', ['withdraws_id'], ['id']
        )
        batch_op.create_foreign_key(
            'fk_ledger_entries_voided_by_id_users', 'users', ['voided_by_id'], ['id'], ondelete='SET NULL'
        )
        batch_op.create_index('ix_ledger_entries_withdraws_id', ['withdraws_id'], unique=False)
        batch_op.create_index('ix_ledger_entries_booked_on', ['booked_on', 'id'], unique=False)
        batch_op.create_check_constraint(
            'amount_positive', '(amount IS NULL OR amount > 0) OR withdraws_id IS NOT NULL'
        )

    with op.batch_alter_table('tranches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('voided_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('voided_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('void_reason', sa.Text(), nullable=False, server_default=''))
    op.execute(
        "UPDATE tranches SET voided_at = (SELECT r.created_at FROM tranches r WHERE r.reverses_id = tranches.id), "
        "void_reason = (SELECT r.note FROM tranches r WHERE r.reverses_id = tranches.id) "
        "WHERE id IN (SELECT reverses_id FROM tranches WHERE reverses_id IS NOT NULL)"
    )
    op.execute("DELETE FROM tranches WHERE reverses_id IS NOT NULL")
    with op.batch_alter_table('tranches', schema=None) as batch_op:
        batch_op.drop_constraint('uq_tranches_reverses_id', type_='unique')
        batch_op.drop_constraint('fk_tranches_reverses_id_tranches', type_='foreignkey')
        batch_op.drop_column('reverses_id')
        batch_op.drop_constraint(op.f('ck_tranches_amount_not_zero'), type_='check')
        batch_op.create_check_constraint('amount_positive', 'amount > 0')
        batch_op.create_foreign_key('fk_tranches_voided_by_id_users', 'users', ['voided_by_id'], ['id'], ondelete='SET NULL')

    # Money booked as received arrives with its tranche.
    op.execute(
        "INSERT INTO tranches (centre_id, entry_id, received_on, amount, currency, is_over_outstanding, note, "
        "void_reason, version, created_at, updated_at) "
        "SELECT e.centre_id, e.id, e.booked_on, e.amount, e.currency, false, 'Received in full when booked.', '', 1, "
        "e.created_at, e.created_at FROM ledger_entries e "
        "WHERE e.stage = 'received' AND e.kind = 'financial' AND e.amount > 0 AND e.withdraws_id IS NULL "
        "AND NOT EXISTS (SELECT 1 FROM tranches t WHERE t.entry_id = e.id)"
    )
    create_grains()


def refuse_what_the_old_ledger_cannot_hold() -> None:
    bind = op.get_bind()
    voided = bind.scalar(sa.text(
        "SELECT (SELECT count(*) FROM ledger_entries WHERE voided_at IS NOT NULL) "
        "+ (SELECT count(*) FROM tranches WHERE voided_at IS NOT NULL)"
    ))
    repeated = bind.scalar(sa.text(
        "SELECT count(*) FROM (SELECT withdraws_id FROM ledger_entries WHERE withdraws_id IS NOT NULL "
        "GROUP BY withdraws_id HAVING count(*) > 1) AS several"
    ))
    if voided or repeated:
        raise RuntimeError(
            f"Cannot downgrade: {voided} voided records and {repeated} entries withdrawn more than once have no "
            "form in the earlier ledger. Restore a backup taken before the upgrade instead."
        )


def downgrade():
    refuse_what_the_old_ledger_cannot_hold()
    for name in GRAINS:
        op.drop_table(name)
    with op.batch_alter_table('tranches', schema=None) as batch_op:
        batch_op.drop_constraint('fk_tranches_voided_by_id_users', type_='foreignkey')
        batch_op.drop_constraint(op.f('ck_tranches_amount_positive'), type_='check')
        batch_op.create_check_constraint('amount_not_zero', 'amount <> 0')
        batch_op.add_column(sa.Column('reverses_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_tranches_reverses_id_tranches', 'tranches', ['reverses_id'], ['id'])
        batch_op.create_unique_constraint('uq_tranches_reverses_id', ['reverses_id'])
        batch_op.drop_column('void_reason')
        batch_op.drop_column('voided_by_id')
        batch_op.drop_column('voided_at')
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reverses_id', sa.Integer(), nullable=True))
    op.execute("UPDATE ledger_entries SET reverses_id = withdraws_id")
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_ledger_entries_amount_positive'), type_='check')
        batch_op.drop_index('ix_ledger_entries_booked_on')
        batch_op.drop_index('ix_ledger_entries_withdraws_id')
        batch_op.drop_constraint('fk_ledger_entries_voided_by_id_users', type_='foreignkey')
        batch_op.drop_constraint('fk_ledger_entries_withdraws_id_ledger_entries', type_='foreignkey')
        batch_op.create_foreign_key(
            'fk_ledger_entries_reverses_id_ledger_entries', 'ledger_entries', ['reverses_id'], ['id']
        )
        batch_op.create_unique_constraint('uq_ledger_entries_reverses_id', ['reverses_id'])
        batch_op.alter_column('booked_on', existing_type=sa.Date(), nullable=True)
        batch_op.drop_column('void_reason')
        batch_op.drop_column('voided_by_id')
        batch_op.drop_column('voided_at')
        batch_op.drop_column('withdraws_id')
        batch_op.drop_column('rate_on')
        booked_on = 'booked_on NULLS FIRST' if op.get_bind().dialect.name == 'postgresql' else 'booked_on'
        batch_op.create_index('ix_ledger_entries_booked_on', [sa.literal_column(booked_on), 'id'], unique=False)
    old_grains = {
        'ledger_rollups': ('centre_id', 'stage', 'category', 'kind', 'unit'),
        'ledger_rollups_by_centre': ('centre_id', 'stage'),
        'ledger_rollups_by_category': ('category', 'stage'),
        'ledger_rollups_by_kind': ('kind', 'stage'),
        'ledger_rollups_by_stage': ('stage',),
        'ledger_rollups_by_unit': ('kind', 'unit'),
    }
    columns = {'stage': lambda name: sa.Column('stage', STAGE, nullable=False), **KEY_COLUMNS}
    for name, keys in old_grains.items():
        quantity = 'unit' in keys
        op.create_table(
            name,
            sa.Column('id', sa.Integer(), nullable=False),
            *(columns[key](name) for key in keys),
            sa.Column('currency', sa.String(length=3), nullable=False),
            sa.Column('month', sa.String(length=7), nullable=False),
            sa.Column('amount', crm.core.types.ExactDecimal(scale=4, precision=19), nullable=True),
            *([sa.Column('quantity', crm.core.types.ExactDecimal(scale=4, precision=19), nullable=True)] if quantity else []),
            sa.Column('entries', sa.Integer(), nullable=False),
            sa.Column('records', sa.Integer(), nullable=False),
            sa.PrimaryKeyConstraint('id', name=f'pk_{name}'),
            sa.UniqueConstraint(*keys, 'currency', 'month', name=f'uq_{name}_bucket'),
        )
        selected = ", ".join((*keys, "coalesce(currency, '')", month_of('booked_on')))
        op.execute(
            f"INSERT INTO {name} ({', '.join(keys)}, currency, month, amount, {'quantity, ' if quantity else ''}"
            f"entries, records) SELECT {selected}, sum(amount), {'sum(quantity), ' if quantity else ''}"
            f"sum(CASE WHEN reverses_id IS NULL THEN 1 ELSE 0 END), count(*) FROM ledger_entries GROUP BY {selected}"
        )
