from datetime import date

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import orm

from crm.agreements.models import Agreement
from crm.audit.services import history_for
from crm.centres.models import Centre
from crm.centres.services import visible_periods
from crm.core.cache import cached_page, network_versions
from crm.core.forms import refuse
from crm.core.locking import check_version
from crm.core.periods import SpanError
from crm.core.scoping import get_or_404, readable_centre_ids, scoped, writable_centres
from crm.core.web import form_page, paginate
from crm.extensions import db
from crm.funding import queries, services
from crm.funding.balance import balance
from crm.funding.forms import (
    EntryEditForm,
    EntryForm,
    NeedEditForm,
    NeedForm,
    StrategyForm,
    TrancheForm,
    VoidForm,
    WithdrawForm,
)
from crm.funding.models import Category, FundingNeed, Kind, LedgerEntry, Measure, Purpose, Stage, Tranche
from crm.money.queries import rates_for_record
from crm.money.totals import LeftOut, rate_plan
from crm.partners.models import Organisation
from crm.proposals.forms import organisation_pairs
from crm.proposals.models import Proposal, ProposalStatus

bp = Blueprint("funding", __name__, url_prefix="/resources")

FILTERS = {"category": Category, "kind": Kind, "purpose": Purpose, "stage": Stage}


def proposal_pairs(centre_ids) -> list[tuple[str, str]]:
    rows = db.session.execute(
        sa.select(Proposal.id, Proposal.title).where(Proposal.centre_id.in_(centre_ids)).order_by(Proposal.title)
    )
    return [(str(i), title[:120]) for i, title in rows]


def agreement_pairs(centre_ids) -> list[tuple[str, str]]:
    rows = db.session.execute(
        sa.select(Agreement.id, Agreement.title).where(Agreement.centre_id.in_(centre_ids)).order_by(Agreement.title)
    )
    return [(str(i), title[:120]) for i, title in rows]


def ledger_filters() -> tuple[queries.LedgerFilters, SpanError | None]:
    """The list's filters from the request; a refused date is shown, and the list shows every date."""
    centre_ids = readable_centre_ids()
    periods = visible_periods(centre_ids)
    try:
        return queries.LedgerFilters.from_args(request.args, centre_ids, periods), None
    except SpanError as error:
        args = request.args.to_dict()
        for key in ("from", "to", "period"):
            args.pop(key, None)
        return queries.LedgerFilters.from_args(args, centre_ids, periods), error


def list_context(filters: queries.LedgerFilters, error) -> dict:
    """What the entries and receipts lists both show: filters, totals, converted totals when asked."""
    totals = queries.totals(filters)
    plan = rate_plan(request.args, filters.span.ends_on or date.today())
    converted = totals.converted(plan) if plan else None
    return {
        "filters": filters,
        "span_error": error,
        "totals": totals,
        "converted": converted,
        "left_out": LeftOut.of(*converted.values()) if converted else None,
        "plan": plan,
        "periods": visible_periods(readable_centre_ids()),
        "centres": visible_centres(),
        # Money received is listed on its own page: the entries list picks pledges or commitments.
        "choices": {key: [m for m in cls if m != Measure.RECEIVED] for key, cls in queries.FILTERS.items()},
        "may_write": bool(writable_centres()),
    }


@bp.route("")
@login_required
@cached_page(network_versions)
def index():
    filters, error = ledger_filters()
    stmt = queries.entries(filters)
    # The list shows the source's name, not its type: no join for it.
    shown = stmt.options(orm.joinedload(LedgerEntry.source).lazyload(Organisation.type))
    page = paginate(shown)
    ids = [e.id for e in page.items]
    return render_template(
        "funding/index.html",
        page=page,
        received=queries.received_by_entry(ids),
        entry_count=queries.entry_count(filters),
        withdrawn_ids=queries.withdrawn_ids(ids),
        needs=queries.open_needs(filters.centre_ids if not filters.centre else visible_ids(filters.centre), filters)
        if queries.needs_apply(filters)
        else None,
        **list_context(filters, error),
    )


@bp.route("/receipts")
@login_required
def receipts():
    """The tranches received: what "Received" counts, filtered as the entries list is."""
    filters, error = ledger_filters()
    page = paginate(queries.receipts(filters).options(orm.joinedload(Tranche.entry)))
    return render_template("funding/receipts.html", page=page, **list_context(filters, error))


def visible_ids(code: str) -> set[int]:
    return {c.id for c in visible_centres() if c.code == code}


def visible_centres() -> list[Centre]:
    return db.session.scalars(scoped(sa.select(Centre).order_by(Centre.code), Centre.id)).all()


def prefill_from_proposal(form: EntryForm, proposal: Proposal) -> None:
    """An approved proposal's commitment: its centre, funder, award and decision date."""
    form.centre_id.data = proposal.centre_id
    form.source_id.data = proposal.funder_id
    form.kind.data = Kind.FINANCIAL.value
    form.purpose.data = Purpose.PROJECT_ACTIVITIES.value
    form.purpose_detail.data = proposal.title[:500]
    form.stage.data = Stage.COMMITTED.value
    form.booked_on.data = proposal.decision_on
    form.proposal_ids.data = [proposal.id]
    award = proposal.awarded or proposal.requested
    if award is not None:
        form.amount.data, form.currency.data = award.rounded().amount, award.currency


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    centres = writable_centres()
    if not centres:
        abort(403)
    ids = [c.id for c in centres]
    form = EntryForm()
    form.fill_choices(
        organisation_pairs(), proposal_pairs(ids), agreement_pairs(ids), [(str(c.id), c.code) for c in centres]
    )
    if request.method == "GET":
        form.category.data = Category.OTHER.value
        form.stage.data = Stage.COMMITTED.value
        proposal_id = request.args.get("proposal", type=int)
        if proposal_id:
            proposal = get_or_404(Proposal, proposal_id, write=True)
            if proposal.status != ProposalStatus.APPROVED:
                abort(404)
            prefill_from_proposal(form, proposal)
    if form.validate_on_submit():
        proposals, agreement = services.links(form.proposal_ids.data, form.agreement_id.data)
        try:
            entry = services.record_entry(form.centre_id.data, form.data, proposals, agreement)
        except services.LedgerError as error:
            refuse(form, error, "amount")
        else:
            flash(_("Resource recorded in the ledger."), "success")
            return redirect(url_for("funding.show", entry_id=entry.id))
    return form_page("funding/form.html", form=form, entry=None)


def show_page(entry: LedgerEntry, tranche_form=None, void_form=None, withdraw_form=None):
    if tranche_form is None:
        tranche_form = TrancheForm()
        tranche_form.received_on.data = date.today()
        tranche_form.currency.data = entry.currency
    if withdraw_form is None:
        withdraw_form = WithdrawForm()
        withdraw_form.withdrawn_on.data = date.today()
    return form_page(
        "funding/show.html",
        entry=entry,
        # Money received in tranches is for money: goods, services and time are delivered (the entry's stage).
        balance=balance(entry) if entry.kind.is_financial else None,
        own_rates=rates_for_record(entry_id=entry.id),
        tranche_form=tranche_form,
        void_form=void_form or VoidForm(),
        withdraw_form=withdraw_form,
        withdrawable=services.withdrawable(entry) if entry.is_active else None,
        submitted=submitted_sections_covering(entry.centre_id, entry.booked_on),
        may_write=current_user.can_write(entry.centre_id),
        history=history_for(entry),
        tranche_history=[item for t in entry.tranches for item in history_for(t)],
    )


@bp.route("/<int:entry_id>")
@login_required
def show(entry_id: int):
    return show_page(get_or_404(LedgerEntry, entry_id))


@bp.route("/<int:entry_id>/edit", methods=["GET", "POST"])
@login_required
def edit(entry_id: int):
    entry = get_or_404(LedgerEntry, entry_id, write=True)
    form = EntryEditForm(obj=entry)
    ids = [entry.centre_id]
    form.fill_choices(organisation_pairs(), proposal_pairs(ids), agreement_pairs(ids))
    if request.method == "GET":
        form.proposal_ids.data = [p.id for p in entry.proposals]
        if request.args.get("stage") in {stage.value for stage in Stage}:
            form.stage.data = request.args["stage"]  # "Record the delivery": the stage chosen, saved by the user
    if form.validate_on_submit():
        check_version(entry, form.version.data, form.data)
        proposals, agreement = services.links(form.proposal_ids.data, form.agreement_id.data)
        try:
            services.update_entry(entry, form.data, proposals, agreement)
        except services.LedgerError as error:
            refuse(form, error, "notes")
        else:
            flash(_("Entry saved."), "success")
            return redirect(url_for("funding.show", entry_id=entry.id))
    return form_page("funding/form.html", form=form, entry=entry)


@bp.route("/<int:entry_id>/void", methods=["POST"])
@login_required
def void(entry_id: int):
    entry = get_or_404(LedgerEntry, entry_id, write=True)
    form = VoidForm()
    if form.validate_on_submit():
        try:
            services.void_entry(entry, form.reason.data, by_id=current_user.id)
        except services.LedgerError as error:
            refuse(form, error, "reason")
        else:
            flash(_("Entry voided: it no longer counts in any figure."), "success")
            for section in submitted_sections_covering(entry.centre_id, entry.booked_on):
                flash(
                    _(
                        "%(section)s stays as submitted: start a new revision to report the change.",
                        section=section.describe(),
                    ),
                    "warning",
                )
            return redirect(url_for("funding.show", entry_id=entry.id))
    return show_page(entry, void_form=form)


@bp.route("/<int:entry_id>/withdraw", methods=["POST"])
@login_required
def withdraw(entry_id: int):
    entry = get_or_404(LedgerEntry, entry_id, write=True)
    form = WithdrawForm()
    if form.validate_on_submit():
        try:
            withdrawal = services.withdraw_entry(entry, form.data, today=date.today())
        except services.LedgerError as error:
            refuse(form, error, "reason")
        else:
            flash(_("Withdrawal recorded: it counts in the period of its date."), "success")
            return redirect(url_for("funding.show", entry_id=withdrawal.id))
    return show_page(entry, withdraw_form=form)


@bp.route("/<int:entry_id>/tranches", methods=["POST"])
@login_required
def add_tranche(entry_id: int):
    entry = get_or_404(LedgerEntry, entry_id, write=True)
    form = TrancheForm()
    if form.validate_on_submit():
        try:
            tranche = services.record_tranche(entry, form.data)
        except services.LedgerError as error:
            refuse(form, error, "amount")
        else:
            flash(
                _("Tranche recorded, flagged: more than was outstanding.")
                if tranche.is_over_outstanding
                else _("Tranche recorded."),
                "warning" if tranche.is_over_outstanding else "success",
            )
            return redirect(url_for("funding.show", entry_id=entry.id))
    return show_page(entry, tranche_form=form)


@bp.route("/<int:entry_id>/tranches/<int:tranche_id>/void", methods=["POST"])
@login_required
def void_tranche(entry_id: int, tranche_id: int):
    tranche = get_or_404(Tranche, tranche_id, write=True)
    if tranche.entry_id != entry_id:
        abort(404)
    form = VoidForm()
    if form.validate_on_submit():
        try:
            services.void_tranche(tranche, form.reason.data, by_id=current_user.id)
        except services.LedgerError as error:
            flash(str(error), "error")
        else:
            flash(_("Tranche voided: it no longer counts as received."), "success")
            return redirect(url_for("funding.show", entry_id=entry_id))
    else:
        flash(_("Say why the tranche is voided."), "error")
    return show_page(tranche.entry)  # form_page answers a refused POST with 422


def submitted_sections_covering(centre_id: int, day: date):
    """The submitted report sections whose period holds ``day``: they keep what they reported."""
    from crm.reports.queries import submitted_sections_covering as covering

    return covering(centre_id, day)


# Needs: what a centre lacks resources for.


@bp.route("/needs/new", methods=["GET", "POST"])
@login_required
def need_new():
    centres = writable_centres()
    if not centres:
        abort(403)
    form = NeedForm()
    form.fill_choices([(str(c.id), c.code) for c in centres])
    if form.validate_on_submit():
        try:
            services.save_need(None, form.centre_id.data, form.data)
        except services.LedgerError as error:
            refuse(form, error, "title")
        else:
            flash(_("Need recorded."), "success")
            return redirect(url_for("funding.index"))
    return form_page("funding/need_form.html", form=form, need=None)


@bp.route("/needs/<int:need_id>/edit", methods=["GET", "POST"])
@login_required
def need_edit(need_id: int):
    need = get_or_404(FundingNeed, need_id, write=True)
    form = NeedEditForm(obj=need)
    form.fill_choices()
    if form.validate_on_submit():
        check_version(need, form.version.data, form.data)
        try:
            services.save_need(need, need.centre_id, form.data)
        except services.LedgerError as error:
            refuse(form, error, "title")
        else:
            flash(_("Need saved."), "success")
            return redirect(url_for("funding.index"))
    return form_page("funding/need_form.html", form=form, need=need, history=history_for(need))


# The resource mobilisation strategy: one per centre, what the report's strategy row is drafted from

BLANK_ROWS = 2


def strategy_form_data(strategy) -> dict:
    if strategy is None:
        return {"status": "not_started", "sources": [{}] * BLANK_ROWS, "steps": [{}] * BLANK_ROWS}
    sources = [{"id": s.id, "label": s.label, "categories": s.categories} for s in strategy.sources]
    steps = [
        {"id": s.id, "action": s.action, "source": s.source.label if s.source else "", "due": s.due, "done": s.done}
        for s in strategy.steps
    ]
    return {
        "version": strategy.version,
        "status": strategy.status.value,
        "adopted": strategy.adopted,
        "notes": strategy.notes,
        "sources": sources + [{}] * BLANK_ROWS,
        "steps": steps + [{}] * BLANK_ROWS,
    }


@bp.route("/strategy/<int:centre_id>", methods=["GET", "POST"])
@login_required
def strategy(centre_id: int):
    centre = get_or_404(Centre, centre_id, centre_of=lambda c: c.id)
    record = queries.strategy_of(centre.id)
    if not current_user.can_write(centre.id):
        if request.method == "POST":
            abort(403)
        return render_template("funding/strategy.html", centre=centre, strategy=record, form=None)
    form = StrategyForm(data=strategy_form_data(record))
    form.fill_choices([s.label for s in record.sources] if record else [])
    if form.validate_on_submit():
        if record is not None:
            check_version(record, form.version.data, form.data)
        try:
            services.save_strategy(record, centre.id, form.data)
        except services.LedgerError as error:
            refuse(form, error, "status")
        else:
            flash(_("Strategy saved: the next draft or redraft of the report's strategy row follows it."), "success")
            return redirect(url_for("funding.strategy", centre_id=centre.id))
    return form_page("funding/strategy.html", centre=centre, strategy=record, form=form)
