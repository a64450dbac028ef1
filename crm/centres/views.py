from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from crm.audit.services import history_for
from crm.auth.views import admin_required
from crm.centres import services
from crm.centres.forms import CentreEditForm, CentreForm, PeriodForm
from crm.centres.models import Centre
from crm.core.forms import refuse
from crm.core.locking import check_version
from crm.core.scoping import check_centre
from crm.core.web import form_page

bp = Blueprint("centres", __name__)


def visible_centres() -> list[Centre]:
    centres = services.all_centres()
    return centres if current_user.reads_all_centres else [c for c in centres if c.id in current_user.member_centre_ids]


def centre_or_404(code: str) -> Centre:
    centre = services.centre_by_code(code)
    if centre is None:
        abort(404)
    check_centre(centre.id)
    return centre


@bp.route("/")
@login_required
def home():
    return render_template("centres/home.html", centres=visible_centres())


@bp.route("/centres")
@login_required
def index():
    return render_template("centres/index.html", centres=visible_centres())


@bp.route("/centres/<code>")
@login_required
def show(code: str):
    centre = centre_or_404(code)
    return render_template("centres/show.html", centre=centre, history=history_for(centre), period_form=PeriodForm())


@bp.route("/centres/new", methods=["GET", "POST"])
@admin_required
def new():
    form = CentreForm()
    if form.validate_on_submit():
        try:
            centre = services.save_centre(None, form.data)
        except services.CentreError as error:
            refuse(form, error, "code")
        else:
            flash(_("Centre %(code)s created.", code=centre.code), "success")
            return redirect(url_for("centres.show", code=centre.code))
    return form_page("centres/form.html", form=form, centre=None)


@bp.route("/centres/<code>/edit", methods=["GET", "POST"])
@admin_required
def edit(code: str):
    centre = centre_or_404(code)
    form = CentreEditForm(obj=centre)
    if form.validate_on_submit():
        check_version(centre, form.version.data, form.data)
        try:
            centre = services.save_centre(centre, form.data)
        except services.CentreError as error:
            refuse(form, error, "code")
        else:
            flash(_("Centre %(code)s saved.", code=centre.code), "success")
            return redirect(url_for("centres.show", code=centre.code))
    return form_page("centres/form.html", form=form, centre=centre)


@bp.route("/centres/<code>/periods", methods=["POST"])
@admin_required
def add_period(code: str):
    centre = centre_or_404(code)
    form = PeriodForm()
    if form.validate_on_submit():
        try:
            services.add_period(centre, form.label.data, form.starts_on.data, form.ends_on.data)
        except services.CentreError as error:
            refuse(form, error, "label")
        else:
            flash(_("Reporting period %(label)s added.", label=form.label.data), "success")
            return redirect(url_for("centres.show", code=centre.code))
    return form_page("centres/show.html", centre=centre, history=history_for(centre), period_form=form)
