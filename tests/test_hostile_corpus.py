"""The hostile corpus, posted into every field of every form and every id and query argument of every route.

Forms and query arguments are found by reading the pages (tests/hostile.py), ids by walking
``app.url_map``: a new route, form or field is covered without touching this file. Each request runs
in a savepoint rolled back after it, so every one starts from the same records. Asserted throughout:
no 5xx; no raw markup of the corpus in any page; a text either refused (4xx, a message beside the
field) or stored as typed, by the rules of crm.core.text, and shown escaped.
"""

import io
import re
from collections import Counter
from contextlib import contextmanager
from urllib.parse import quote, urlencode, urlsplit

import pytest
import sqlalchemy as sa
import wtforms
from flask import url_for
from sqlalchemy.orm import Session

from crm.auth.models import Role
from crm.core.forms import BaseForm, SubForm
from crm.core.text import printable
from crm.core.web import IdConverter
from crm.extensions import db
from crm.interchange.models import PendingImport
from crm.work import services as work
from tests import hostile
from tests.access_specs import World, all_rules, build_world
from tests.factories import docx_bytes, save
from tests.test_reports import docx_text, pdf_text

RULES = all_rules()
# Forms whose posting ends the walk's own session: signing out, and a password reset through a valid link
# (tests/test_password_reset.py posts the corpus to that one).
NOT_WALKED = {"auth.logout", "auth.reset_password"}
HOSTILE_IDS = ("0", "-1", "2147483648", "9223372036854775808", "99999999999999999999", "1e3", "abc", "%00", "１")


@pytest.fixture
def walk(app, make):
    """The access specs' world, a staff member who writes to its centre, an admin; their signed-in clients."""
    world = World(own=make.centre(name="Own centre"), foreign=make.centre(name="Foreign centre Zeta"))
    build_world(world)
    users = {"staff": make.user(Role.STAFF, [world.foreign]), "admin": make.user(Role.ADMIN)}
    submitted = with_every_report_form(make, world, users["staff"])
    work.issue_feed(users["staff"])  # so that its settings page shows the form that revokes it
    staged = save(
        PendingImport(
            centre_id=world.foreign.id,
            created_by_id=users["staff"].id,
            filename="walk.csv",
            content=b"Name,Engagement basis,Availability\nWalk,volunteer,available\n",
            size=60,
        )
    )
    db.session.commit()
    with app.test_request_context():
        pages = {
            endpoint: url_for(endpoint, **rule.args(world))
            for endpoint, rule in sorted(RULES.items())
            if rule.method == "GET"
        }
        pages["reports.show (submitted)"] = url_for("reports.show", section_id=submitted.id)
        pages["interchange.preview (own)"] = url_for("interchange.preview", import_id=staged.id)
    clients = {}
    for role, user in users.items():
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = user.session_token
        clients[role] = client
    return {"pages": pages, "clients": clients, "world": world}


def with_every_report_form(make, world, staff):
    """The report states whose pages show the forms a fresh draft does not: an added row to remove, words
    edited away from the draft (redraft), a submitted section (revise). Returns the submitted one."""
    from crm.reports import services as reports

    section = world.records["report_section"]
    reports.add_row(section, "A row added by hand")
    section.outcome = "Written by hand, unlike the draft"
    submitted = reports.submit(make.report_section(world.foreign, make.period(world.foreign, label="2023-2024")), staff)
    db.session.commit()
    return submitted


@contextmanager
def undone():
    """One request's writes, rolled back after it (the test's own transaction stays)."""
    connection = db.session.get_bind()
    db.session.remove()  # the session's own savepoint ends here, so the request's nests inside this one
    savepoint = connection.begin_nested()
    try:
        yield
    finally:
        db.session.remove()
        savepoint.rollback()


@contextmanager
def flushed_texts():
    """Every text value the ORM writes meanwhile (columns of new and changed records, JSON included)."""
    seen: list[str] = []

    def collect(value):
        if isinstance(value, str):
            seen.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                collect(item)
        elif isinstance(value, list | tuple):
            for item in value:
                collect(item)

    def after_flush(session, context):
        for record in list(session.new) + list(session.dirty):
            for attribute in sa.inspect(record).mapper.column_attrs:
                collect(getattr(record, attribute.key, None))

    sa.event.listen(Session, "after_flush", after_flush)
    try:
        yield seen
    finally:
        sa.event.remove(Session, "after_flush", after_flush)


def shows_raw_markup(html: str) -> str | None:
    return next((marker for marker in hostile.DANGEROUS if marker in html), None)


def discover_forms(walk) -> dict[tuple[str, str], tuple[str, hostile.Form]]:
    """Every POST form the pages show: (action, first field names) → (role that sees it, form)."""
    forms = {}
    for endpoint, url in walk["pages"].items():
        if endpoint in ("reports.export",):
            continue
        for role in ("staff", "admin"):
            with undone():
                response = walk["clients"][role].get(url)
                response.get_data()  # a streamed export runs inside the undone writes, and is closed
            if response.status_code != 200 or response.mimetype != "text/html":
                continue
            for form in hostile.parse_page(url, response.get_data(as_text=True)).forms:
                if form.method != "post":
                    continue
                key = (urlsplit(form.action).path, ",".join(sorted(f.name for f in form.fields)))
                forms.setdefault(key, (role, form))
    return forms


def endpoint_of(app, path: str, method: str) -> str:
    adapter = app.url_map.bind("localhost")
    return adapter.match(path, method=method)[0]


def field_values(field: hostile.FormField) -> dict[str, str]:
    """The corpus a field gets: the texts and a few numbers and dates where text is typed; numbers, dates
    and forged values where a choice, a date, a number or a hidden value is expected."""
    if field.kind in hostile.TEXT_INPUTS | {"textarea"}:
        return hostile.TEXTS | hostile.REFUSED_TEXTS | hostile.LONG | hostile.URLS | hostile.SOME_NUMBERS
    return hostile.SOME_NUMBERS | {"script": hostile.TEXTS["script"], "nul": hostile.REFUSED_TEXTS["nul"]}


def post(client, form: hostile.Form, data: list[tuple[str, object]]):
    payload = {}
    for name, value in data:
        payload.setdefault(name, []).append(value)
    for f in form.fields:
        if f.kind == "file":
            payload[f.name] = (io.BytesIO(docx_bytes()), "hostile “name” 2027–2028.docx")
    return client.post(form.action, data=payload)


def test_every_form_derives_from_a_base_form_that_cleans_text():
    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    forms = {cls for cls in subclasses(wtforms.Form) if cls.__module__.startswith("crm.")}
    assert len(forms) > 30
    strays = {cls for cls in forms if not issubclass(cls, BaseForm | SubForm)} - {BaseForm, SubForm}
    assert not strays, f"forms without the text rules (derive them from BaseForm or SubForm): {strays}"


def test_every_field_of_every_form_takes_the_hostile_corpus(app, walk):
    forms = discover_forms(walk)
    covered = {endpoint_of(app, action, "POST") for action, _ in forms}
    post_endpoints = {r.endpoint for r in app.url_map.iter_rules() if "POST" in r.methods} - NOT_WALKED
    unseen = post_endpoints - covered - {"auth.login", "auth.language"}
    assert not unseen, f"POST routes whose form no page shows (add a page to tests/access_specs): {sorted(unseen)}"

    failures, counts = [], Counter()
    for (action, _), (role, form) in sorted(forms.items()):
        client = walk["clients"][role]
        for target in form.fields:
            if target.kind in ("file", "checkbox", "radio") or target.name == "csrf_token":
                continue
            for label, value in field_values(target).items():
                data = [(n, v) for n, v in hostile.default_data(form) if n != target.name] + [(target.name, value)]
                with undone(), flushed_texts() as stored:
                    response = post(client, form, data)
                    body = response.get_data(as_text=True)
                    if 300 <= response.status_code < 400 and label in hostile.TEXTS:
                        body += client.get(response.headers["Location"]).get_data(as_text=True)
                counts["posts"] += 1
                problem = judge(target, label, value, response.status_code, body, stored)
                if problem:
                    failures.append(f"POST {action} {target.name}={label!r}: {problem}")
                counts["stored" if 300 <= response.status_code < 400 else f"refused {response.status_code}"] += 1
    print(f"\nhostile corpus: {len(forms)} forms, {counts['posts']} posts: {dict(counts)}")
    assert counts["stored"] > 500, "the walk must store values, not only see them refused"
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(failures[:60])


def judge(target, label, value, status, body, stored) -> str | None:
    if status >= 500:
        return f"answered {status}"
    if marker := shows_raw_markup(body):
        return f"shows raw {marker!r}"
    success = 300 <= status < 400
    text_field = target.kind in ("text", "textarea", "search", "") and not target.readonly
    if success and label in hostile.REFUSED_TEXTS and target.kind in hostile.TEXT_INPUTS | {"textarea"}:
        return "a NUL was accepted"
    if success and text_field and label in hostile.TEXTS:
        want = hostile.kept(value, multiline=target.kind == "textarea")
        # Squashed together: a field may be kept split (other names, one per line, become a list).
        if want not in hostile.squashed(" ".join(stored)):
            return f"saved, but not stored as typed (wanted {want[:60]!r})"
    return None


def test_every_id_and_query_argument_of_every_route_takes_hostile_values(app, walk):
    failures, counts = [], Counter()
    client = walk["clients"]["admin"]
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or not rule.arguments:
            continue
        for argument in rule.arguments:
            converter = rule._converters[argument]
            texts = (hostile.TEXTS | hostile.REFUSED_TEXTS).values()
            values = HOSTILE_IDS if isinstance(converter, IdConverter) else [quote(v) for v in texts]
            for value in values:
                path = re.sub(rf"<(?:[^:<>]+:)?{argument}>", value, rule.rule)
                path = re.sub(r"<any\([^)]*\):\w+>", "pdf", path)
                path = re.sub(r"<(?:int:)?\w+>", "1", path)
                for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                    with undone():
                        response = client.open(path, method=method)
                        response.get_data()
                    counts["ids"] += 1
                    if response.status_code >= 500:
                        failures.append(f"{method} {path}: {response.status_code}")

    values = hostile.QUERY_VALUES
    for url in sorted(walk["pages"].values()):
        for role in ("staff", "admin"):
            client = walk["clients"][role]
            with undone():
                page = client.get(url)
                page.get_data()
            if page.status_code == 200:
                break
        path = urlsplit(url).path
        names = {"page", "next", "sort", "q"}
        if page.mimetype == "text/html":
            parsed = hostile.parse_page(url, page.get_data(as_text=True))
            names |= hostile.query_names(parsed.links, path)
            names |= {f.name for form in parsed.forms if form.method == "get" for f in form.fields}
        for name in sorted(names):
            for label, value in values.items():
                with undone():
                    response = client.get(f"{path}?{urlencode({name: value})}")
                    response.get_data()
                counts["query"] += 1
                body = response.get_data(as_text=True) if response.mimetype == "text/html" else ""
                if response.status_code >= 500 or shows_raw_markup(body):
                    failures.append(f"GET {path}?{name}={label!r}: {response.status_code}")
    print(f"\nhostile routes: {counts['ids']} id requests, {counts['query']} query requests")
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(failures[:60])


def test_the_report_section_exports_the_corpus_literally(app, walk, tmp_path):
    world, client = walk["world"], walk["clients"]["staff"]
    section = world.records["report_section"]
    section_id = section.id
    edit_url = f"/reports/sections/{section_id}/edit"
    page = hostile.parse_page(edit_url, client.get(edit_url).get_data(as_text=True))
    form = next(f for f in page.forms if f.method == "post" and urlsplit(f.action).path == edit_url)
    texts = [f for f in form.fields if f.kind == "textarea"]
    assert texts, "the section's edit form has text areas"
    exported = []
    for label, value in (hostile.TEXTS | hostile.LONG).items():
        with undone():
            data = [(n, v) for n, v in hostile.default_data(form) if n not in {f.name for f in texts}]
            data += [(f.name, value) for f in texts]
            saved = post(client, form, data)
            assert saved.status_code in (302, 303, 422), (label, saved.status_code)
            if saved.status_code == 422:
                continue
            exports = {
                fmt: client.get(f"/reports/sections/{section_id}/export.{fmt}") for fmt in ("pdf", "docx", "html")
            }
        assert all(r.status_code == 200 for r in exports.values()), (
            label,
            {f: r.status_code for f, r in exports.items()},
        )
        want = hostile.squashed(printable(value))
        # The PDF prints what can be seen: zero-width and direction marks have no glyph.
        visible = re.sub(r"[\u200b-\u200f\u202a-\u202e\ufeff\u2060]", "", want)
        if label not in ("right to left", "100,000 characters"):  # reportlab lays out RTL in logical order only
            pdf = hostile.squashed(pdf_text(exports["pdf"].data, tmp_path))
            assert visible.replace(" ", "") in pdf.replace(" ", ""), (label, visible[:80], pdf[:400])
        word = hostile.squashed(docx_text(exports["docx"].data))
        assert want in word, (label, want[:80])
        html = exports["html"].get_data(as_text=True)
        assert not shows_raw_markup(html), label
        exported.append(label)
    assert set(exported) == set(hostile.TEXTS), "every text of the corpus is saved and exported"
