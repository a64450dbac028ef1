"""A live server for browser tests: its own app and SQLite file, served on a free local port."""

import os

import pytest

from crm import create_app
from crm.auth.models import Role
from crm.extensions import db
from tests.conftest import TMP
from tests.factories import Factory
from tools.browser import CHROMIUM, CHROMIUM_ARGS, serve_in_thread

PASSWORD = "browser test passphrase"


@pytest.fixture(scope="session")
def live_server():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is missing: `make system-deps` installs Debian's chromium package.")
        pytest.skip("Chromium is not installed (make system-deps installs it).")
    path = TMP / "browser.sqlite3"
    path.unlink(missing_ok=True)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "UPLOAD_FOLDER": str(TMP / "browser-uploads")})
    with app.app_context():
        db.create_all()
        make = Factory()
        centre = make.centre(code="TSCC-NIES", name="Centre at the Nanjing Institute of Environmental Sciences")
        make.centre(code="TSCC-CA", name="Centre for Central Asia")
        user = make.user(Role.STAFF, [centre], password=PASSWORD, email="staff@browser.example", name="Browser Staff")
        email = user.email
    server = serve_in_thread(app)
    yield {"url": f"http://127.0.0.1:{server.server_port}", "email": email, "password": PASSWORD}
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def demo(live_server):
    """The seeded demo on a server of its own (``live_server`` first: it checks that Chromium is there)."""
    from tools.shoot import seed_demo

    path = TMP / "phone-demo.sqlite3"
    path.unlink(missing_ok=True)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "UPLOAD_FOLDER": str(TMP / "phone-uploads")})
    logins = seed_demo(app)
    server = serve_in_thread(app)
    yield app, f"http://127.0.0.1:{server.server_port}", logins
    server.shutdown()
