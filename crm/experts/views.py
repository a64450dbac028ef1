from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from crm.audit.services import history_for
from crm.centres.services import reader_span
from crm.core.cache import cached_page, network_versions
from crm.core.deletion import delete_page
from crm.core.forms import refuse
from crm.core.kmgbf import TARGETS
from crm.core.locking import check_version
from crm.core.scoping import get_or_404, readable_centre_ids, writable_centres
from crm.core.web import form_page, paginate
from crm.experts import queries, services
from crm.experts.forms import CvForm, EngagementForm, ExpertEditForm, ExpertForm, PoolEditForm, PoolForm
from crm.experts.models import Expert, ExpertEngagement, ExpertPool
from crm.extensions import db

bp = Blueprint("experts", __name__, url_prefix="/experts")
bp.add_app_template_filter(queries.language_name, "language")


def _centres_to_write():
    centres = writable_centres()
    if not centres:
        abort(403)
    return centres


def _pools_of(centre_ids) -> list[ExpertPool]:
    return db.session.scalars(
        db.select(ExpertPool).where(ExpertPool.centre_id.in_(centre_ids)).order_by(ExpertPool.name)
    ).all()


# The form fields filled straight from the expert's attributes when an edit form is drawn.
PLAIN_FIELDS = (
    "name",
    "other_names",
    "nationality",
    "residence_country",
    "position",
    "email",
    "phone",
    "contact_notes",
    "languages",
    "day_rate_currency",
    "availability_until",
    "notes",
)


def _edit_data(expert: Expert) -> dict:
    """What an edit form starts from: the record's values in the shape the fields expect."""
    return {field: getattr(expert, field) for field in PLAIN_FIELDS} | {
        "version": expert.version,
        "centre_id": str(expert.centre_id),
        "targets": [str(t) for t in expert.targets],
        "themes": ", ".join(expert.themes),
        "pools": [str(p.id) for p in expert.pools],
        "day_rate": "" if expert.day_rate is None else str(expert.day_rate),
        "affiliation_id": str(expert.affiliation_id or ""),
        "provider_id": str(expert.provider_id or ""),
        "engagement_basis": expert.engagement_basis.value,
        "availability": expert.availability.value,
        "vetting": expert.vetting.value,
    }


def _expert_form(form_class, centres, expert=None):
    centre_ids = [c.id for c in centres]
    return form_class(
        data=_edit_data(expert) if expert is not None else None,
        centres=centres,
        pools=_pools_of(centre_ids),
        themes_in_use=queries.themes_in_use(centre_ids),
    )


def _chosen_centre(form, centres) -> int:
    by_id = {str(c.id): c.id for c in centres}
    field = getattr(form, "centre_id", None)
    return by_id.get(field.data if field else None) or centres[0].id


@bp.route("")
@login_required
@cached_page(network_versions)
def index():
    span, span_error = reader_span(request.args)
    search = queries.Search.from_args(request.args, span)
    total, facets = queries.facets(search)
    page = paginate(queries.results(search))
    return render_template(
        "experts/index.html",
        search=search,
        facets=facets,
        total=total,
        page=page,
        can_add=bool(writable_centres()),
        span_error=span_error,
    )


@bp.route("/counts")
@login_required
def counts():
    counts = queries.roster_counts_by_centre(readable_centre_ids())
    return render_template("experts/counts.html", counts=list(counts.values()), targets=TARGETS)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    centres = _centres_to_write()
    form = _expert_form(ExpertForm, centres)
    if form.validate_on_submit():
        try:
            expert = services.save_expert(None, _chosen_centre(form, centres), form.data)
        except services.ExpertError as error:
            refuse(form, error, "name")
        else:
            flash(_("%(name)s added to the roster.", name=expert.name), "success")
            return redirect(url_for("experts.show", expert_id=expert.id))
    return form_page("experts/form.html", form=form, expert=None)


@bp.route("/<int:expert_id>")
@login_required
def show(expert_id: int):
    expert = get_or_404(Expert, expert_id)
    personal = services.may_see_personal_data(current_user, expert)
    return render_template(
        "experts/show.html",
        expert=expert,
        personal=personal,
        can_write=current_user.can_write(expert.centre_id),
        history=services.visible_history(current_user, expert),
        cv_form=CvForm(),
        engagement_form=EngagementForm(),
    )


@bp.route("/<int:expert_id>/edit", methods=["GET", "POST"])
@login_required
def edit(expert_id: int):
    expert = get_or_404(Expert, expert_id, write=True)
    centres = [c for c in _centres_to_write() if c.id == expert.centre_id]
    form = _expert_form(ExpertEditForm, centres, expert)
    if form.validate_on_submit():
        check_version(expert, form.version.data, form.data)
        try:
            services.save_expert(expert, expert.centre_id, form.data)
        except services.ExpertError as error:
            refuse(form, error, "name")
        else:
            flash(_("%(name)s saved.", name=expert.name), "success")
            return redirect(url_for("experts.show", expert_id=expert.id))
    return form_page("experts/form.html", form=form, expert=expert)


@bp.route("/<int:expert_id>/erase", methods=["GET", "POST"])
@login_required
def erase(expert_id: int):
    expert = get_or_404(Expert, expert_id, write=True)
    if request.method == "POST":
        services.erase_expert(expert)
        flash(_("The expert and their personal data were erased. The roster counts no longer include them."), "success")
        return redirect(url_for("experts.index"))
    return render_template("experts/erase.html", expert=expert)


@bp.route("/<int:expert_id>/cv", methods=["GET"])
@login_required
def cv(expert_id: int):
    expert = get_or_404(Expert, expert_id)
    if not services.may_see_personal_data(current_user, expert):
        abort(403)
    if expert.cv is None:
        abort(404)
    return expert.cv.send()


@bp.route("/<int:expert_id>/cv", methods=["POST"])
@login_required
def upload_cv(expert_id: int):
    expert = get_or_404(Expert, expert_id, write=True)
    form = CvForm()
    if form.validate_on_submit():
        try:
            services.attach_cv(expert, request.files.get("cv"), current_user.id)
        except services.ExpertError as error:
            form.cv.errors.append(str(error))
        else:
            flash(_("CV uploaded."), "success")
            return redirect(url_for("experts.show", expert_id=expert.id))
    return form_page(
        "experts/show.html",
        expert=expert,
        personal=True,
        can_write=True,
        history=services.visible_history(current_user, expert),
        cv_form=form,
        engagement_form=EngagementForm(formdata=None),
    )


@bp.route("/<int:expert_id>/engagements", methods=["POST"])
@login_required
def add_engagement(expert_id: int):
    expert = get_or_404(Expert, expert_id, write=True)
    form = EngagementForm()
    if form.validate_on_submit():
        try:
            services.add_engagement(
                expert, form.activity.data, form.started_on.data, form.ended_on.data, form.days_worked.data
            )
        except services.ExpertError as error:
            refuse(form, error, "activity")
        else:
            flash(_("Engagement recorded."), "success")
            return redirect(url_for("experts.show", expert_id=expert.id))
    return form_page(
        "experts/show.html",
        expert=expert,
        personal=True,
        can_write=True,
        history=services.visible_history(current_user, expert),
        cv_form=CvForm(formdata=None),
        engagement_form=form,
    )


@bp.route("/<int:expert_id>/engagements/<int:engagement_id>/delete", methods=["POST"])
@login_required
def remove_engagement(expert_id: int, engagement_id: int):
    expert = get_or_404(Expert, expert_id, write=True)
    engagement = db.session.get(ExpertEngagement, engagement_id)
    if engagement is None or engagement.expert_id != expert.id:
        abort(404)
    services.remove_engagement(engagement)
    flash(_("Engagement removed."), "success")
    return redirect(url_for("experts.show", expert_id=expert.id))


@bp.route("/pools")
@login_required
def pools():
    counts = queries.roster_counts_by_centre(readable_centre_ids())
    return render_template("experts/pools.html", counts=list(counts.values()), can_add=bool(writable_centres()))


@bp.route("/pools/new", methods=["GET", "POST"])
@login_required
def new_pool():
    centres = _centres_to_write()
    form = PoolForm(centres=centres)
    if form.validate_on_submit():
        try:
            pool = services.save_pool(
                None, _chosen_centre(form, centres), form.name.data, form.description.data, form.status.data
            )
        except services.ExpertError as error:
            refuse(form, error, "name")
        else:
            flash(_("Pool %(name)s created.", name=pool.name), "success")
            return redirect(url_for("experts.pools"))
    return form_page("experts/pool_form.html", form=form, pool=None)


@bp.route("/pools/<int:pool_id>/edit", methods=["GET", "POST"])
@login_required
def edit_pool(pool_id: int):
    pool = get_or_404(ExpertPool, pool_id, write=True)
    centres = [c for c in _centres_to_write() if c.id == pool.centre_id]
    form = PoolEditForm(obj=pool, centres=centres)
    if form.validate_on_submit():
        check_version(pool, form.version.data, form.data)
        try:
            services.save_pool(pool, pool.centre_id, form.name.data, form.description.data, form.status.data)
        except services.ExpertError as error:
            refuse(form, error, "name")
        else:
            flash(_("Pool %(name)s saved.", name=pool.name), "success")
            return redirect(url_for("experts.pools"))
    return form_page("experts/pool_form.html", form=form, pool=pool, history=history_for(pool))


@bp.route("/pools/<int:pool_id>/delete", methods=["GET", "POST"])
@login_required
def delete_pool(pool_id: int):
    pool = get_or_404(ExpertPool, pool_id, write=True)
    return delete_page(
        services.deletion_of_pool(pool),
        lambda: services.delete_pool(pool),
        cancel_url=url_for("experts.edit_pool", pool_id=pool.id),
        done_url=url_for("experts.pools"),
    )
