"""The TSCC partnership and resource-mobilisation CRM and ledger."""

import importlib
import logging
import os
import weakref

import sqlalchemy as sa
from flask import Flask, request
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.middleware.proxy_fix import ProxyFix

from crm.config import load_config
from crm.extensions import babel, csrf, db, login_manager, migrate

# One package per domain; each may have models, views (a blueprint ``bp``), cli (a click group ``cli``, or top-level
# ``commands``) and seeds.
DOMAINS = (
    "centres",
    "auth",
    "audit",
    "money",
    "partners",
    "agreements",
    "experts",
    "proposals",
    "funding",
    "interchange",
    "dashboards",
    "reports",
    "work",
    "search",
)


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=os.environ.get("CRM_INSTANCE_PATH") or None,
        instance_relative_config=True,
        template_folder="../templates",
        static_folder="../static",
    )
    app.config.update(load_config(app.instance_path))
    app.config.update(overrides or {})
    configure_logging(app)
    register_proxies(app)
    register_extensions(app)
    register_models()
    register_url_converters(app)
    register_blueprints(app)
    register_request_hooks(app)
    register_error_handlers(app)
    register_template_helpers(app)
    register_commands(app)
    return app


def configure_logging(app: Flask) -> None:
    if not app.debug and not app.testing:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def register_proxies(app: Flask) -> None:
    """Behind TRUSTED_PROXIES reverse proxies, the client's address and scheme are the ones they forwarded.

    Only that many hops of X-Forwarded-For are believed, so a client cannot choose its own address (and
    escape the login throttle) by sending the header itself.
    """
    count = app.config["TRUSTED_PROXIES"]
    if count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)


def domain_module(domain: str, name: str):
    """``crm.<domain>.<name>`` if the domain has such a module, else None."""
    try:
        return importlib.import_module(f"crm.{domain}.{name}")
    except ModuleNotFoundError as error:
        if error.name not in (f"crm.{domain}", f"crm.{domain}.{name}"):
            raise
        return None


def register_extensions(app: Flask) -> None:
    from flask_babel import refresh

    from crm.core.i18n import select_locale
    from crm.core.sqlite import configure_sqlite

    db.init_app(app)
    migrate.init_app(app, db, directory=str(app.root_path + "/../migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    # Flask-Babel keeps the locale on the app context, which a request inside another (tests, CLI) shares: each
    # request chooses afresh.
    app.before_request(refresh)
    with app.app_context():
        configure_sqlite(db.engine)
        forget_connections_after_fork(db.engine)


def forget_connections_after_fork(engine) -> None:
    """A forked child (a gunicorn worker of an app loaded with --preload) opens its own connections.

    A connection made before the fork would be shared by parent and children, their statements
    interleaved on one socket; ``dispose(close=False)`` drops the child's copies without closing the
    parent's (SQLAlchemy's advice for os.fork).
    """
    engine_ref = weakref.ref(engine)  # tests build many apps: a fork hook must not keep their engines alive

    def after_fork_in_child():
        forked = engine_ref()
        if forked is not None:
            forked.dispose(close=False)

    os.register_at_fork(after_in_child=after_fork_in_child)


def register_models() -> None:
    for domain in DOMAINS:
        domain_module(domain, "models")
    # The outbox every domain's mail goes through; listeners that hang on the models (the audit log, the search index).
    importlib.import_module("crm.core.mail")
    # Data versions bumped by every write, and the pages built from them.
    importlib.import_module("crm.core.versions")
    importlib.import_module("crm.core.cache")
    domain_module("audit", "services")
    domain_module("search", "index")


def register_url_converters(app: Flask) -> None:
    from crm.core.web import IdConverter

    # Before the blueprints: a rule takes its converters when it is added.
    app.url_map.converters["int"] = IdConverter


def register_blueprints(app: Flask) -> None:
    for domain in DOMAINS:
        views = domain_module(domain, "views")
        if views is not None and hasattr(views, "bp"):
            app.register_blueprint(views.bp)


def register_request_hooks(app: Flask) -> None:
    from crm.core.web import (
        database_unavailable,
        is_database_unavailable,
        refuse_nul_in_address,
        render_error,
        security_headers,
    )

    app.before_request(refuse_nul_in_address)
    # after_request hooks run last-registered first: headers go on whatever commit_once returns.
    app.after_request(security_headers)

    @app.after_request
    def commit_once(response):
        """The one place a request's changes are committed: after a successful write."""
        if request.method in ("GET", "HEAD", "OPTIONS") or response.status_code >= 400:
            db.session.rollback()
            return response
        try:
            db.session.commit()
        except StaleDataError:
            db.session.rollback()
            body, code = render_error(409)
            response = app.make_response((body, code))
        except sa.exc.SQLAlchemyError as error:
            if is_database_unavailable(error):
                return app.make_response(database_unavailable(error))
            db.session.rollback()
            app.logger.exception("Commit failed on %s", request.path)
            body, code = render_error(500)
            response = app.make_response((body, code))
        return response


def register_error_handlers(app: Flask) -> None:
    from crm.core.web import register_error_handlers as register

    register(app)


def register_template_helpers(app: Flask) -> None:
    from crm.core.templating import register

    register(app)


def register_commands(app: Flask) -> None:
    from crm.backup import backup_command, restore_command
    from crm.seeding import seed_command

    for command in (seed_command, backup_command, restore_command):
        app.cli.add_command(command)
    for domain in DOMAINS:
        cli = domain_module(domain, "cli")
        for command in (getattr(cli, "cli", None), *getattr(cli, "commands", ())):
            if command is not None:
                app.cli.add_command(command)
