"""The page cache: a whole page reused while the data it was built from is unchanged.

A page's key is its endpoint and query string, who reads it (role and centres: nothing built for one reader is
shown to another), the language, and the data versions it reads (crm.core.versions): a write bumps them in its
own transaction, so no worker or host can serve a copy older than the last commit. Stored where every worker sees
it (``PAGE_CACHE``: ``database``, the default; ``redis://...``; ``none``), with a small per-worker memory in
front, safe because the key carries the versions. A store that fails is logged once and the page built afresh.
"""

import functools
import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, date, datetime

import sqlalchemy as sa
from flask import current_app, request, session
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy.orm import Mapped, mapped_column

from crm.core import versions
from crm.extensions import db

log = logging.getLogger(__name__)
MEMORY_PAGES = 64


class CachedPage(db.Model):
    __tablename__ = "cached_pages"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    body: Mapped[bytes] = mapped_column(sa.LargeBinary)
    created: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class Memory:
    """The last pages this worker served, least recently used dropped first."""

    def __init__(self, size: int = MEMORY_PAGES):
        self.size, self.pages, self.lock = size, OrderedDict(), threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self.lock:
            if key in self.pages:
                self.pages.move_to_end(key)
            return self.pages.get(key)

    def put(self, key: str, body: bytes) -> None:
        with self.lock:
            self.pages[key] = body
            self.pages.move_to_end(key)
            while len(self.pages) > self.size:
                self.pages.popitem(last=False)


class DatabaseStore:
    """The ``cached_pages`` table, written on a connection of its own: a GET's session is rolled back."""

    def get(self, key: str) -> bytes | None:
        with db.engine.connect() as conn:
            return conn.scalar(sa.select(CachedPage.body).where(CachedPage.key == key))

    def put(self, key: str, body: bytes) -> None:
        table = CachedPage.__table__
        with db.engine.begin() as conn:
            conn.execute(table.delete().where(table.c.key == key))
            conn.execute(table.insert().values(key=key, body=body, created=datetime.now(UTC)))


class RedisStore:
    """Redis, shared by every host; pages expire after a day (older versions are never read again)."""

    def __init__(self, url: str):
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)

    def get(self, key: str) -> bytes | None:
        return self.client.get(f"page:{key}")

    def put(self, key: str, body: bytes) -> None:
        self.client.set(f"page:{key}", body, ex=86400)


def store_of(app):
    """The app's shared store (None: no caching), made once per app."""
    if "page_cache" not in app.extensions:
        setting = app.config.get("PAGE_CACHE", "database")
        if setting == "none":
            app.extensions["page_cache"] = None
        else:
            try:
                shared = RedisStore(setting) if setting.startswith("redis://") else DatabaseStore()
            except Exception as error:  # a Redis URL that cannot be used: no reuse rather than a 500
                _logged_once("opening the store", error)
                app.extensions["page_cache"] = None
            else:
                app.extensions["page_cache"] = (Memory(), shared)
    return app.extensions["page_cache"]


def _logged_once(what: str, error: Exception) -> None:
    """One warning per app and kind of failure: a store that is down fails on every request."""
    failed = current_app.extensions.setdefault("page_cache_failures", set())
    if what not in failed:
        failed.add(what)
        log.warning("page cache: %s failed, building pages afresh: %s", what, error)


def page_key(version_keys: list[str]) -> str:
    """Endpoint, query, reader, language and data versions, hashed."""
    args = sorted((name, value) for name in request.args for value in request.args.getlist(name))
    # The reader's scope, and the reader: the page's header names them and carries their session's CSRF token.
    generate_csrf()  # the session's CSRF secret made now, if new: the key names the one the page carries
    user = current_user
    reader = (user.role.value, sorted(user.member_centre_ids), user.id, session.get("csrf_token"))
    data = sorted(versions.read(version_keys).items())
    # Today, too: what is due or stalled is counted from it.
    parts = (request.endpoint, args, reader, str(get_locale()), date.today().isoformat(), data)
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def cached_page(reads: Callable[[], list[str]]):
    """A view whose HTML page is reused while the versions ``reads()`` names are unchanged. Only a 200 is kept."""

    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            cache = store_of(current_app)
            if cache is None or "_flashes" in session:  # a message to show once: this page is not the usual one
                return view(*args, **kwargs)
            memory, shared = cache
            try:
                key = page_key(reads())
            except sa.exc.SQLAlchemyError as error:  # a version that cannot be read: no key, so no reuse
                _logged_once("reading the data versions", error)
                db.session.rollback()
                return view(*args, **kwargs)
            body = memory.get(key) or _guarded("reading", shared.get, key)
            if body is not None:
                memory.put(key, body)
                return current_app.response_class(body, mimetype="text/html")
            response = current_app.make_response(view(*args, **kwargs))
            if response.status_code == 200 and not response.is_streamed and response.mimetype == "text/html":
                body = response.get_data()
                memory.put(key, body)
                _guarded("writing", shared.put, key, body)
            return response

        return wrapper

    return decorate


def _guarded(what: str, call: Callable, *args):
    try:
        return call(*args)
    except Exception as error:  # Redis stopped, the table unreadable: the page is built, never a 500
        _logged_once(what, error)
        return None


def network_versions() -> list[str]:
    return [versions.NETWORK]
