"""Import pages (upload, preview with its progress, confirmation), templates, and the exports of every list."""

from datetime import date
from pathlib import Path

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, stream_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf

from crm.centres.services import centre_by_code
from crm.core.errors import RuleError
from crm.core.scoping import check_centre, writable_centres
from crm.core.web import form_page, render_error
from crm.extensions import db
from crm.interchange import converting, reading, services, tables, writing
from crm.interchange.forms import NUMBER_FORMATS, ConfirmForm, UploadForm
from crm.interchange.models import ImportStatus, PendingImport
from crm.interchange.registers import REGISTERS, known_headers, may_import
from crm.money.currencies import normalise_currency

bp = Blueprint("interchange", __name__)


@bp.app_template_global("export_url")
def export_url(register: str, fmt: str, **extra) -> str:
    """The export of a list page as it stands: its search and filters, every page (and ``extra``: convert=USD)."""
    args = request.args.to_dict(flat=False)
    args.pop("page", None)
    return url_for("interchange.export", name=register, fmt=fmt, **(args | extra))


@bp.app_template_global("export_converts")
def export_converts(register: str) -> str | None:
    """The currency a list page converts to (its ``currency``), when its register has amounts an export converts."""
    found = REGISTERS.get(register)
    if found is None or not any(column.currency for column in found.columns):
        return None
    try:
        return normalise_currency(request.args.get("currency") or "") or None
    except ValueError:
        return None


@bp.app_template_global("dashboard_export_url")
def dashboard_export_url(table: str, fmt: str, centre: str | None = None) -> str:
    """The download of one table of the dashboard shown, with its filters: the centre's (its code) or the
    network's (None)."""
    args = {key: value for key, value in request.args.items() if not key.startswith("was_") and key != "centre"}
    if centre is None:
        return url_for("interchange.network_table", table=table, fmt=fmt, **args)
    return url_for("interchange.centre_table", table=table, fmt=fmt, centre=centre, **args)


@bp.app_template_global("import_url")
def import_url(register: str) -> str | None:
    """The import page, for a register the user may import, else None."""
    if not any(r.name == register for r in importable(current_user)):
        return None
    return url_for("interchange.upload", register=register)


def importable(user) -> list:
    """The registers ``user`` may import into one of their centres (or the network's, for the directory and rates)."""
    centres = writable_centres(user)
    return [r for r in REGISTERS.values() if may_import(r, user, centres[0] if centres else None)]


def own_pending_or_404(import_id: int) -> PendingImport:
    """An import is its uploader's alone: the file may hold personal data."""
    pending = db.session.get(PendingImport, import_id)
    if pending is None or pending.created_by_id != current_user.id:
        abort(404)
    return pending


def upload_options(form: UploadForm) -> services.Options:
    return services.Options(
        register=form.register.data or "",
        locale=form.locale.data or "en",
        encoding=form.encoding.data or "",
        delimiter=form.delimiter.data or "",
    )


@bp.route("/imports", methods=["GET", "POST"])
@login_required
def upload():
    registers = importable(current_user)
    if not registers:
        abort(403)
    centres = writable_centres()
    form = UploadForm()
    form.fill_choices(centres, registers)
    if request.method == "GET":
        form.register.data = request.args.get("register", "")
        form.locale.data = next((code for code, _ in NUMBER_FORMATS if current_user.locale.startswith(code)), "en")
    if form.validate_on_submit():
        pending = _stage(form, centres)
        if pending is not None:
            return redirect(url_for("interchange.preview", import_id=pending.id), 303)
    return form_page(
        "interchange/upload.html",
        form=form,
        registers=registers,
        limit_mb=request.max_content_length // (1024 * 1024),
        max_rows=reading.MAX_ROWS,
        max_columns=reading.MAX_COLUMNS,
        open_csv=bool(form.encoding.errors or form.delimiter.errors or form.encoding.data or form.delimiter.data),
    )


def _stage(form: UploadForm, centres) -> PendingImport | None:
    """Keep the uploaded file, once its guards pass; else an error beside the field at fault, and None."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        form.file.errors.append("Choose a file to upload.")
        return None
    content = upload.read()
    options = upload_options(form)
    try:
        reading.check(content, options.reading, known_headers())
    except reading.NeedsChoice as error:
        getattr(form, error.choice).errors.append(f"{error} Then choose the file again.")
        return None
    except reading.ReadError as error:
        form.file.errors.append(str(error))
        return None
    field = getattr(form, "centre_id", None)
    centre = next((c for c in centres if str(c.id) == field.data), None) if field else (centres[0] if centres else None)
    return services.stage(content, Path(upload.filename).name, centre, current_user, options)


@bp.route("/imports/<int:import_id>")
@login_required
def preview(import_id: int):
    """The dry run, streamed: a progress line while the rows are checked, then what would change and what is wrong."""
    pending = own_pending_or_404(import_id)
    if pending.status != ImportStatus.PENDING:
        return render_template("interchange/result.html", pending=pending)
    generate_csrf()  # into the session now: once the page streams, its cookie has been sent
    # The page streams after the request's session is gone: what it shows is loaded now and let go of the session,
    # so that the request's rollback does not expire it; the check loads its own.
    user = current_user._get_current_object()
    shown = {id(record): record for record in (user, *user.centres, pending, pending.centre) if record is not None}
    for record in shown.values():
        db.session.expunge(record)
    check = services.Check(pending.id, user.id)
    return Response(
        stream_template("interchange/preview.html", **_preview_context(pending, check)), mimetype="text/html"
    )


def _preview_context(pending: PendingImport, check: services.Check, form: ConfirmForm | None = None) -> dict:
    return {"pending": pending, "check": check, "form": form or ConfirmForm(formdata=None)}


@bp.route("/imports/<int:import_id>/confirm", methods=["POST"])
@login_required
def confirm(import_id: int):
    pending = own_pending_or_404(import_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        outcome = services.confirm(pending, current_user, form.create_duplicates.data)
    except RuleError as error:
        flash(str(error), "error")
        return redirect(url_for("interchange.preview", import_id=pending.id), 303)
    if outcome.applied:
        flash(
            _(
                "Imported %(file)s: %(rows)s rows checked and written in one go.",
                file=pending.filename,
                rows=f"{outcome.total_rows:,}",
            ),
            "success",
        )
        return redirect(url_for("interchange.preview", import_id=pending.id), 303)
    check = services.Check(pending.id, current_user.id, outcome)
    return form_page("interchange/preview.html", **_preview_context(pending, check, form))


@bp.route("/imports/<int:import_id>/discard", methods=["POST"])
@login_required
def discard(import_id: int):
    pending = own_pending_or_404(import_id)
    try:
        services.discard(pending)
    except RuleError as error:
        flash(str(error), "error")
    else:
        flash(_("%(file)s discarded: nothing was imported.", file=pending.filename), "info")
    return redirect(url_for("interchange.upload"), 303)


@bp.route("/imports/<int:import_id>/marked-up.xlsx")
@login_required
def marked_up(import_id: int):
    """The uploaded file with every bad cell marked: checked again, as the preview was."""
    pending = own_pending_or_404(import_id)
    if pending.status != ImportStatus.PENDING:
        abort(404)
    outcome = services.run(pending.content, pending.centre, current_user, services.options_of(pending))
    db.session.rollback()
    name = f"{Path(pending.filename).stem}-marked-up.xlsx"
    return writing.send_xlsx(lambda handle: services.marked_up(outcome, pending.filename, handle), name)


@bp.route("/imports/templates/<name>.xlsx")
@login_required
def template(name: str):
    """A register's template (``workbook``: every register, a sheet each), with its notes."""
    if name == "workbook":
        registers = list(REGISTERS.values())
    elif name in REGISTERS:
        registers = [REGISTERS[name]]
    else:
        abort(404)
    return writing.send_xlsx(lambda handle: services.write_template(handle, registers), f"{name}-template.xlsx")


@bp.route("/exports/<name>.<fmt>")
@login_required
def export(name: str, fmt: str):
    """A register as its list page shows it, with the page's search and filters (the query string), streamed."""
    register = REGISTERS.get(name)
    if register is None or fmt not in writing.FORMATS:
        abort(404)
    if register.scope == "rates" and not current_user.is_admin:
        abort(403)
    try:
        made = services.export(register, request.args, current_user)
    except converting.ConvertError as error:
        return render_error(400, str(error))
    filename = f"{register.name}-{date.today():%Y-%m-%d}"
    return writing.table_response(made.headers, made.rows, fmt, filename, sheet=register.title)


@bp.route("/exports/dashboards/centre/<table>.<fmt>")
@login_required
def centre_table(table: str, fmt: str):
    """A table of a centre's dashboard (``?centre=CODE``), with the page's filters, as the page shows it."""
    centre = centre_by_code(request.args.get("centre") or "")
    if centre is None:
        abort(404)
    check_centre(centre.id)
    return _dashboard_table(centre, table, fmt, centre.code)


@bp.route("/exports/dashboards/network/<table>.<fmt>")
@login_required
def network_table(table: str, fmt: str):
    """A table of the network dashboard, with the page's filters, as the page shows it."""
    if not current_user.reads_all_centres:
        abort(403)
    return _dashboard_table(None, table, fmt, "network")


def _dashboard_table(centre, table: str, fmt: str, whose: str):
    if fmt not in writing.FORMATS:
        abort(404)
    found = tables.table_of(tables.build_dashboard(request.args, centre, date.today()), table)
    if found is None:
        abort(404)
    filename = f"{whose}-{table}-{date.today():%Y-%m-%d}"
    return writing.table_response(found.headers, found.rows, fmt, filename, sheet=found.title)
