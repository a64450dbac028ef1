from datetime import date
from functools import wraps

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.routing import BuildError

from crm.centres.models import ReportingPeriod
from crm.core.forms import choices, refuse
from crm.core.locking import check_version
from crm.core.scoping import get_or_404, readable_centre_ids, writable_centres
from crm.core.uploads import UploadError, sniff
from crm.core.web import download, form_page
from crm.reports import compilation, exports, fill, queries, services
from crm.reports.forms import (
    AddRowForm,
    ChallengeEditForm,
    ChallengeForm,
    FillForm,
    RedraftForm,
    SectionForm,
    SubmitForm,
    VersionForm,
)
from crm.reports.linked import LinkedText, annotated
from crm.reports.models import Challenge, ReportSection
from crm.reports.section import STATUS_CHOICES, TEMPLATE_ROWS, in_language, paragraphs, word_count

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


@bp.app_template_global("annotated")
def annotated_text(text: str | None, links: dict | None):
    """The text as paragraphs of sentences, each drafted one numbered with the records it rests on (the preview)."""
    return annotated(LinkedText.of(text or "", links))


@bp.route("/")
@login_required
def index():
    return render_template("reports/index.html", rows=queries.periods_with_sections(readable_centre_ids()))


@bp.route("/periods/<int:period_id>/start", methods=["POST"])
@login_required
def start(period_id: int):
    period = get_or_404(ReportingPeriod, period_id, write=True)
    try:
        section = services.start_section(period.centre, period)
    except services.SectionError as error:
        flash(str(error), "warning")
        return redirect(url_for("reports.index"))
    flash(
        _("Drafted the %(period)s section from the records. Edit the words, then export.", period=period.label),
        "success",
    )
    return redirect(url_for("reports.show", section_id=section.id))


@bp.route("/sections/<int:section_id>")
@login_required
def show(section_id: int):
    return section_page(section_or_404(section_id))


def section_page(section: ReportSection, add_row_form=None, submit_form=None, fill_form=None):
    return form_page(
        "reports/show.html",
        record=section,
        section=services.section_data(section),
        revisions=services.sections_of_period(section.period_id),
        working_copies=services.working_copies(section.period_id),
        working_languages=services.WORKING_LANGUAGES,
        history=queries.section_history(section),
        can_write=current_user.can_write(section.centre_id),
        version_form=VersionForm(version=section.version),
        add_row_form=add_row_form or AddRowForm(formdata=None),
        submit_form=submit_form or SubmitForm(formdata=None, version=section.version, filed_on=date.today()),
        fill_form=fill_form or FillForm(formdata=None),
        hidden_rows=[row for row in section.outputs if row.is_hidden],
    )


def form_data(section: ReportSection) -> dict:
    data = {name: getattr(section, name) for name, _ in services.TEXT_FIELDS}
    data["version"] = section.version
    data["outputs"] = [
        {
            "id": row.id,
            "title": row.title,
            "status": row.status,
            "details": row.details,
            "position": position,
            "hidden": row.is_hidden,
        }
        for position, row in enumerate(section.outputs, start=1)
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
            flash(_("Section saved."), "success")
            return redirect(url_for("reports.show", section_id=section.id))
    rows = {row.id: row for row in section.outputs}

    # The template's own words (headings, the table's heads, its rows' titles) in the section's language: English
    # as filed, the working copy's language in a working copy, whatever the interface's.
    def words(text: str) -> str:
        return in_language(text, section.language)

    templates = {key: words(title) for key, title in TEMPLATE_ROWS}
    statuses = [(value, words(label)) for value, label in STATUS_CHOICES]
    for entry in form.outputs:
        entry.form.status.choices = statuses
    return form_page("reports/edit.html", form=form, record=section, rows=rows, templates=templates, words=words)


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
            flash(_("Added the output %(title)r: write its details.", title=form.title.data.strip()), "success")
            return redirect(url_for("reports.edit", section_id=section.id))
    return section_page(section, add_row_form=form)


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
        flash(_("Output removed."), "success")
    return redirect(url_for("reports.edit", section_id=section.id))


@bp.route("/sections/<int:section_id>/redraft", methods=["GET", "POST"])
@login_required
@editable_section
def redraft(section: ReportSection):
    redrafted = services.redraft_changes(section)
    form = RedraftForm(version=section.version)
    form.accept.choices = choices(redrafted.choices())
    if form.validate_on_submit():
        check_version(section, form.version.data, {})
        applied = services.apply_redraft(section, set(form.accept.data or ()))
        flash(
            _("Brought in from the records: %(changes)s.", changes=", ".join(applied))
            if applied
            else _("Nothing was changed."),
            "success",
        )
        return redirect(url_for("reports.show", section_id=section.id))
    return form_page("reports/redraft.html", form=form, record=section, redraft=redrafted)


@bp.route("/sections/<int:section_id>/working-copy/<language>", methods=["POST"])
@login_required
def working_copy(section_id: int, language: str):
    """A working copy of the section in Chinese or Russian, drafted from the same records (never filed); the one
    already drafted is opened."""
    section = section_or_404(section_id, write=True)
    form = VersionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        copy, drafted = services.start_working_copy(section, language)
    except services.SectionError as error:
        flash(str(error), "warning")
        return redirect(url_for("reports.show", section_id=section.id))
    name = services.WORKING_LANGUAGES[language]
    if drafted:
        flash(_("Drafted a working copy in %(language)s from the records. It is not filed.", language=name), "success")
    else:
        flash(_("The working copy in %(language)s is already drafted: here it is.", language=name), "info")
    return redirect(url_for("reports.show", section_id=copy.id))


@bp.route("/sections/<int:section_id>/submit", methods=["POST"])
@login_required
@editable_section
def submit(section: ReportSection):
    if section.is_working_copy:
        flash(str(services.SectionError.working_copy(section)), "warning")
        return redirect(url_for("reports.show", section_id=section.id))
    form = SubmitForm()
    if form.validate_on_submit():
        check_version(section, form.version.data, {})
        try:
            services.submit(section, current_user, form.filed_on.data, today=date.today())
        except services.SectionError as error:
            refuse(form, error, "filed_on")
        else:
            flash(
                _("Revision %(number)s marked as submitted: it is frozen as reported.", number=section.revision),
                "success",
            )
            return redirect(url_for("reports.show", section_id=section.id))
    return section_page(section, submit_form=form)


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
    flash(_("Revision %(number)s started from the submitted words.", number=revision.revision), "success")
    return redirect(url_for("reports.show", section_id=revision.id))


@bp.route("/sections/<int:section_id>/export.<any(pdf, docx, html):fmt>")
@login_required
def export(section_id: int, fmt: str):
    section = section_or_404(section_id)
    content, mimetype = exports.render(services.section_data(section), fmt)
    return download(content, exports.filename(section, fmt), mimetype, inline=fmt == "pdf")


@bp.route("/sections/<int:section_id>/fill", methods=["POST"])
@login_required
def fill_report(section_id: int):
    """Staff's own Word report back with area 3 and the Part III achievement filled in; nothing is stored."""
    section = section_or_404(section_id)
    if section.is_working_copy:
        flash(str(services.SectionError.working_copy(section)), "warning")
        return redirect(url_for("reports.show", section_id=section.id))
    form = FillForm()
    if form.validate_on_submit():
        upload = form.report.data
        try:
            data = upload.read() if upload else b""
            if not data or sniff(data) != "docx":
                raise UploadError(_("Choose the report's Word file (.docx): a PDF cannot be filled in."))
            filled = fill.fill_report(data, services.section_data(section))
        except (UploadError, fill.FillError) as error:
            form.report.errors.append(str(error))
        else:
            # Shown on the next page the user opens: the download itself leaves them where they are.
            flash(_("Your report was filled in: %(notes)s.", notes="; ".join(filled.notes)), "success")
            return download(filled.content, fill.filled_name(upload.filename), exports.MIMETYPES["docx"])
    return section_page(section, fill_form=form)


# The GCE's compilation of the centres' submitted sections


def require_network_reader() -> None:
    if not current_user.reads_all_centres:
        abort(403)


@bp.route("/compilation")
@login_required
def compilation_page():
    require_network_reader()
    label = (request.args.get("period") or "").strip()
    labels = compilation.period_labels()
    if not label and labels:
        label = labels[0]
    gathered = compilation.gather(label) if label else None
    return render_template(
        "reports/compilation.html", label=label, labels=labels, compiled=gathered, compiled_columns=compilation.COLUMNS
    )


@bp.route("/compilation/export.<any(pdf, docx):fmt>")
@login_required
def compilation_export(fmt: str):
    require_network_reader()
    label = (request.args.get("period") or "").strip()
    if label not in compilation.period_labels():
        abort(404)
    content = compilation.render(compilation.gather(label), fmt)
    return download(content, compilation.filename(label, fmt), exports.MIMETYPES[fmt], inline=fmt == "pdf")


# Challenges and possible solutions: what the narrative is drafted from


@bp.route("/challenges")
@login_required
def challenges():
    rows = queries.challenge_list(readable_centre_ids())
    return render_template("reports/challenges.html", rows=rows, may_create=bool(writable_centres()))


@bp.route("/challenges/new", methods=["GET", "POST"])
@login_required
def challenge_new():
    centres = writable_centres()
    if not centres:
        abort(403)
    centre = next((c for c in centres if c.id == request.values.get("centre_id", type=int)), centres[0])
    form = ChallengeForm()
    if form.validate_on_submit():
        try:
            services.save_challenge(None, centre.id, form.data, current_user.id)
        except services.SectionError as error:
            refuse(form, error, "challenge")
        else:
            flash(_("Challenge recorded: the next draft or redraft of the section brings it in."), "success")
            return redirect(url_for("reports.challenges"))
    return form_page("reports/challenge_form.html", form=form, challenge=None, centre=centre, centres=centres)


@bp.route("/challenges/<int:challenge_id>/edit", methods=["GET", "POST"])
@login_required
def challenge_edit(challenge_id: int):
    challenge = get_or_404(Challenge, challenge_id)
    if not current_user.can_write(challenge.centre_id):
        return render_template("reports/challenge.html", challenge=challenge)
    form = ChallengeEditForm(obj=challenge)
    if request.method == "GET":
        form.area.data = challenge.area.value
    if form.validate_on_submit():
        check_version(challenge, form.version.data, form.data)
        try:
            services.save_challenge(challenge, challenge.centre_id, form.data, None)
        except services.SectionError as error:
            refuse(form, error, "challenge")
        else:
            flash(_("Challenge saved."), "success")
            return redirect(url_for("reports.challenges"))
    return form_page("reports/challenge_form.html", form=form, challenge=challenge, centre=challenge.centre)


@bp.route("/challenges/<int:challenge_id>/delete", methods=["POST"])
@login_required
def challenge_delete(challenge_id: int):
    challenge = get_or_404(Challenge, challenge_id, write=True)
    form = VersionForm()
    if not form.validate_on_submit():
        abort(400)
    check_version(challenge, form.version.data, {})
    services.delete_challenge(challenge)
    flash(_("Challenge deleted."), "success")
    return redirect(url_for("reports.challenges"))


@bp.app_template_filter("paragraphs")
def paragraphs_filter(text: str | None) -> list[str]:
    return paragraphs(text)


@bp.app_template_filter("word_count")
def word_count_filter(text: str | None) -> int:
    return word_count(text)
