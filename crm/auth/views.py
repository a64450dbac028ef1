import unicodedata
from functools import wraps
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user

from crm.audit.services import history_for
from crm.auth import reset, services
from crm.auth.forms import (
    LoginForm,
    PasswordChangeForm,
    ProfileForm,
    ResetPasswordForm,
    ResetRequestForm,
    UserCreateForm,
    UserEditForm,
)
from crm.auth.models import User
from crm.centres.models import Centre
from crm.core import i18n
from crm.core.forms import choices, refuse
from crm.core.locking import check_version
from crm.core.web import form_page
from crm.extensions import db, login_manager

bp = Blueprint("auth", __name__)

login_manager.login_view = "auth.login"
login_manager.login_message = _l("Please sign in to see this page.")
# Flask-Login flashes the message as given: read in the request's language, a plain string for the session.
login_manager.localize_callback = str
login_manager.login_message_category = "info"
login_manager.session_protection = "basic"


@login_manager.user_loader
def load_user(session_token: str):
    user = db.session.scalar(sa.select(User).where(User.session_token == session_token))
    return user if user is not None and user.active else None


def admin_required(view):
    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def safe_next(target: str | None) -> str | None:
    """Only a path on this site: no scheme, no host, no protocol-relative trick."""
    if not target:
        return None
    target = target.strip()
    if any(unicodedata.category(ch)[0] in "CZ" and ch != " " for ch in target):
        return None  # a CR or LF would split the Location header; other controls and separators have no place
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    return target


def client_address() -> str:
    return request.remote_addr or "unknown"


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("centres.home"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        device = services.read_device(request.cookies.get(services.DEVICE_COOKIE))
        try:
            user = services.authenticate(form.email.data, form.password.data, client_address(), device)
        except services.AccountError as error:
            # The failure count must survive the error response, so commit it here.
            db.session.commit()
            form.password.errors.append(str(error))
            status = 429 if isinstance(error, services.Throttled) else 401
        else:
            chosen = session.get(i18n.SESSION_KEY)
            session.clear()
            login_user(user)
            if chosen:
                services.choose_language(user, chosen)
            flash(_("Welcome, %(name)s.", name=user.name), "success")
            response = redirect(safe_next(request.args.get("next")) or url_for("centres.home"))
            remember_device(response, services.device_token(device, user))
            return response
    return render_template("auth/login.html", form=form), status


@bp.post("/language")
def language():
    """The login page's language switch: for this browser's session, and for the account once signed in."""
    chosen = request.form.get("language", "")
    if chosen in i18n.LANGUAGES:
        session[i18n.SESSION_KEY] = chosen
        if current_user.is_authenticated:
            services.choose_language(current_user._get_current_object(), chosen)
    return redirect(safe_next(request.form.get("next")) or url_for("auth.login"))


def remember_device(response, token: str) -> None:
    """The cookie by which this browser is known to the throttle as one where the account signed in."""
    response.set_cookie(
        services.DEVICE_COOKIE,
        token,
        max_age=services.DEVICE_COOKIE_DAYS * 86400,
        path=url_for("auth.login"),
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
    )


@bp.route("/password-reset", methods=["GET", "POST"])
def reset_request():
    form = ResetRequestForm()
    if form.validate_on_submit():
        try:
            reset.request_reset(form.email.data, client_address())
        except reset.ResetError as error:
            form.email.errors.append(str(error))
            return render_template("auth/reset_request.html", form=form), 429
        # The same answer whether or not an account has the address.
        flash(
            _(
                "If an account uses %(email)s, a message with a link to choose a new password is on its way; it may "
                "take a minute or two. The link works once, within %(minutes)s minutes.",
                email=services.normalise_email(form.email.data),
                minutes=current_app.config["PASSWORD_RESET_MINUTES"],
            ),
            "info",
        )
        return redirect(url_for("auth.login"))
    return form_page("auth/reset_request.html", form=form)


@bp.route("/password-reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    try:
        reset.usable_reset(token)
    except reset.ResetError as error:
        status = 404 if error.reason == "unknown" else 410
        return no_referrer(render_template("auth/reset_unusable.html", message=str(error)), status)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            user = reset.reset_password(token, form.new_password.data)
        except (reset.ResetError, services.AccountError) as error:  # a spent link, or a password too easy to guess
            form.new_password.errors.append(str(error))
        else:
            logout_user()
            session.clear()
            flash(
                _("Password changed for %(email)s. Sign in with it; other sessions are signed out.", email=user.email),
                "success",
            )
            return redirect(url_for("auth.login"))
    return no_referrer(*form_page("auth/reset_password.html", form=form))


def no_referrer(body, status):
    """A page whose address holds a secret token: it must not leak to another site in a Referer header."""
    response = current_app.make_response((body, status))
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    services.log_out(current_user)
    logout_user()
    session.clear()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current_password.data, form.new_password.data)
        except services.AccountError as error:
            refuse(form, error, "new_password")
        else:
            # The new session token must go into this browser's cookie; every other one dies.
            login_user(current_user._get_current_object())
            flash(_("Password changed. Other sessions of this account are signed out."), "success")
            return redirect(url_for("centres.home"))
    return form_page("auth/password.html", form=form)


@bp.route("/account", methods=["GET", "POST"])
@login_required
def profile():
    user = current_user._get_current_object()
    form = ProfileForm(obj=user)
    if form.validate_on_submit():
        check_version(user, form.version.data, form.data)
        services.update_profile(user, name=form.name.data, language=form.language.data, locale=form.locale.data)
        flash(_("Profile saved."), "success")
        return redirect(url_for("auth.profile"))
    return form_page("auth/profile.html", form=form, user=user)


# Administration -------------------------------------------------------------------------------------


def _centre_choices():
    return choices(
        (c.code, f"{c.code} — {c.name}") for c in db.session.scalars(sa.select(Centre).order_by(Centre.code))
    )


@bp.route("/admin/users")
@admin_required
def users():
    rows = db.session.scalars(sa.select(User).order_by(User.active.desc(), User.email)).all()
    return render_template("auth/users.html", users=rows)


@bp.route("/admin/users/new", methods=["GET", "POST"])
@admin_required
def user_new():
    form = UserCreateForm()
    form.centres.choices = _centre_choices()
    if form.validate_on_submit():
        try:
            user = services.create_user(
                form.email.data, form.name.data, form.role.data, form.password.data, form.centres.data
            )
            if not form.active.data:
                user.active = False
        except services.AccountError as error:
            refuse(form, error, "email")
        else:
            flash(_("Account %(email)s created.", email=user.email), "success")
            return redirect(url_for("auth.users"))
    return form_page("auth/user_form.html", form=form, user=None)


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@admin_required
def user_edit(user_id: int):
    user = db.get_or_404(User, user_id)
    form = UserEditForm(obj=user)
    form.centres.choices = _centre_choices()
    if request.method == "GET":
        form.centres.data = [c.code for c in user.centres]
        form.role.data = user.role.value
    if form.validate_on_submit():
        check_version(user, form.version.data, form.data)
        try:
            services.update_user(
                user,
                name=form.name.data,
                role=form.role.data,
                active=form.active.data,
                centres=services.centres_by_code(form.centres.data),
            )
        except services.AccountError as error:
            refuse(form, error, "name")
        else:
            flash(_("Account %(email)s saved.", email=user.email), "success")
            return redirect(url_for("auth.users"))
    return form_page("auth/user_form.html", form=form, user=user, history=history_for(user))
