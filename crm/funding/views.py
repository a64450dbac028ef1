from datetime import date

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import orm

from crm.agreements.models import Agreement
from crm.audit.services import history_for
from crm.centres.models import Centre
from crm.core.forms import refuse
from crm.core.locking import check_version
from crm.core.scoping import get_or_404, readable_centre_ids, scoped, writable_centres
from crm.core.web import form_page, paginate
from crm.extensions import db
from crm.funding import queries, services
from crm.funding.balance import balance
from crm.funding.forms import EntryEditForm, EntryForm, NeedEditForm, NeedForm, ReverseForm, TrancheForm
from crm.funding.models import Category, FundingNeed, Kind, LedgerEntry, Purpose, Stage, Tranche
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


def linked(centre_id: int, proposal_ids, agreement_id):
    proposals = db.session.scalars(sa.select(Proposal).where(Proposal.id.in_(proposal_ids or []))).all()
    agreement = db.session.get(Agreement, agreement_id) if agreement_id else None
    return proposals, agreement


def list_filters() -> dict:
    """The list's filters the request gives with a valid value: key → enum member."""
    chosen = {key: request.args.get(key) for key in FILTERS}
    return {key: cls(chosen[key]) for key, cls in FILTERS.items() if chosen[key] in {m.value for m in cls}}


def filtered_entries() -> sa.Select:
    stmt = scoped(sa.select(LedgerEntry), LedgerEntry.centre_id)
    code = request.args.get("centre")
    if code:
        stmt = stmt.join(Centre, Centre.id == LedgerEntry.centre_id).where(Centre.code == code)
    for key, value in list_filters().items():
        stmt = stmt.where(getattr(LedgerEntry, key) == value)
    return stmt


@bp.route("")
@login_required
def index():
    stmt = filtered_entries()
    # The list shows the source's name, not its type: no join for it.
    shown = stmt.options(orm.joinedload(LedgerEntry.source).lazyload(Organisation.type))
    page = paginate(shown.order_by(LedgerEntry.booked_on.desc().nulls_last(), LedgerEntry.id.desc()))
    ids = [e.id for e in page.items]
    totals = queries.list_stage_totals(stmt, readable_centre_ids(), request.args.get("centre"), list_filters())
    return render_template(
        "funding/index.html",
        page=page,
        totals=totals,
        received=queries.received_by_entry(ids),
        reversed_ids=queries.reversed_ids(ids),
        needs=queries.open_needs({c.id for c in visible_centres()}),
        centres=visible_centres(),
        filters={key: list(cls) for key, cls in FILTERS.items()},
        may_write=bool(writable_centres()),
    )


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
        proposals, agreement = linked(form.centre_id.data, form.proposal_ids.data, form.agreement_id.data)
        try:
            entry = services.record_entry(form.centre_id.data, form.data, proposals, agreement)
        except services.LedgerError as error:
            refuse(form, error, "amount")
        else:
            flash("Resource recorded in the ledger.", "success")
            return redirect(url_for("funding.show", entry_id=entry.id))
    return form_page("funding/form.html", form=form, entry=None)


def show_page(entry: LedgerEntry, tranche_form=None, reverse_form=None):
    if tranche_form is None:
        tranche_form = TrancheForm()
        tranche_form.received_on.data = date.today()
        tranche_form.currency.data = entry.currency
    return form_page(
        "funding/show.html",
        entry=entry,
        balance=balance(entry),
        tranche_form=tranche_form,
        reverse_form=reverse_form or ReverseForm(),
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
    if form.validate_on_submit():
        check_version(entry, form.version.data, form.data)
        proposals, agreement = linked(entry.centre_id, form.proposal_ids.data, form.agreement_id.data)
        try:
            services.update_entry(entry, form.data, proposals, agreement)
        except services.LedgerError as error:
            refuse(form, error, "notes")
        else:
            flash("Entry saved.", "success")
            return redirect(url_for("funding.show", entry_id=entry.id))
    return form_page("funding/form.html", form=form, entry=entry)


@bp.route("/<int:entry_id>/reverse", methods=["POST"])
@login_required
def reverse(entry_id: int):
    entry = get_or_404(LedgerEntry, entry_id, write=True)
    form = ReverseForm()
    if form.validate_on_submit():
        try:
            reversal = services.reverse_entry(entry, form.reason.data, date.today())
        except services.LedgerError as error:
            refuse(form, error, "reason")
        else:
            flash("Entry reversed. Record a new entry if the resource should be booked differently.", "success")
            return redirect(url_for("funding.show", entry_id=reversal.id))
    return show_page(entry, reverse_form=form)


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
                "Tranche recorded" + (", flagged: more than was outstanding." if tranche.is_over_outstanding else "."),
                "warning" if tranche.is_over_outstanding else "success",
            )
            return redirect(url_for("funding.show", entry_id=entry.id))
    return show_page(entry, tranche_form=form)


@bp.route("/<int:entry_id>/tranches/<int:tranche_id>/reverse", methods=["POST"])
@login_required
def reverse_tranche(entry_id: int, tranche_id: int):
    tranche = get_or_404(Tranche, tranche_id, write=True)
    if tranche.entry_id != entry_id:
        abort(404)
    form = ReverseForm()
    if form.validate_on_submit():
        try:
            services.reverse_tranche(tranche, form.reason.data)
        except services.LedgerError as error:
            flash(str(error), "error")
        else:
            flash("Tranche reversed.", "success")
            return redirect(url_for("funding.show", entry_id=entry_id))
    else:
        flash("Say why the tranche is reversed.", "error")
    return show_page(tranche.entry)


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
            flash("Need recorded.", "success")
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
            flash("Need saved.", "success")
            return redirect(url_for("funding.index"))
    return form_page("funding/need_form.html", form=form, need=need, history=history_for(need))


@bp.app_template_filter("per_currency")
def per_currency(amounts: dict) -> str:
    """{"CNY": Decimal("900000")} → "CNY 900,000.00", currencies side by side, never added together."""
    from crm.money import Money

    return " · ".join(str(Money(amount, code)) for code, amount in sorted(amounts.items())) or "—"
