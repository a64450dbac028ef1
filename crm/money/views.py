"""Exchange rates: read by everyone; manual entry and file imports (with a preview) by admins; coverage."""

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from crm.audit.services import history_for
from crm.auth.views import admin_required
from crm.core.forms import choices, refuse
from crm.core.web import form_page, paginate
from crm.extensions import db
from crm.money import queries, services
from crm.money.currencies import COMMON, normalise_currency
from crm.money.display import plain_decimal
from crm.money.forms import ConfirmImportForm, ManualRateForm, RateFileForm
from crm.money.models import ExchangeRate, ImportStatus, RateImport, RateSource

bp = Blueprint("money", __name__, url_prefix="/rates")


def _currency_arg() -> str | None:
    try:
        return normalise_currency(request.args.get("currency")) if request.args.get("currency") else None
    except ValueError:
        return None


@bp.route("/")
@login_required
def rates():
    """Every rate, read-only for everyone: a reader checks the rates a figure cites; admins keep them."""
    currency = _currency_arg()
    source = request.args.get("source") if request.args.get("source") in set(RateSource) else None
    page = paginate(queries.rates_stmt(currency, source))
    return render_template(
        "money/rates.html",
        page=page,
        summary=queries.summary_by_currency(),
        currency=currency,
        source=source,
        sources=list(RateSource),
        currencies=COMMON,
        pending=db.session.scalars(
            db.select(RateImport).where(RateImport.status == ImportStatus.PENDING).order_by(RateImport.id.desc())
        ).all(),
    )


@bp.route("/<int:rate_id>")
@login_required
def rate(rate_id: int):
    record = db.get_or_404(ExchangeRate, rate_id)
    return render_template("money/rate.html", rate=record, history=history_for(record))


@bp.route("/<int:rate_id>/delete", methods=["POST"])
@admin_required
def rate_delete(rate_id: int):
    record = db.get_or_404(ExchangeRate, rate_id)
    try:
        services.delete_manual_rate(record)
    except services.RateError as error:
        flash(str(error), "error")
        return redirect(url_for("money.rate", rate_id=rate_id)), 303
    flash(
        _("Manual rate %(pair)s of %(date)s deleted.", pair=f"{record.base}/{record.quote}", date=record.effective_on),
        "success",
    )
    return redirect(url_for("money.rates")), 303


@bp.route("/new", methods=["GET", "POST"])
@admin_required
def rate_new():
    form = ManualRateForm()
    form.agreement_id.choices = choices(queries.agreement_choices(), blank="—")
    if request.method == "GET" and request.args.get("entry", type=int):
        form.scope.data, form.entry_id.data = "entry", request.args.get("entry", type=int)
    if form.validate_on_submit():
        try:
            record = services.add_manual_rate(
                base=form.base.data,
                quote=form.quote.data,
                rate=form.rate.data,
                effective_on=form.effective_on.data,
                reason=form.reason.data,
                user=current_user,
                scope=form.scope.data,
                valid_until=form.valid_until.data,
                entry_id=form.entry_id.data,
                agreement_id=int(form.agreement_id.data) if (form.agreement_id.data or "").isdigit() else None,
            )
        except (services.RateError, ValueError) as error:
            refuse(form, error, "rate")
        else:
            flash(
                _(
                    "Manual rate saved: %(rate)s.",
                    rate=f"1 {record.base} = {plain_decimal(record.rate)} {record.quote}",
                ),
                "success",
            )
            return redirect(url_for("money.rate", rate_id=record.id))
    return form_page("money/rate_form.html", form=form)


@bp.route("/import/un-example.csv")
@admin_required
def un_example():
    """A CSV of UN operational rates laid out as the import reads it."""
    from crm.money.providers import un

    return Response(
        un.EXAMPLE_CSV.encode(),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="un-operational-rates-example.csv"'},
    )


@bp.route("/import", methods=["GET", "POST"])
@admin_required
def import_upload():
    form = RateFileForm()
    if form.validate_on_submit():
        upload = form.file.data
        pending = services.stage_import(form.kind.data, upload.read(), upload.filename or "upload", current_user)
        return redirect(url_for("money.import_preview", import_id=pending.id)), 303
    from crm.money.providers import un

    return form_page("money/import_form.html", form=form, columns=un.COLUMNS)


def _pending_or_404(import_id: int) -> RateImport:
    return db.get_or_404(RateImport, import_id)


def _preview(pending: RateImport, form: ConfirmImportForm):
    changes = services.changes_for(pending.source, services.parsed_rows(pending).rates)
    return form_page("money/import_preview.html", pending=pending, changes=changes, form=form)


@bp.route("/import/<int:import_id>")
@admin_required
def import_preview(import_id: int):
    return _preview(_pending_or_404(import_id), ConfirmImportForm())


@bp.route("/import/<int:import_id>/confirm", methods=["POST"])
@admin_required
def import_confirm(import_id: int):
    pending = _pending_or_404(import_id)
    form = ConfirmImportForm()
    if form.validate_on_submit():
        try:
            changes = services.confirm_import(pending, current_user, form.confirm_jumps.data)
        except services.RateError as error:
            (form.confirm_jumps.errors if error.field else form.form_errors).append(str(error))
        else:
            flash(
                _("Imported %(reference)s: %(summary)s.", reference=pending.reference, summary=changes.summary),
                "success",
            )
            return redirect(url_for("money.rates")), 303
    return _preview(pending, form)


@bp.route("/import/<int:import_id>/discard", methods=["POST"])
@admin_required
def import_discard(import_id: int):
    pending = _pending_or_404(import_id)
    try:
        services.discard_import(pending)
    except services.RateError as error:
        flash(str(error), "error")
        return redirect(url_for("money.rates")), 303
    flash(_("Import of %(reference)s discarded; no rate was changed.", reference=pending.reference), "info")
    return redirect(url_for("money.rates")), 303


@bp.route("/coverage")
@login_required
def coverage():
    # What every centre's amounts are, by currency and date: for those who read every centre.
    if not current_user.reads_all_centres:
        abort(403)
    return render_template("money/coverage.html", rows=queries.coverage(), ecb_gaps=queries.ecb_coverage())
