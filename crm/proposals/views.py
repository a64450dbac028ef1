from datetime import date

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import orm

from crm.audit.services import history_for
from crm.auth.models import User, memberships
from crm.centres.models import Centre
from crm.centres.services import reader_span, visible_periods
from crm.core.forms import refuse
from crm.core.locking import check_version
from crm.core.scoping import get_or_404, readable_centre_ids, scoped, writable_centres
from crm.core.uploads import UploadError, store
from crm.core.web import form_page, paginate
from crm.extensions import db
from crm.money.totals import Converter, LeftOut, rate_plan
from crm.partners.models import Organisation
from crm.proposals import queries, services
from crm.proposals.forms import (
    DeadlineEditForm,
    DeadlineForm,
    DocumentForm,
    MechanismEditForm,
    MechanismForm,
    ProposalEditForm,
    ProposalForm,
    StatusForm,
)
from crm.proposals.models import CallDeadline, FundingMechanism, Proposal, ProposalDocument, ProposalStatus

bp = Blueprint("proposals", __name__)


def may_edit_funders() -> bool:
    """Funders' programmes are shared by the network: any centre's staff and admins keep them; coordinators read."""
    return current_user.is_admin or bool(writable_centres())


def owner_pairs(centre_ids) -> list[tuple[str, str]]:
    users = db.session.scalars(
        sa.select(User)
        .join(memberships)
        .where(memberships.c.centre_id.in_(centre_ids), User.active)
        .order_by(User.name)
        .distinct()
    ).all()
    return [(str(u.id), u.name) for u in users]


def target_currency(centre_ids) -> str:
    """Totals of one centre convert to its reporting currency; across centres, to US dollars."""
    if centre_ids is not None and len(centre_ids) == 1:
        return db.session.get(Centre, next(iter(centre_ids))).reporting_currency
    return "USD"


def view_centre_ids() -> set[int] | None:
    """The centres in view: the user's, narrowed by ?centre=CODE to one."""
    code = request.args.get("centre")
    centre_ids = queries.centres_in_view(code, readable_centre_ids())
    if code and not centre_ids:
        abort(404)
    return centre_ids


def visible_centres() -> list[Centre]:
    return db.session.scalars(scoped(sa.select(Centre).order_by(Centre.code), Centre.id)).all()


@bp.route("/proposals")
@login_required
def index():
    # The list shows the centre, the funder and the mechanism's name: not the owner, nor the funder's type.
    stmt = scoped(sa.select(Proposal), Proposal.centre_id).options(
        orm.lazyload(Proposal.owner),
        orm.joinedload(Proposal.funder).lazyload(Organisation.type),
        orm.joinedload(Proposal.mechanism).lazyload(FundingMechanism.funder),
    )
    span, span_error = reader_span(request.args)
    sort = request.args.get("sort", queries.DEFAULT_SORT)
    args = request.args
    stmt = queries.listed(stmt, view_centre_ids(), args.get("status"), args.get("q"), span, args.get("event"))
    page = paginate(queries.sorted_list(stmt, sort))
    pipeline = queries.list_pipeline(stmt, span)
    plan = rate_plan(args, span.ends_on or date.today())
    converted = pipeline.converted(Converter.load(plan, pipeline.currencies())) if plan else None
    return render_template(
        "proposals/index.html",
        page=page,
        pipeline=pipeline,
        converted=converted,
        left_out=LeftOut.of(*converted.values()) if converted else None,
        plan=plan,
        sort=sort,
        statuses=list(ProposalStatus),
        groups=queries.GROUP_LABELS,
        centres=visible_centres(),
        span=span,
        span_error=span_error,
        periods=visible_periods(readable_centre_ids()),
    )


@bp.route("/proposals/board")
@login_required
def board():
    centre_ids = view_centre_ids()
    today = date.today()
    target = target_currency(centre_ids)
    columns = queries.board(centre_ids, target, today)
    return render_template(
        "proposals/board.html",
        columns=columns,
        left_out=LeftOut.of(*(column.converted for column in columns if column.expected)),
        deadlines=queries.deadlines_ahead(centre_ids, today),
        windows=queries.WINDOWS,
        target=target,
        centres=visible_centres(),
        today=today,
    )


@bp.route("/proposals/new", methods=["GET", "POST"])
@login_required
def new():
    centres = writable_centres()
    if not centres:
        abort(403)
    form = ProposalForm()
    form.fill_choices(owner_pairs([c.id for c in centres]), [(str(c.id), c.code) for c in centres])
    if request.method == "GET":
        form.status.data = ProposalStatus.IDEA.value
        form.owner_id.data = current_user.id
    if form.validate_on_submit():
        get_or_404(Centre, form.centre_id.data, write=True, centre_of=lambda c: c.id)
        try:
            proposal = services.create_proposal(form.centre_id.data, form.data, current_user, today=date.today())
        except services.ProposalError as error:
            refuse(form, error, "title")
        else:
            flash(_("Proposal recorded."), "success")
            return redirect(url_for("proposals.show", proposal_id=proposal.id))
    return form_page("proposals/form.html", form=form, proposal=None)


def show_page(proposal: Proposal, status_form=None, document_form=None):
    from crm.funding.services import entries_for_proposal

    if status_form is None:
        status_form = StatusForm()
        status_form.changed_on.data = date.today()
    status_form.fill_choices(proposal.next_statuses)
    return form_page(
        "proposals/show.html",
        proposal=proposal,
        status_form=status_form,
        document_form=document_form or DocumentForm(),
        entries=entries_for_proposal(proposal.id),
        may_write=current_user.can_write(proposal.centre_id),
        history=history_for(proposal),
    )


@bp.route("/proposals/<int:proposal_id>")
@login_required
def show(proposal_id: int):
    return show_page(get_or_404(Proposal, proposal_id))


@bp.route("/proposals/<int:proposal_id>/edit", methods=["GET", "POST"])
@login_required
def edit(proposal_id: int):
    proposal = get_or_404(Proposal, proposal_id, write=True)
    form = ProposalEditForm(obj=proposal)
    form.fill_choices(owner_pairs([proposal.centre_id]))
    if request.method == "GET":
        form.co_applicant_ids.data = [p.organisation_id for p in proposal.partners if p.role == "co_applicant"]
        form.partner_ids.data = [p.organisation_id for p in proposal.partners if p.role == "partner"]
    if form.validate_on_submit():
        check_version(proposal, form.version.data, form.data)
        try:
            services.update_proposal(proposal, form.data)
        except services.ProposalError as error:
            refuse(form, error, "title")
        else:
            flash(_("Proposal saved."), "success")
            return redirect(url_for("proposals.show", proposal_id=proposal.id))
    return form_page("proposals/form.html", form=form, proposal=proposal)


@bp.route("/proposals/<int:proposal_id>/status", methods=["POST"])
@login_required
def change_status(proposal_id: int):
    proposal = get_or_404(Proposal, proposal_id, write=True)
    form = StatusForm()
    form.fill_choices(proposal.next_statuses)
    if form.validate_on_submit():
        try:
            services.change_status(proposal, form.data, current_user)
        except services.ProposalError as error:
            refuse(form, error, "status")
        else:
            flash(_("Status changed to %(label)s.", label=proposal.status.label.lower()), "success")
            return redirect(url_for("proposals.show", proposal_id=proposal.id))
    return show_page(proposal, status_form=form)


@bp.route("/proposals/<int:proposal_id>/documents", methods=["POST"])
@login_required
def add_document(proposal_id: int):
    proposal = get_or_404(Proposal, proposal_id, write=True)
    form = DocumentForm()
    if form.validate_on_submit():
        try:
            upload = store(request.files.get("file"))
        except UploadError as error:
            form.file.errors.append(str(error))
        else:
            services.add_document(proposal, form.title.data, upload, current_user)
            flash(_("Document added."), "success")
            return redirect(url_for("proposals.show", proposal_id=proposal.id))
    return show_page(proposal, document_form=form)


@bp.route("/proposals/<int:proposal_id>/documents/<int:document_id>")
@login_required
def document(proposal_id: int, document_id: int):
    record = get_or_404(ProposalDocument, document_id)
    if record.proposal_id != proposal_id:
        abort(404)
    return record.send()


# Funders' programmes, calls and funds, with their call calendar.


@bp.route("/funders")
@login_required
def funders():
    return render_template(
        "proposals/funders.html",
        mechanisms=queries.mechanisms_with_funders(),
        may_edit=may_edit_funders(),
        today=date.today(),
    )


@bp.route("/funders/new", methods=["GET", "POST"])
@login_required
def mechanism_new():
    if not may_edit_funders():
        abort(403)
    form = MechanismForm()
    form.fill_choices()
    if form.validate_on_submit():
        try:
            services.save_mechanism(None, form.data)
        except services.ProposalError as error:
            refuse(form, error, "name")
        else:
            flash(_("Programme recorded."), "success")
            return redirect(url_for("proposals.funders"))
    return form_page("proposals/mechanism_form.html", form=form, mechanism=None, deadline_form=None)


@bp.route("/funders/<int:mechanism_id>/edit", methods=["GET", "POST"])
@login_required
def mechanism_edit(mechanism_id: int):
    mechanism = db.session.get(FundingMechanism, mechanism_id) or abort(404)
    if not may_edit_funders():
        abort(403)
    form = MechanismEditForm(obj=mechanism)
    form.fill_choices()
    if form.validate_on_submit():
        check_version(mechanism, form.version.data, form.data)
        try:
            services.save_mechanism(mechanism, form.data)
        except services.ProposalError as error:
            refuse(form, error, "name")
        else:
            flash(_("Programme saved."), "success")
            return redirect(url_for("proposals.funders"))
    return form_page(
        "proposals/mechanism_form.html",
        form=form,
        mechanism=mechanism,
        deadline_form=DeadlineForm(),
        history=history_for(mechanism),
    )


@bp.route("/funders/<int:mechanism_id>/deadlines", methods=["POST"])
@login_required
def add_deadline(mechanism_id: int):
    mechanism = db.session.get(FundingMechanism, mechanism_id) or abort(404)
    if not may_edit_funders():
        abort(403)
    form = DeadlineForm()
    if form.validate_on_submit():
        try:
            services.add_deadline(mechanism, form.data)
        except services.ProposalError as error:
            refuse(form, error, "label")
        else:
            flash(_("Deadline added to the call calendar."), "success")
            return redirect(url_for("proposals.mechanism_edit", mechanism_id=mechanism.id))
    edit_form = MechanismEditForm(obj=mechanism)
    edit_form.fill_choices()
    return form_page(
        "proposals/mechanism_form.html",
        form=edit_form,
        mechanism=mechanism,
        deadline_form=form,
        history=history_for(mechanism),
    )


@bp.route("/funders/deadlines/<int:deadline_id>/edit", methods=["GET", "POST"])
@login_required
def deadline_edit(deadline_id: int):
    deadline = db.session.get(CallDeadline, deadline_id) or abort(404)
    if not may_edit_funders():
        abort(403)
    form = DeadlineEditForm(obj=deadline)
    if form.validate_on_submit():
        check_version(deadline, form.version.data, form.data)
        try:
            services.update_deadline(deadline, form.data)
        except services.ProposalError as error:
            refuse(form, error, "label")
        else:
            flash(_("Deadline saved."), "success")
            return redirect(url_for("proposals.mechanism_edit", mechanism_id=deadline.mechanism_id))
    return form_page("proposals/deadline_form.html", form=form, deadline=deadline, history=history_for(deadline))
