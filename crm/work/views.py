from datetime import date

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from crm.core.forms import refuse
from crm.core.scoping import readable_centre_ids
from crm.core.urls import public_host, public_url
from crm.work import calendar, services
from crm.work.forms import MailPreferenceForm
from crm.work.queries import due_items, my_work

bp = Blueprint("work", __name__)


@bp.route("/my-work")
@login_required
def mine():
    today = date.today()
    work = my_work(due_items(readable_centre_ids(), today), current_user.id, today)
    return render_template("work/mine.html", work=work, today=today)


def _settings_page(form=None, feed_url=None, status=200):
    user = current_user._get_current_object()
    if form is None:
        pref = services.preferences(user)
        days = [str(day) for day in pref.reminder_days]
        # From the saved choices only, never from this request's form (the feed buttons post here too).
        form = MailPreferenceForm(formdata=None, data={"weekly_digest": pref.weekly_digest, "reminder_days": days})
    context = {"form": form, "feed": services.feed_of(user), "feed_url": feed_url}
    return render_template("work/settings.html", **context), status


@bp.route("/my-work/settings", methods=["GET", "POST"])
@login_required
def settings():
    if request.method == "GET":
        return _settings_page()
    form = MailPreferenceForm()
    if form.validate_on_submit():
        try:
            services.save_preferences(
                current_user, weekly_digest=form.weekly_digest.data, reminder_days=form.reminder_days.data
            )
        except services.WorkError as error:
            refuse(form, error, "reminder_days")
        else:
            flash(_("Mail settings saved."), "success")
            return redirect(url_for("work.settings"))
    # Refused: 422, so the request commits nothing.
    return _settings_page(form=form, status=422)


@bp.route("/my-work/feed", methods=["POST"])
@login_required
def new_feed():
    """A new feed address, shown on this page only: it is kept hashed and cannot be shown again."""
    token = services.issue_feed(current_user)
    return _settings_page(feed_url=public_url("work.feed", token=token))


@bp.route("/my-work/feed/revoke", methods=["POST"])
@login_required
def revoke_feed():
    services.revoke_feed(current_user)
    flash(_("The calendar feed is turned off: its address no longer opens anything."), "success")
    return redirect(url_for("work.settings"))


@bp.route("/feed/<token>.ics")
def feed(token: str):
    """The user's deadlines for a calendar program; the token in the address is the only key. A wrong or revoked
    one is a plain 404, the same whether or not the account exists."""
    user = services.feed_owner(token)
    if user is None:
        abort(404)
    items = due_items(readable_centre_ids(user), date.today(), calendar=True)
    body = calendar.feed(user.name, items, lambda item: public_url(item.endpoint, **item.args), public_host())
    response = make_response(body)
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = 'inline; filename="tscc-deadlines.ics"'
    # The address is a secret: no shared cache may keep a copy, and no page may link to it with a referrer.
    response.headers["Cache-Control"] = "private, max-age=900"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
