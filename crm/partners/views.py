from datetime import date

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from crm.audit.models import AuditEntry
from crm.auth.models import User, memberships
from crm.auth.views import admin_required
from crm.centres.services import country_choices, reader_span, visible_periods
from crm.core.deletion import delete_page
from crm.core.forms import refuse
from crm.core.kmgbf import target_pairs
from crm.core.locking import check_version
from crm.core.scoping import get_or_404, readable_centre_ids, writable_centres
from crm.core.web import as_id, form_page, paginate
from crm.extensions import db
from crm.partners import queries, services
from crm.partners.forms import (
    ContactEditForm,
    ContactForm,
    InteractionForm,
    MergeForm,
    NewPartnershipForm,
    OrganisationEditForm,
    OrganisationForm,
    OrganisationTypeForm,
    PartnershipEditForm,
    TypeHeadingForm,
)
from crm.partners.models import Contact, Organisation, OrganisationType, Partnership, PartnershipRole, Stage
from crm.partners.related import sections_for

bp = Blueprint("partners", __name__)


def may_edit_directory() -> bool:
    return services.may_edit_directory(current_user)


def require_directory_writer() -> None:
    if not may_edit_directory():
        abort(403)


def centre_members(centre_id: int) -> list[User]:
    return db.session.scalars(
        sa.select(User).join(memberships).where(memberships.c.centre_id == centre_id, User.active).order_by(User.name)
    ).all()


def list_context(**extra):
    span, span_error = reader_span(request.args)
    return {
        "filters": queries.Filters.from_args(request.args, span),
        "span_error": span_error,
        "periods": visible_periods(readable_centre_ids()),
        "types": services.all_types(),
        "stages": list(Stage),
        "roles": list(PartnershipRole),
        "countries": country_choices(),
        "targets": target_pairs(),
        **extra,
    }


# The directory


@bp.route("/organisations")
@login_required
def organisations():
    context = list_context()
    page = paginate(queries.organisations(context["filters"]))
    return render_template("partners/organisations.html", page=page, may_edit=may_edit_directory(), **context)


@bp.route("/organisations/new", methods=["GET", "POST"])
@login_required
def organisation_new():
    require_directory_writer()
    form = OrganisationForm(types=services.all_types())
    duplicates = []
    if form.validate_on_submit():
        duplicates = services.likely_duplicates(
            form.name.data, services.split_names(form.other_names.data or ""), form.acronym.data or ""
        )
        if duplicates and not form.create_anyway.data:
            form.name.errors.append(_("This looks like an organisation already in the directory: see below."))
        else:
            try:
                organisation = services.save_organisation(None, form.data)
            except services.PartnerError as error:
                refuse(form, error, "name")
            else:
                flash(_("%(name)s added to the directory.", name=organisation.name), "success")
                return redirect(url_for("partners.organisation", organisation_id=organisation.id))
    return form_page("partners/organisation_form.html", form=form, organisation=None, duplicates=duplicates)


@bp.route("/organisations/<int:organisation_id>")
@login_required
def organisation(organisation_id: int):
    organisation = db.get_or_404(Organisation, organisation_id)
    if organisation.merged_into_id:
        # An alias: old links (bookmarks, the audit log, mail) lead to the entry it was merged into.
        return redirect(url_for("partners.organisation", organisation_id=organisation.merged_into_id))
    own = [services.partnership_of(c.id, organisation.id) for c in current_user.centres]
    engaged = queries.engagements([organisation.id]).get(organisation.id, []) if current_user.reads_all_centres else []
    return render_template(
        "partners/organisation.html",
        organisation=organisation,
        own_partnerships=[p for p in own if p],
        engaged=engaged,
        may_edit=may_edit_directory(),
        may_start=bool(writable_centres()) and not all(own),
        history=queries.organisation_history(organisation),
        duplicates=services.likely_duplicates(
            organisation.name, organisation.other_names, organisation.acronym, exclude_id=organisation.id
        ),
    )


@bp.route("/organisations/<int:organisation_id>/merge", methods=["GET", "POST"])
@login_required
def organisation_merge(organisation_id: int):
    """Merge this entry (a duplicate) into another: choose it, read what moves, confirm."""
    require_directory_writer()
    duplicate = db.get_or_404(Organisation, organisation_id)
    if duplicate.merged_into_id:
        abort(404)
    form = MergeForm(organisations=queries.directory(exclude_id=duplicate.id))
    if request.method == "GET" and request.args.get("into"):
        form.survivor_id.data = request.args["into"]
    plan = None
    survivor = db.session.get(Organisation, as_id(form.survivor_id.data) or 0) if form.survivor_id.data else None
    if survivor is not None:
        try:
            plan = services.plan_merge(survivor, duplicate)
        except services.PartnerError as error:
            form.survivor_id.errors = [*form.survivor_id.errors, str(error)]
    if plan is not None and not plan.allowed(current_user):
        form.survivor_id.errors = [
            *form.survivor_id.errors,
            _("This merge changes records of centres you are not a member of: an administrator can make it."),
        ]
    if request.method == "POST" and request.form.get("confirm") and form.validate_on_submit() and not form.errors:
        if plan is None or not plan.allowed(current_user):
            abort(403)
        services.merge_organisations(plan)
        flash(
            _(
                "%(duplicate)s merged into %(survivor)s: its links moved, its names kept as other names.",
                duplicate=duplicate.name,
                survivor=survivor.name,
            ),
            "success",
        )
        return redirect(url_for("partners.organisation", organisation_id=survivor.id))
    return form_page("partners/merge.html", form=form, duplicate=duplicate, plan=plan)


@bp.route("/organisations/<int:organisation_id>/edit", methods=["GET", "POST"])
@login_required
def organisation_edit(organisation_id: int):
    require_directory_writer()
    organisation = db.get_or_404(Organisation, organisation_id)
    form = OrganisationEditForm(obj=organisation, types=services.all_types())
    if request.method == "GET":
        form.other_names.data = "\n".join(organisation.other_names or [])
    if form.validate_on_submit():
        check_version(organisation, form.version.data, form.data)
        try:
            services.save_organisation(organisation, form.data)
        except services.PartnerError as error:
            refuse(form, error, "name")
        else:
            flash(_("%(name)s saved.", name=organisation.name), "success")
            return redirect(url_for("partners.organisation", organisation_id=organisation.id))
    return form_page("partners/organisation_form.html", form=form, organisation=organisation, duplicates=[])


@bp.route("/organisations/types", methods=["GET", "POST"])
@admin_required
def types():
    form = OrganisationTypeForm()
    if form.validate_on_submit():
        try:
            kind = services.add_type(form.name.data, plural_name=form.plural_name.data)
        except services.PartnerError as error:
            refuse(form, error, "name")
        else:
            flash(_("Type “%(name)s” added.", name=kind.name), "success")
            return redirect(url_for("partners.types"))
    return form_page("partners/types.html", form=form, types=services.all_types())


@bp.route("/organisations/types/<int:type_id>/heading", methods=["POST"])
@admin_required
def type_heading(type_id: int):
    kind = db.get_or_404(OrganisationType, type_id)
    form = TypeHeadingForm()
    if not form.validate_on_submit():
        # Refused beside its own row, with what was typed, on the page the form came from.
        return form_page(
            "partners/types.html",
            form=OrganisationTypeForm(formdata=None),
            types=services.all_types(),
            refused=(kind.id, form),
        )
    check_version(kind, form.version.data, form.data)
    services.set_type_heading(kind, form.plural_name.data)
    flash(
        _(
            "Reports now list partners of the type “%(name)s” under “%(heading)s”.",
            name=kind.name,
            heading=kind.heading,
        ),
        "success",
    )
    return redirect(url_for("partners.types"))


# Partnerships


@bp.route("/partnerships")
@login_required
def partnerships():
    context = list_context()
    page = paginate(queries.partnerships(context["filters"]))
    return render_template(
        "partners/partnerships.html", page=page, today=date.today(), may_create=bool(writable_centres()), **context
    )


@bp.route("/partnerships/new", methods=["GET", "POST"])
@login_required
def partnership_new():
    centres = writable_centres()
    if not centres:
        abort(403)
    centre = centres[0]
    if len(centres) > 1 and request.values.get("centre_id", type=int) in {c.id for c in centres}:
        centre = next(c for c in centres if c.id == request.values.get("centre_id", type=int))
    form = NewPartnershipForm(organisations=queries.directory(), owners=centre_members(centre.id))
    if request.method == "GET":
        form.organisation_id.data = request.args.get("organisation_id", "")
        form.owner_id.data = str(current_user.id)
    if form.validate_on_submit():
        try:
            partnership = services.save_partnership(None, form.data, centre_id=centre.id)
        except services.PartnerError as error:
            refuse(form, error, "organisation_id")
        else:
            flash(_("Partnership with %(name)s started.", name=partnership.organisation.name), "success")
            return redirect(url_for("partners.partnership", partnership_id=partnership.id))
    return form_page("partners/partnership_form.html", form=form, partnership=None, centre=centre, centres=centres)


def partner_page(partnership: Partnership, contact_form=None, interaction_form=None):
    return form_page(
        "partners/partnership.html",
        partnership=partnership,
        sections=sections_for(partnership),
        contact_form=contact_form or ContactForm(formdata=None),
        interaction_form=interaction_form or InteractionForm(formdata=None, occurred_on=date.today()),
        may_write=current_user.can_write(partnership.centre_id),
        history=partnership_history(partnership),
        today=date.today(),
    )


def partnership_history(partnership: Partnership):
    """The partnership's own changes with those of its contacts and interactions, newest first, in one query."""
    records = {
        "partnerships": [partnership.id],
        "contacts": [c.id for c in partnership.contacts],
        "interactions": [i.id for i in partnership.interactions],
    }
    return db.session.scalars(
        sa.select(AuditEntry)
        .where(
            sa.or_(
                *(sa.and_(AuditEntry.entity == e, AuditEntry.entity_id.in_(ids)) for e, ids in records.items() if ids)
            )
        )
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    ).all()


@bp.route("/partnerships/<int:partnership_id>")
@login_required
def partnership(partnership_id: int):
    return partner_page(get_or_404(Partnership, partnership_id))


@bp.route("/partnerships/<int:partnership_id>/edit", methods=["GET", "POST"])
@login_required
def partnership_edit(partnership_id: int):
    partnership = get_or_404(Partnership, partnership_id, write=True)
    form = PartnershipEditForm(obj=partnership, owners=centre_members(partnership.centre_id))
    if request.method == "GET":
        form.targets.data = [str(n) for n in partnership.targets]
        form.stage.data = partnership.stage.value
        form.role.data = partnership.role.value
        form.owner_id.data = str(partnership.owner_id or "")
    if form.validate_on_submit():
        check_version(partnership, form.version.data, form.data)
        try:
            services.save_partnership(partnership, form.data)
        except services.PartnerError as error:
            refuse(form, error, "stage")
        else:
            flash(_("Partnership saved."), "success")
            return redirect(url_for("partners.partnership", partnership_id=partnership.id))
    return form_page("partners/partnership_form.html", form=form, partnership=partnership, centre=partnership.centre)


@bp.route("/partnerships/<int:partnership_id>/delete", methods=["GET", "POST"])
@login_required
def partnership_delete(partnership_id: int):
    partnership = get_or_404(Partnership, partnership_id, write=True)
    return delete_page(
        services.deletion_of_partnership(partnership),
        lambda: services.delete_partnership(partnership),
        cancel_url=url_for("partners.partnership", partnership_id=partnership.id),
        done_url=url_for("partners.partnerships"),
    )


@bp.route("/partnerships/<int:partnership_id>/contacts", methods=["POST"])
@login_required
def contact_new(partnership_id: int):
    partnership = get_or_404(Partnership, partnership_id, write=True)
    form = ContactForm()
    if not form.validate_on_submit():
        return partner_page(partnership, contact_form=form)
    contact = services.save_contact(partnership, None, form.data)
    flash(_("Contact %(name)s added.", name=contact.name), "success")
    return redirect(url_for("partners.partnership", partnership_id=partnership.id) + "#contacts")


@bp.route("/contacts/<int:contact_id>/edit", methods=["GET", "POST"])
@login_required
def contact_edit(contact_id: int):
    contact = get_or_404(Contact, contact_id, write=True)
    form = ContactEditForm(obj=contact)
    if form.validate_on_submit():
        check_version(contact, form.version.data, form.data)
        services.save_contact(contact.partnership, contact, form.data)
        flash(_("Contact %(name)s saved.", name=contact.name), "success")
        return redirect(url_for("partners.partnership", partnership_id=contact.partnership_id) + "#contacts")
    return form_page("partners/contact_form.html", form=form, contact=contact)


@bp.route("/partnerships/<int:partnership_id>/interactions", methods=["POST"])
@login_required
def interaction_new(partnership_id: int):
    partnership = get_or_404(Partnership, partnership_id, write=True)
    form = InteractionForm()
    if not form.validate_on_submit():
        return partner_page(partnership, interaction_form=form)
    services.log_interaction(partnership, form.data, current_user.id)
    flash(_("Interaction logged."), "success")
    return redirect(url_for("partners.partnership", partnership_id=partnership.id) + "#interactions")


@bp.route("/contacts")
@login_required
def contacts():
    context = list_context()
    page = paginate(queries.contacts(context["filters"]), scalars=False)
    return render_template("partners/contacts.html", page=page, **context)


@bp.route("/network/partners")
@login_required
def overlap():
    """Which centres engage each organisation, and at what stage: for coordinators, never for staff."""
    if not current_user.reads_all_centres:
        abort(403)
    context = list_context()
    page = paginate(queries.overlap(context["filters"]), scalars=False)
    engaged = queries.engagements([organisation.id for organisation, _ in page.items])
    return render_template("partners/overlap.html", page=page, engaged=engaged, **context)
