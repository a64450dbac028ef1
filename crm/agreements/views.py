from datetime import date

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from crm.agreements import queries, services
from crm.agreements.forms import (
    AgreementEditForm,
    AmendmentForm,
    DocumentForm,
    NewAgreementForm,
    StepEditForm,
    StepForm,
)
from crm.agreements.models import (
    OPEN_STATUSES,
    Agreement,
    AgreementDocument,
    AgreementKind,
    AgreementStatus,
    AgreementStep,
    ReportArea,
)
from crm.audit.models import AuditEntry
from crm.centres.services import reader_span, visible_periods
from crm.core.cache import cached_page, network_versions
from crm.core.deletion import delete_page
from crm.core.forms import refuse
from crm.core.locking import check_version
from crm.core.scoping import get_or_404, readable_centre_ids, writable_centres
from crm.core.uploads import UploadError, store
from crm.core.web import as_id, form_page, paginate
from crm.extensions import db
from crm.partners import queries as partner_queries
from crm.partners.models import Organisation
from crm.partners.queries import Filters
from crm.partners.related import RelatedSection, related_section

bp = Blueprint("agreements", __name__, url_prefix="/agreements")


@related_section(order=10)
def agreements_with_partner(partnership):
    return RelatedSection(
        _("Agreements"), "agreements/_partner_section.html", {"agreements": queries.for_partnership(partnership)}
    )


def directory() -> list[Organisation]:
    return partner_queries.directory()


@bp.route("")
@login_required
@cached_page(network_versions)
def index():
    span, span_error = reader_span(request.args)
    filters = Filters.from_args(request.args, span)
    page = paginate(queries.agreements(filters))
    return render_template(
        "agreements/index.html",
        page=page,
        filters=filters,
        span_error=span_error,
        periods=visible_periods(readable_centre_ids()),
        kinds=list(AgreementKind),
        statuses=list(AgreementStatus),
        areas=list(ReportArea),
        may_create=bool(writable_centres()),
    )


@bp.route("/work")
@login_required
def work():
    today = date.today()
    centre_ids = readable_centre_ids()
    return render_template(
        "agreements/work.html",
        awaiting=db.session.scalars(queries.awaiting_action(centre_ids)).all(),
        stale=db.session.execute(queries.stalled(centre_ids, today)).all(),
        due=db.session.scalars(queries.coming_up(centre_ids, today)).all(),
        overdue=queries.overdue_partnerships(today),
        stale_days=queries.STALLED_AFTER_DAYS,
        due_days=queries.DUE_WITHIN_DAYS,
        today=today,
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    centres = writable_centres()
    if not centres:
        abort(403)
    centre = next((c for c in centres if c.id == request.values.get("centre_id", type=int)), centres[0])
    form = NewAgreementForm(organisations=directory())
    if request.method == "GET":
        # Most agreements a centre starts are cooperation agreements; started from a partnership, with that partner.
        form.kind.data = AgreementKind.COOPERATION_AGREEMENT.value
        partner = db.session.get(Organisation, as_id(request.args.get("organisation_id")) or 0)
        if partner is not None:
            form.counterpart_ids.data = [str(partner.id)]
            form.title.data = f"Cooperation agreement with {partner.acronym or partner.name}"
    if form.validate_on_submit():
        try:
            agreement = services.create_agreement(centre.id, form.data, current_user.id, today=date.today())
        except services.AgreementError as error:
            refuse(form, error, "title")
        else:
            flash(_("Agreement “%(title)s” created.", title=agreement.title), "success")
            return redirect(url_for("agreements.show", agreement_id=agreement.id))
    return form_page("agreements/form.html", form=form, agreement=None, centre=centre, centres=centres)


def agreement_history(agreement: Agreement):
    """Changes to the agreement and to its steps (those withdrawn too), documents and amendments, newest first, in
    one query."""
    records = {
        "agreements": [agreement.id],
        "agreement_steps": [s.id for s in agreement.steps],
        "agreement_documents": [d.id for d in agreement.documents],
        "amendments": [a.id for a in agreement.amendments],
    }
    # A withdrawn step is no longer among the agreement's: its deletion names the agreement it belonged to.
    withdrawn = sa.and_(
        AuditEntry.entity == "agreement_steps",
        AuditEntry.action == "delete",
        AuditEntry.centre_id == agreement.centre_id,
        AuditEntry.changes["agreement_id"][0].as_integer() == agreement.id,
    )
    return db.session.scalars(
        sa.select(AuditEntry)
        .where(
            sa.or_(
                withdrawn,
                *(sa.and_(AuditEntry.entity == e, AuditEntry.entity_id.in_(ids)) for e, ids in records.items() if ids),
            )
        )
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    ).all()


def agreement_page(agreement: Agreement, step_form=None, document_form=None, amendment_form=None):
    return form_page(
        "agreements/show.html",
        agreement=agreement,
        step_form=step_form or StepForm(formdata=None, status=agreement.status.value),
        document_form=document_form or DocumentForm(formdata=None),
        amendment_form=amendment_form or AmendmentForm(formdata=None),
        may_write=current_user.can_write(agreement.centre_id),
        history=agreement_history(agreement),
        open_statuses=OPEN_STATUSES,
    )


@bp.route("/<int:agreement_id>")
@login_required
def show(agreement_id: int):
    return agreement_page(get_or_404(Agreement, agreement_id))


@bp.route("/<int:agreement_id>/edit", methods=["GET", "POST"])
@login_required
def edit(agreement_id: int):
    agreement = get_or_404(Agreement, agreement_id, write=True)
    form = AgreementEditForm(obj=agreement, organisations=directory())
    if request.method == "GET":
        form.counterpart_ids.data = [str(o.id) for o in agreement.counterparts]
        form.kind.data = agreement.kind.value
        form.report_area.data = agreement.report_area.value if agreement.report_area else ""
    if form.validate_on_submit():
        check_version(agreement, form.version.data, form.data)
        try:
            services.update_agreement(agreement, form.data)
        except services.AgreementError as error:
            refuse(form, error, "title")
        else:
            flash(_("Agreement saved."), "success")
            return redirect(url_for("agreements.show", agreement_id=agreement.id))
    return form_page("agreements/form.html", form=form, agreement=agreement, centre=agreement.centre)


@bp.route("/<int:agreement_id>/delete", methods=["GET", "POST"])
@login_required
def delete(agreement_id: int):
    agreement = get_or_404(Agreement, agreement_id, write=True)
    return delete_page(
        services.deletion_of_agreement(agreement),
        lambda: services.delete_agreement(agreement),
        cancel_url=url_for("agreements.show", agreement_id=agreement.id),
        done_url=url_for("agreements.index"),
    )


@bp.route("/<int:agreement_id>/steps", methods=["POST"])
@login_required
def add_step(agreement_id: int):
    agreement = get_or_404(Agreement, agreement_id, write=True)
    form = StepForm()
    if not form.validate_on_submit():
        return agreement_page(agreement, step_form=form)
    try:
        step = services.add_step(
            agreement,
            form.status.data,
            form.occurred.data,
            form.note.data,
            current_user.id,
            today=date.today(),
            confirmed=form.confirm_future.data,
        )
    except services.AgreementError as error:
        refuse(form, error, "occurred")
        return agreement_page(agreement, step_form=form)
    if step.is_out_of_order:
        flash(
            _(
                "Step recorded, but it is dated %(occurred)s, before the step entered previously: it is flagged.",
                occurred=step.occurred,
            ),
            "warning",
        )
    else:
        flash(
            _("Status now “%(label)s” since %(occurred)s.", label=step.status.label, occurred=step.occurred), "success"
        )
    return redirect(url_for("agreements.show", agreement_id=agreement.id) + "#steps")


@bp.route("/steps/<int:step_id>/edit", methods=["GET", "POST"])
@login_required
def edit_step(step_id: int):
    """Correct a step entered by mistake: its status, date or note; the agreement's status follows."""
    step = get_or_404(AgreementStep, step_id, write=True)
    form = StepEditForm(obj=step)
    if request.method == "GET":
        form.status.data = step.status.value
        form.occurred.data = step.occurred
    if form.validate_on_submit():
        check_version(step, form.version.data, form.data)
        try:
            services.correct_step(
                step,
                form.status.data,
                form.occurred.data,
                form.note.data,
                today=date.today(),
                confirmed=form.confirm_future.data,
            )
        except services.AgreementError as error:
            refuse(form, error, "occurred")
        else:
            flash(_("Step corrected: the status is now “%(label)s”.", label=step.agreement.status.label), "success")
            return redirect(url_for("agreements.show", agreement_id=step.agreement_id) + "#steps")
    return form_page("agreements/step_form.html", form=form, step=step, agreement=step.agreement)


@bp.route("/steps/<int:step_id>/delete", methods=["GET", "POST"])
@login_required
def delete_step(step_id: int):
    """Withdraw a step entered by mistake, after a confirmation; the status is recomputed from the other steps."""
    step = get_or_404(AgreementStep, step_id, write=True)
    back = url_for("agreements.show", agreement_id=step.agreement_id) + "#steps"
    return delete_page(
        services.deletion_of_step(step), lambda: services.remove_step(step), cancel_url=back, done_url=back
    )


@bp.route("/<int:agreement_id>/documents", methods=["POST"])
@login_required
def add_document(agreement_id: int):
    agreement = get_or_404(Agreement, agreement_id, write=True)
    form = DocumentForm()
    if form.validate_on_submit():
        try:
            upload = store(form.file.data)
        except UploadError as error:
            form.file.errors.append(str(error))
        else:
            document = services.add_document(agreement, upload, form.title.data, form.note.data, current_user.id)
            flash(
                _(
                    "%(title)s version %(version_number)s uploaded.",
                    title=document.title,
                    version_number=document.version_number,
                ),
                "success",
            )
            return redirect(url_for("agreements.show", agreement_id=agreement.id) + "#documents")
    return agreement_page(agreement, document_form=form)


@bp.route("/documents/<int:document_id>")
@login_required
def download(document_id: int):
    document = get_or_404(AgreementDocument, document_id)
    return document.send()


@bp.route("/<int:agreement_id>/amendments", methods=["POST"])
@login_required
def add_amendment(agreement_id: int):
    agreement = get_or_404(Agreement, agreement_id, write=True)
    form = AmendmentForm()
    if not form.validate_on_submit():
        return agreement_page(agreement, amendment_form=form)
    amendment = services.add_amendment(agreement, form.data)
    flash(_("Amendment “%(title)s” recorded.", title=amendment.title), "success")
    return redirect(url_for("agreements.show", agreement_id=agreement.id) + "#amendments")
