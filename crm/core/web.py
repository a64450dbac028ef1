"""Web plumbing shared by every blueprint: security headers, error pages, pagination."""

from dataclasses import dataclass
from math import ceil

import sqlalchemy as sa
from flask import current_app, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from crm.core.locking import EditConflict
from crm.extensions import db

CSP = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"


def security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if current_app.config.get("HSTS"):
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response


ERROR_TEXT = {
    400: ("Bad request", "The request could not be understood."),
    403: ("Not allowed", "Your account may not do this. Ask an administrator if you think it should."),
    404: ("Not found", "There is nothing here, or it is not shared with your centre."),
    405: ("Not allowed", "This address does not accept that kind of request."),
    409: ("Edit conflict", "Someone saved this record after you opened it."),
    413: ("File too large", "The upload is larger than the limit."),
    429: ("Too many attempts", "Please wait a minute before trying again."),
    500: ("Something went wrong", "The error was logged; nothing you entered was half-saved."),
}


def render_error(code: int, detail: str | None = None, **context):
    title, text = ERROR_TEXT.get(code, ("Error", ""))
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
        return render_error(400, "The form expired or did not come from this site. Reload the page and try again.")

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
        db.session.rollback()
        app.logger.exception("Unhandled error on %s", request.path)
        return render_error(500)


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
    page = max(1, request.args.get("page", 1, type=int))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery()))
    rows = db.session.execute(stmt.limit(per_page).offset((page - 1) * per_page))
    items = rows.scalars().all() if scalars else rows.all()
    return Page(items=items, page=page, per_page=per_page, total=total)


def form_page(template: str, **context):
    """Render a form page; after a refused POST the status is 422, so the request commits nothing."""
    status = 422 if request.method == "POST" else 200
    return render_template(template, **context), status
