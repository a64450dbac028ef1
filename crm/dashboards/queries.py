"""The dashboards' reads: GROUP BYs and short lists, a fixed number of statements whatever the data size.

Ledger and proposal sums come back per currency (and per month where a rate date
depends on it), for ``crm.dashboards.totals`` to convert; only ``converted_buckets``
multiplies by rates it is given, on PostgreSQL, whose NUMERIC arithmetic is exact.
Every function takes a ``Scope`` (the centres and dates in view) and checks no
access itself: the views decide which centres a user may see.

Period rules, as the registers define them: a ledger entry counts when its booked
date falls in the period or when it has none (figures whose source gave no date);
a proposal when its submission or decision date falls in it, or when it has
neither. Partnerships, agreements and experts are counted as they stand today.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from crm.agreements.models import OPEN_STATUSES, Agreement, AgreementStatus, AgreementStep
from crm.centres.models import Centre
from crm.core.types import ExactDecimal
from crm.experts.queries import RosterCounts, roster_counts_by_centre
from crm.extensions import db
from crm.funding.models import LedgerEntry
from crm.funding.rollup import GRAINS, month_text
from crm.partners.models import Organisation, OrganisationType, Partnership
from crm.proposals.models import DEFAULT_PROBABILITY, CallDeadline, Proposal, ProposalStatus

LIST_LIMIT = 8
# An open agreement with no step for this long is flagged: someone should chase it.
STALLED_AFTER_DAYS = 90
# Expiries, reviews and deadlines this close are shown as coming up.
HORIZON_DAYS = 90
ENDED_AGREEMENTS = (AgreementStatus.EXPIRED, AgreementStatus.TERMINATED, AgreementStatus.ABANDONED)
OPEN_PROPOSALS = (ProposalStatus.IDEA, ProposalStatus.IN_PREPARATION)


@dataclass(frozen=True)
class Scope:
    centre_ids: frozenset[int] | None  # None: every centre
    starts_on: date | None
    ends_on: date | None
    today: date

    def centres(self, column) -> sa.ColumnElement:
        return sa.true() if self.centre_ids is None else column.in_(sorted(self.centre_ids))


def _proposal_in_period(scope: Scope) -> sa.ColumnElement:
    if scope.starts_on is None and scope.ends_on is None:
        return sa.true()

    def within(column):
        return sa.and_(
            column >= scope.starts_on if scope.starts_on else sa.true(),
            column <= scope.ends_on if scope.ends_on else sa.true(),
        )

    undated = sa.and_(Proposal.submitted_on.is_(None), Proposal.decision_on.is_(None))
    return sa.or_(within(Proposal.submitted_on), within(Proposal.decision_on), undated)


def _with_total(stmt: sa.Select) -> sa.Select:
    """Add the number of rows before LIMIT, so a short list and its count come in one statement. A scalar
    subquery, worked out once: a window count would first join and keep every matching row, and then sort them
    all, where the list itself can stop at LIST_LIMIT rows read in index order."""
    total = sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery()).scalar_subquery()
    return stmt.add_columns(total.label("total")).limit(LIST_LIMIT)


def _split_total(rows) -> tuple[list, int]:
    rows = list(rows)
    return rows, (rows[0].total if rows else 0)


# --- centres -----------------------------------------------------------------------------------


def centres(scope: Scope) -> list[Centre]:
    return db.session.scalars(sa.select(Centre).where(scope.centres(Centre.id)).order_by(Centre.code)).all()


# --- partnerships ------------------------------------------------------------------------------


def partnership_counts(scope: Scope) -> list[sa.Row]:
    """(centre_id, type_code, type_name, type_position, stage, partnerships): counted per type id, then named."""
    counts = (
        sa.select(Partnership.centre_id, Organisation.type_id, Partnership.stage, sa.func.count().label("n"))
        .join(Organisation, Organisation.id == Partnership.organisation_id)
        .where(scope.centres(Partnership.centre_id))
        .group_by(Partnership.centre_id, Organisation.type_id, Partnership.stage)
        .subquery()
    )
    t = OrganisationType
    stmt = sa.select(counts.c.centre_id, t.code, t.name, t.position, counts.c.stage, counts.c.n).join(
        t, t.id == counts.c.type_id
    )
    return db.session.execute(stmt).all()


def shared_organisations(scope: Scope) -> tuple[list[sa.Row], int]:
    """Organisations engaged by more than one centre, most shared first: (id, name, acronym, centres), total.

    Counted per organisation on the partnerships' (organisation, centre) index alone, with the number of them
    in the same pass; only then joined to their names. A centre holds one partnership per organisation (a
    unique constraint), so counting partnerships counts centres."""
    engaged = sa.func.count()
    shared = (
        sa.select(Partnership.organisation_id, engaged.label("centres"), sa.func.count().over().label("total"))
        .where(scope.centres(Partnership.centre_id))
        .group_by(Partnership.organisation_id)
        .having(engaged > 1)
        .subquery()
    )
    stmt = (
        sa.select(Organisation.id, Organisation.name, Organisation.acronym, shared.c.centres, shared.c.total)
        .join(shared, shared.c.organisation_id == Organisation.id)
        .order_by(shared.c.centres.desc(), Organisation.name)
        .limit(LIST_LIMIT)
    )
    return _split_total(db.session.execute(stmt))


# --- agreements --------------------------------------------------------------------------------


def agreement_counts(scope: Scope) -> list[sa.Row]:
    """(centre_id, status, agreements)."""
    stmt = (
        sa.select(Agreement.centre_id, Agreement.status, sa.func.count())
        .where(scope.centres(Agreement.centre_id))
        .group_by(Agreement.centre_id, Agreement.status)
    )
    return db.session.execute(stmt).all()


def _agreement_columns():
    return (
        Agreement.id,
        Agreement.title,
        Agreement.kind,
        Agreement.status,
        Agreement.responsible,
        Agreement.status_since_on,
        Agreement.status_since_precision,
        Agreement.expiry_on,
        Agreement.expiry_precision,
        Agreement.next_review_on,
        Agreement.next_review_precision,
        Centre.code.label("centre_code"),
    )


def agreements_awaiting_action(scope: Scope) -> tuple[list[sa.Row], int]:
    """Open agreements (on their way to signature), the longest waiting first."""
    stmt = (
        sa.select(*_agreement_columns())
        .join(Centre, Centre.id == Agreement.centre_id)
        .where(scope.centres(Agreement.centre_id), Agreement.status.in_(OPEN_STATUSES))
        .order_by(Agreement.status_since_on.is_(None), Agreement.status_since_on, Agreement.id)
    )
    return _split_total(db.session.execute(_with_total(stmt)))


def agreements_coming_up(scope: Scope) -> tuple[list[sa.Row], int]:
    """Agreements expiring or due for review within the horizon, or already past either, soonest first."""
    horizon = scope.today + timedelta(days=HORIZON_DAYS)
    soonest = sa.func.coalesce(
        sa.case((Agreement.next_review_on <= Agreement.expiry_on, Agreement.next_review_on), else_=Agreement.expiry_on),
        Agreement.next_review_on,
    )
    stmt = (
        sa.select(*_agreement_columns())
        .join(Centre, Centre.id == Agreement.centre_id)
        .where(
            scope.centres(Agreement.centre_id),
            Agreement.status.not_in(ENDED_AGREEMENTS),
            sa.or_(Agreement.expiry_on <= horizon, Agreement.next_review_on <= horizon),
        )
        .order_by(soonest, Agreement.id)
    )
    return _split_total(db.session.execute(_with_total(stmt)))


def agreements_stalled(scope: Scope) -> tuple[list[sa.Row], int]:
    """Open agreements whose latest step (or, without steps, status date) is older than STALLED_AFTER_DAYS."""
    last_step = (
        sa.select(AgreementStep.agreement_id, sa.func.max(AgreementStep.occurred_on).label("last_on"))
        .group_by(AgreementStep.agreement_id)
        .subquery()
    )
    last_on = sa.func.coalesce(last_step.c.last_on, Agreement.status_since_on)
    stmt = (
        sa.select(*_agreement_columns(), last_on.label("last_on"))
        .join(Centre, Centre.id == Agreement.centre_id)
        .outerjoin(last_step, last_step.c.agreement_id == Agreement.id)
        .where(
            scope.centres(Agreement.centre_id),
            Agreement.status.in_(OPEN_STATUSES),
            last_on < scope.today - timedelta(days=STALLED_AFTER_DAYS),
        )
        .order_by(last_on, Agreement.id)
    )
    return _split_total(db.session.execute(_with_total(stmt)))


# --- proposals ---------------------------------------------------------------------------------


def _default_probability() -> sa.ColumnElement:
    """The status's default chance in percent (as Proposal.effective_probability when none is set)."""
    return sa.case(*((Proposal.status == status, percent) for status, percent in DEFAULT_PROBABILITY.items()), else_=0)


def proposal_buckets(scope: Scope) -> list[sa.Row]:
    """Per (centre, status, requested currency, awarded currency): proposals, requested, awarded and
    ``weighted`` (requested × probability in percent, for the proposals whose expected value is not the award).

    The status is a group key, so the proposals at their status's default chance are summed first and multiplied
    once per group; only those with a chance of their own are multiplied one by one (NUMERIC products over
    twenty thousand rows are most of this statement's time on PostgreSQL)."""
    weighed = sa.not_(sa.and_(Proposal.status == ProposalStatus.APPROVED, Proposal.awarded_amount.is_not(None)))
    requested = Proposal.requested_amount
    at_default = sa.func.sum(requested).filter(weighed, Proposal.probability.is_(None)) * _default_probability()
    at_own = sa.func.sum(requested * Proposal.probability).filter(weighed, Proposal.probability.is_not(None))
    weighted = sa.func.coalesce(at_default, 0) + sa.func.coalesce(at_own, 0)
    stmt = (
        sa.select(
            Proposal.centre_id,
            Proposal.status,
            Proposal.requested_currency,
            Proposal.awarded_currency,
            sa.func.count().label("proposals"),
            sa.func.sum(requested).label("requested"),
            sa.func.sum(Proposal.awarded_amount).label("awarded"),
            sa.type_coerce(weighted, ExactDecimal()).label("weighted"),
        )
        .where(scope.centres(Proposal.centre_id), _proposal_in_period(scope))
        .group_by(Proposal.centre_id, Proposal.status, Proposal.requested_currency, Proposal.awarded_currency)
    )
    return db.session.execute(stmt).all()


def _proposal_columns():
    return (
        Proposal.id,
        Proposal.title,
        Proposal.status,
        Proposal.deadline_on,
        Centre.code.label("centre_code"),
        Organisation.name.label("funder_name"),
        Organisation.acronym.label("funder_acronym"),
    )


def _proposal_list(scope: Scope, *conditions) -> tuple[list[sa.Row], int]:
    stmt = (
        sa.select(*_proposal_columns())
        .join(Centre, Centre.id == Proposal.centre_id)
        .join(Organisation, Organisation.id == Proposal.funder_id)
        .where(scope.centres(Proposal.centre_id), *conditions)
        .order_by(Proposal.deadline_on, Proposal.id)
    )
    return _split_total(db.session.execute(_with_total(stmt)))


def proposals_due(scope: Scope) -> tuple[list[sa.Row], int]:
    """Proposals still being prepared whose deadline falls within the horizon."""
    horizon = scope.today + timedelta(days=HORIZON_DAYS)
    return _proposal_list(
        scope, Proposal.status.in_(OPEN_PROPOSALS), Proposal.deadline_on.between(scope.today, horizon)
    )


def proposals_overdue(scope: Scope) -> tuple[list[sa.Row], int]:
    """Proposals past their deadline still in preparation: submitted late, or the status was not updated."""
    return _proposal_list(scope, Proposal.status == ProposalStatus.IN_PREPARATION, Proposal.deadline_on < scope.today)


def call_deadlines(scope: Scope) -> list[tuple[date, CallDeadline]]:
    """Funders' call deadlines (network-wide) falling within the horizon, yearly ones on their next date."""
    horizon = scope.today + timedelta(days=HORIZON_DAYS)
    calls = db.session.scalars(
        sa.select(CallDeadline).where(sa.or_(CallDeadline.is_yearly, CallDeadline.due_on.between(scope.today, horizon)))
    ).all()
    upcoming = [(call.next_on(scope.today), call) for call in calls]
    return sorted(((day, call) for day, call in upcoming if day and day <= horizon), key=lambda x: (x[0], x[1].id))[
        :LIST_LIMIT
    ]


# --- the ledger --------------------------------------------------------------------------------


def _month_after(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _ledger_spans(scope: Scope) -> tuple[bool, str | None, str | None, list[tuple[date | None, date | None]]]:
    """How the period splits between the rollup (whole months) and the entries (the days of a month it cuts).

    Returns whether whole months are in the period, the first and last of them ('YYYY-MM', None when
    unbounded), and the date ranges (inclusive, None unbounded) to read from the entries themselves."""
    lo, hi = scope.starts_on, scope.ends_on
    first = None if lo is None else (lo if lo.day == 1 else _month_after(lo))
    ends_a_month = hi is None or _month_after(hi) - timedelta(days=1) == hi
    last_end = hi if ends_a_month else hi.replace(day=1) - timedelta(days=1)
    if first is not None and last_end is not None and first > last_end:
        return False, None, None, [(lo, hi)]
    edges = []
    if lo is not None and lo < first:
        edges.append((lo, first - timedelta(days=1)))
    if hi is not None and hi > last_end:
        edges.append((last_end + timedelta(days=1), hi))
    return True, first and first.strftime("%Y-%m"), last_end and last_end.strftime("%Y-%m"), edges


def _grain(scope: Scope, keys: list[str]):
    """The coarsest rollup table that has ``keys`` and, when the scope names centres, the centre."""
    needed = set(keys) | ({"centre_id"} if scope.centre_ids is not None else set())
    for model, grain in sorted(GRAINS, key=lambda item: len(item[1])):
        if needed <= set(grain):
            return model
    raise ValueError(f"No rollup has {sorted(needed)}.")


def _is_exact_grain(scope: Scope, keys: list[str]) -> bool:
    """Whether the rollup ``_grain`` picks is keyed by exactly ``keys``, currency and month."""
    grain = dict((model, key) for model, key in GRAINS)[_grain(scope, keys)]
    return set(grain) == {*keys, "currency", "month"}


def _ledger_rows(scope: Scope, keys: list[str]) -> sa.Select | sa.CompoundSelect:
    """The rows to sum (``keys``, currency, month, amount, quantity when the keys have the unit, entries): the
    buckets of the coarsest rollup that has the keys, for the whole months in the period and undated, plus, when
    the period cuts a month, the entries of its days in that month, one row each."""
    r = _grain(scope, keys)
    whole, first, last, edges = _ledger_spans(scope)
    if not whole:
        months = r.month == ""
    elif first or last:
        dated = [r.month >= first] if first else []
        dated += [r.month <= last] if last else []
        months = sa.or_(r.month == "", sa.and_(*dated))
    else:
        months = sa.true()
    measures = (
        ("currency", "month", "amount", "quantity", "entries")
        if "unit" in keys
        else ("currency", "month", "amount", "entries")
    )
    rollup = sa.select(*(getattr(r, name) for name in (*keys, *measures))).where(months)
    if scope.centre_ids is not None:
        rollup = rollup.where(scope.centres(r.centre_id))
    if not edges:
        return rollup
    e = LedgerEntry
    spans = [sa.and_(e.booked_on >= a if a else sa.true(), e.booked_on <= b if b else sa.true()) for a, b in edges]
    cut = sa.select(
        *(getattr(e, key) for key in keys),
        sa.func.coalesce(e.currency, ""),
        month_text(e.booked_on),
        e.amount,
        *([e.quantity] if "unit" in keys else []),
        sa.case((e.reverses_id.is_(None), 1), else_=0),
    ).where(scope.centres(e.centre_id), sa.or_(*spans))
    return sa.union_all(rollup, cut)


def _stored_value(column: sa.ColumnElement) -> sa.ColumnElement:
    """An enum column read as the text it stores."""
    return sa.type_coerce(column, sa.String()).label(column.key) if isinstance(column.type, sa.Enum) else column


def ledger_buckets(scope: Scope, keys: tuple[str, ...], *, units: bool = False) -> list[sa.Row]:
    """Sums per ``keys`` (centre_id, category, kind, stage), currency and month ('YYYY-MM', None if undated).

    Rows: *keys, currency, month, amount, entries (not counting reversals). Keys come as their stored values
    ('committed', not ``Stage.COMMITTED``): a StrEnum member equals and hashes as its value, so either finds the
    same dict entry, and tens of thousands of rows skip the enum lookup. Entries without an amount
    (goods or time not valued) come with currency None. With ``units``, also per unit with the quantities
    (for goods, services and time; money has no unit), so that one statement serves the in-kind table too.
    Read from the maintained rollup (``crm.funding.rollup``) of the coarsest grain that has the keys, never
    from every entry: for the tables the dashboards show, a grain keyed exactly so, whose rows are read as they
    are (a few thousand at most); otherwise (one centre's categories, a period that cuts a month) grouped.
    """
    names = [*keys, "unit"] if units else list(keys)
    source = _ledger_rows(scope, names)
    c = source.subquery("buckets").c
    columns = [_stored_value(c[name]) for name in names]
    if isinstance(source, sa.Select) and _is_exact_grain(scope, names):
        # The rollup's own buckets are the answer: read, not grouped.
        r = source.selected_columns
        measures = [r.amount, sa.type_coerce(r.entries, sa.Integer).label("entries")] + ([r.quantity] if units else [])
        currency, month = sa.func.nullif(r.currency, "").label("currency"), sa.func.nullif(r.month, "").label("month")
        stmt = source.with_only_columns(*(_stored_value(r[name]) for name in names), currency, month, *measures)
        return db.session.connection().execute(stmt).all()
    measures = [
        sa.func.sum(c.amount).label("amount"),
        sa.type_coerce(sa.func.sum(c.entries), sa.Integer).label("entries"),
    ] + ([sa.func.sum(c.quantity).label("quantity")] if units else [])
    currency, month = sa.func.nullif(c.currency, "").label("currency"), sa.func.nullif(c.month, "").label("month")
    stmt = sa.select(*columns, currency, month, *measures).group_by(*columns, c.currency, c.month)
    # Core rows on the session's connection: thousands of buckets, no ORM entity among them.
    return db.session.connection().execute(stmt).all()


def converts_in_sql() -> bool:
    """Whether the database multiplies exact decimals exactly: PostgreSQL's NUMERIC does; SQLite holds amounts as
    scaled integers, whose products with rates would overflow into floats, so there Python converts."""
    return db.session.get_bind().dialect.name == "postgresql"


def converted_buckets(scope: Scope, keys: tuple[str, ...], rates: list[tuple[str, str, Decimal]]) -> list[sa.Row]:
    """``ledger_buckets`` converted in SQL (PostgreSQL: ``converts_in_sql``), per ``keys`` and currency.

    ``rates``: (currency, 'YYYY-MM' or '' for undated, rate) for every bucket that can be converted. Rows: *keys,
    currency, converted (each bucket's sum × its rate, added up exactly in NUMERIC), amount (every bucket),
    left_out (the buckets without a rate), entries, and the months converted and left out ('YYYY-MM,…', an
    empty item for undated). What Python makes of ``ledger_buckets``' rows, in a few hundred rows instead of
    thousands; goods or time not valued (no currency) are left out, as they have no amount."""
    b = _ledger_rows(scope, list(keys)).subquery("buckets")
    arrays = (
        sa.bindparam("currencies", [r[0] for r in rates], type_=postgresql.ARRAY(sa.Text)),
        sa.bindparam("months", [r[1] for r in rates], type_=postgresql.ARRAY(sa.Text)),
        sa.bindparam("rates", [r[2] for r in rates], type_=postgresql.ARRAY(sa.Numeric(asdecimal=True))),
    )
    r = sa.func.unnest(*arrays).table_valued("currency", "month", "rate").render_derived(name="rates")
    has_rate, no_rate = r.c.rate.is_not(None), r.c.rate.is_(None)
    stmt = (
        sa.select(
            *(_stored_value(b.c[key]) for key in keys),
            b.c.currency,
            sa.func.sum(b.c.amount * r.c.rate).filter(has_rate).label("converted"),
            sa.func.sum(b.c.amount).label("amount"),
            sa.func.sum(b.c.amount).filter(no_rate).label("left_out"),
            sa.type_coerce(sa.func.sum(b.c.entries), sa.Integer).label("entries"),
            sa.func.string_agg(b.c.month, ",").filter(has_rate).label("months"),
            sa.func.string_agg(b.c.month, ",").filter(no_rate).label("months_left_out"),
        )
        .select_from(b.outerjoin(r, sa.and_(r.c.currency == b.c.currency, r.c.month == b.c.month)))
        .where(b.c.currency != "")
        .group_by(*(b.c[key] for key in keys), b.c.currency)
    )
    return db.session.connection().execute(stmt).all()


# --- experts -----------------------------------------------------------------------------------


def roster(scope: Scope) -> dict[int, RosterCounts]:
    """The experts register's own counts (domestic/foreign, per KMGBF target), four statements."""
    return roster_counts_by_centre(None if scope.centre_ids is None else sorted(scope.centre_ids))
