"""Web plumbing shared by every blueprint: security headers, error pages, downloads, pagination."""

import re
import unicodedata
from dataclasses import dataclass
from math import ceil
from urllib.parse import quote, urlsplit

import sqlalchemy as sa
from flask import Response, abort, current_app, g, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import AnonymousUserMixin
from flask_wtf.csrf import CSRFError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter, ValidationError

from crm.core.locking import EditConflict
from crm.core.text import NUL
from crm.extensions import db

CSP = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"


def security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if current_app.config.get("HSTS"):
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if request.endpoint != "static":
        # Pages and downloads carry a centre's records: no browser or proxy keeps a copy after sign-out.
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def refuse_nul_in_address():
    """A NUL in the path or a query argument is refused before any view sees it (PostgreSQL cannot even
    compare text with one): a 400 on both engines, as forms refuse it in a field (crm.core.forms)."""
    if NUL in request.path or any(NUL in key or NUL in value for key, value in request.args.items(multi=True)):
        return render_error(400, _("This address holds a NUL character, which no page or search accepts."))
    return None


# What RFC 5987 lets through unencoded in ``filename*`` (attr-char), and what an ASCII fallback keeps.
_ATTR_CHARS = "!#$&+-.^_`|~"
_FALLBACK_UNSAFE = re.compile(r"[^A-Za-z0-9._()\[\] +-]+")


def content_disposition(filename: str, *, inline: bool = False) -> str:
    """A Content-Disposition header for a file name made of user data (RFC 6266 with RFC 5987's ``filename*``).

    The name may hold anything a user types ("2027–2028", quotes, slashes, emoji, control characters):
    ``filename*`` carries it exactly in UTF-8, percent-encoded, less path separators and control characters;
    ``filename`` is a plain ASCII fallback for old clients (accents dropped, anything else an underscore).
    Either way the header is pure ASCII, so gunicorn and every proxy accept it.
    """
    name = (
        "".join(
            "_" if ch in "/\\" or unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in filename
        ).strip()
        or "download"
    )
    unaccented = "".join(ch for ch in unicodedata.normalize("NFKD", name) if not unicodedata.combining(ch))
    fallback = _FALLBACK_UNSAFE.sub("_", unaccented).strip() or "download"
    value = f'{"inline" if inline else "attachment"}; filename="{fallback}"'
    if fallback != name:
        value += f"; filename*=UTF-8''{quote(name, safe=_ATTR_CHARS)}"
    return value


def download(content: bytes, filename: str, mimetype: str, *, inline: bool = False) -> Response:
    """The one way a file leaves the app: bytes, a safe Content-Disposition, never cached (security_headers)."""
    response = Response(content, mimetype=mimetype)
    response.headers["Content-Disposition"] = content_disposition(filename, inline=inline)
    return response


ERROR_TEXT = {
    400: (_l("Bad request"), _l("The request could not be understood.")),
    403: (_l("Not allowed"), _l("Your account may not do this. Ask an administrator if you think it should.")),
    404: (_l("Not found"), _l("There is nothing here, or it is not shared with your centre.")),
    405: (_l("Not allowed"), _l("This address does not accept that kind of request.")),
    409: (_l("Edit conflict"), _l("Someone saved this record after you opened it.")),
    413: (_l("File too large"), _l("The upload is larger than the limit.")),
    429: (_l("Too many attempts"), _l("Please wait a minute before trying again.")),
    500: (_l("Something went wrong"), _l("The error was logged; nothing you entered was half-saved.")),
    503: (
        _l("The database is not answering"),
        _l("Nothing was saved, not even in part. Try again in a moment; tell an administrator if it lasts."),
    ),
}

# Errors that mean the database is out of reach (stopped, restarted, its connection cut, locked past the
# busy timeout), not that the request was wrong: the request is answered 503 and nothing of it is kept.
DATABASE_UNAVAILABLE = (sa.exc.OperationalError, sa.exc.InterfaceError)


def is_database_unavailable(error: BaseException) -> bool:
    return isinstance(error, DATABASE_UNAVAILABLE) or (
        isinstance(error, sa.exc.DBAPIError) and error.connection_invalidated
    )


def page_to_reopen() -> str | None:
    """After an edit conflict: the address that shows the record as it stands now (the form itself, read again), or
    the page the form was on; None when neither is a page of this app."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    for path in (request.path, urlsplit(request.referrer or "").path):
        if not path or path.startswith("//"):
            continue
        try:
            adapter.match(path, method="GET")
        except HTTPException:
            continue
        return path
    return None


def render_error(code: int, detail: str | None = None, **context):
    title, text = ERROR_TEXT.get(code, (_l("Error"), ""))
    if code == 409:
        context.setdefault("back_url", page_to_reopen())
    limit_mb = current_app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
    return (
        render_template("errors/error.html", code=code, title=title, text=detail or text, limit_mb=limit_mb, **context),
        code,
    )


def register_error_handlers(app):
    @app.errorhandler(HTTPException)
    def http_error(error):
        if error.code in (301, 302, 303, 307, 308):
            return error
        return render_error(error.code or 500)

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(400, _("The form expired or did not come from this site. Reload the page and try again."))

    @app.errorhandler(EditConflict)
    def edit_conflict(error):
        rows = error.differences()
        db.session.rollback()
        return render_error(409, rows=rows)

    @app.errorhandler(StaleDataError)
    def stale(error):
        db.session.rollback()
        return render_error(409)

    @app.errorhandler(Exception)
    def server_error(error):
        if is_database_unavailable(error):
            return database_unavailable(error)
        db.session.rollback()
        app.logger.exception("Unhandled error on %s", request.path)
        return render_error(500)


def database_unavailable(error):
    """The 503 page, drawn without the database: the session is dropped and the page shown as to a visitor."""
    db.session.remove()
    g._login_user = AnonymousUserMixin()
    current_app.logger.error("Database unavailable on %s: %s", request.path, error)
    body, code = render_error(503)
    return body, code, {"Retry-After": "30"}


# Ids are INTEGER columns on both engines: a larger number names nothing, and would overflow the query.
MAX_ID = 2**31 - 1


def as_id(text: str | None, maximum: int = MAX_ID) -> int | None:
    """``text`` as a number from 1 to ``maximum`` written in ASCII digits, or None (letters, "١٢٣", 10^5000):
    a forged or mistyped id in a query argument or a form finds nothing, and never overflows a query."""
    text = (text or "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > len(str(maximum)):
        return None
    number = int(text)
    return number if 1 <= number <= maximum else None


class IdConverter(IntegerConverter):
    """``<int:...>`` in every route: a number from 0 to MAX_ID, else the route does not match (a 404)."""

    def __init__(self, map, fixed_digits=0, min=0, max=MAX_ID, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)

    def to_python(self, value: str) -> int:
        # Refused before int(): Python will not even convert a string of more than 4,300 digits.
        if len(value) > len(str(MAX_ID)):
            raise ValidationError()
        return super().to_python(value)


@dataclass
class Page:
    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def paginate(stmt: sa.Select, per_page: int | None = None, scalars: bool = True) -> Page:
    """One COUNT and one page of rows, whatever the table size."""
    per_page = per_page or current_app.config["PAGE_SIZE"]
    page = page_number()
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery()))
    rows = db.session.execute(stmt.limit(per_page).offset((page - 1) * per_page))
    items = rows.scalars().all() if scalars else rows.all()
    return Page(items=items, page=page, per_page=per_page, total=total)


# No list is anywhere near this many pages; a larger number is a typo or a probe, and would overflow OFFSET.
MAX_PAGE = 100_000


def page_number() -> int:
    """``?page=`` as a number from 1 to MAX_PAGE; anything else (letters, 0, 10^20) is a 404, never a 500."""
    page = as_id(request.args.get("page") or "1", MAX_PAGE)
    if page is None:
        abort(404)
    return page


def form_page(template: str, **context):
    """Render a form page; after a refused POST the status is 422, so the request commits nothing."""
    status = 422 if request.method == "POST" else 200
    # A refused form may sit a screen below the top (an upload on a record's page): the top of the page says so.
    context.setdefault("refused", status == 422)
    return render_template(template, **context), status
