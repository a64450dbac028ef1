from functools import wraps

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from werkzeug.routing import BuildError

from crm.centres.models import ReportingPeriod
from crm.core.locking import check_version
from crm.core.scoping import get_or_404, readable_centre_ids
from crm.core.web import download, form_page
from crm.reports import exports, queries, services
from crm.reports.forms import AddRowForm, RedraftForm, SectionForm, VersionForm
from crm.reports.models import ReportSection
from crm.reports.section import paragraphs, word_count

bp = Blueprint("reports", __name__, url_prefix="/reports")


@bp.app_template_global()
def figure_url(figure) -> str | None:
    """The list of records behind a drafted figure, or None while that register has no such page."""
    if not figure.endpoint:
        return None
    try:
        return url_for(figure.endpoint, **figure.args)
    except BuildError:
        return None


def section_or_404(section_id: int, write: bool = False) -> ReportSection:
    return get_or_404(ReportSection, section_id, write=write)


def editable_section(view):
    """Load the section for writing; a submitted one is not edited: say so and go back to it."""

    @wraps(view)
    def wrapped(section_id: int, **kwargs):
        section = section_or_404(section_id, write=True)
        if section.is_submitted:
            flash(str(services.SectionFrozen(section)), "warning")
            return redirect(url_for("reports.show", section_id=section.id))
        return view(section, **kwargs)

    return wrapped


@bp.route("/")
@login_required
def index():
    rows = queries.periods_with_sections(readable_centre_ids())
    return render_template("reports/index.html", rows=rows)


@bp.route("/periods/<int:period_id>/start", methods=["POST"])
@login_required
def start(period_id: int):
    period = get_or_404(ReportingPeriod, period_id, write=True)
    try:
        section = services.start_section(period.centre, period)
    except services.SectionError as error:
        flash(str(error), "warning")
        return redirect(url_for("reports.index"))
    flash(f"Drafted the {period.label} section from the records. Edit the words, then export.", "success")
    return redirect(url_for("reports.show", section_id=section.id))


@bp.route("/sections/<int:section_id>")
@login_required
def show(section_id: int):
    section = section_or_404(section_id)
    return render_template(
        "reports/show.html",
        record=section,
        section=services.section_data(section),
        revisions=services.sections_of_period(section.period_id),
        history=queries.section_history(section),
        can_write=current_user.can_write(section.centre_id),
        version_form=VersionForm(version=section.version),
        add_row_form=AddRowForm(),
    )


def form_data(section: ReportSection) -> dict:
    data = {name: getattr(section, name) for name, _ in services.TEXT_FIELDS}
    data["version"] = section.version
    data["outputs"] = [
        {"id": row.id, "title": row.title, "status": row.status, "details": row.details} for row in section.outputs
    ]
    return data


@bp.route("/sections/<int:section_id>/edit", methods=["GET", "POST"])
@login_required
@editable_section
def edit(section: ReportSection):
    form = SectionForm(data=form_data(section))
    if form.validate_on_submit():
        check_version(section, form.version.data, form.data)
        try:
            services.save_section(section, form.data)
        except services.SectionError as error:
            form.form_errors.append(str(error))
        else:
            flash("Section saved.", "success")
            return redirect(url_for("reports.show", section_id=section.id))
    rows = {row.id: row for row in section.outputs}
    return form_page("reports/edit.html", form=form, record=section, rows=rows)


@bp.route("/sections/<int:section_id>/rows", methods=["POST"])
@login_required
@editable_section
def add_row(section: ReportSection):
    form = AddRowForm()
    if form.validate_on_submit():
        try:
            services.add_row(section, form.title.data)
        except services.SectionError as error:
            form.title.errors.append(str(error))
        else:
            flash(f"Added the output {form.title.data.strip()!r}: write its details.", "success")
            return redirect(url_for("reports.edit", section_id=section.id))
    return form_page(
        "reports/show.html",
        record=section,
        section=services.section_data(section),
        revisions=services.sections_of_period(section.period_id),
        history=queries.section_history(section),
        can_write=True,
        version_form=VersionForm(version=section.version),
        add_row_form=form,
    )


@bp.route("/sections/<int:section_id>/rows/<int:row_id>/delete", methods=["POST"])
@login_required
@editable_section
def remove_row(section: ReportSection, row_id: int):
    form = VersionForm()
    if not form.validate_on_submit():
        abort(400)
    check_version(section, form.version.data, {})
    try:
        services.remove_row(section, row_id)
    except services.SectionError as error:
        flash(str(error), "warning")
    else:
        flash("Output removed.", "success")
    return redirect(url_for("reports.edit", section_id=section.id))


@bp.route("/sections/<int:section_id>/redraft", methods=["GET", "POST"])
@login_required
@editable_section
def redraft(section: ReportSection):
    changes = services.redraft_changes(section)
    form = RedraftForm(version=section.version)
    form.accept.choices = [(change.key, change.label) for change in changes]
    if form.validate_on_submit():
        check_version(section, form.version.data, {})
        applied = services.apply_redraft(section, set(form.accept.data or ()))
        flash(f"Replaced with the new draft: {', '.join(applied)}." if applied else "Nothing was replaced.", "success")
        return redirect(url_for("reports.show", section_id=section.id))
    return form_page("reports/redraft.html", form=form, record=section, changes=changes)


@bp.route("/sections/<int:section_id>/submit", methods=["POST"])
@login_required
@editable_section
def submit(section: ReportSection):
    form = VersionForm()
    if not form.validate_on_submit():
        abort(400)
    check_version(section, form.version.data, {})
    services.submit(section, current_user)
    flash(f"Revision {section.revision} marked as submitted: it is frozen as reported.", "success")
    return redirect(url_for("reports.show", section_id=section.id))


@bp.route("/sections/<int:section_id>/revise", methods=["POST"])
@login_required
def revise(section_id: int):
    section = section_or_404(section_id, write=True)
    form = VersionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        revision = services.new_revision(section)
    except services.SectionError as error:
        flash(str(error), "warning")
        return redirect(url_for("reports.show", section_id=section.id))
    flash(f"Revision {revision.revision} started from the submitted words.", "success")
    return redirect(url_for("reports.show", section_id=revision.id))


@bp.route("/sections/<int:section_id>/export.<any(pdf, docx, html):fmt>")
@login_required
def export(section_id: int, fmt: str):
    section = section_or_404(section_id)
    content, mimetype = exports.render(services.section_data(section), fmt)
    return download(content, exports.filename(section, fmt), mimetype, inline=fmt == "pdf")


@bp.app_template_filter("paragraphs")
def paragraphs_filter(text: str | None) -> list[str]:
    return paragraphs(text)


@bp.app_template_filter("word_count")
def word_count_filter(text: str | None) -> int:
    return word_count(text)
