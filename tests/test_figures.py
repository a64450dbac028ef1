"""Figures that hold up under review (issue 12): a void leaves no trace, a withdrawal nets in its own period, money
received reaches "Received", every figure's link lands on a list showing the same figure, and the seeds never
make a second copy."""

import html
import re
from datetime import date
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from crm.auth.models import Role, User
from crm.centres.services import centre_by_code
from crm.core.partial_dates import PartialDate
from crm.core.periods import Span
from crm.dashboards.queries import Scope
from crm.dashboards.summary import build
from crm.extensions import db
from crm.funding import queries, services
from crm.funding.models import Category, Kind, LedgerEntry, Measure, Purpose, Stage
from crm.money.totals import RatePlan
from crm.reports import drafting
from crm.seeding import run_seeds

LISTS = ("/resources", "/resources/receipts", "/partnerships", "/agreements", "/proposals", "/experts")
LINK = re.compile(r'<a href="(/[^"#]*)">(.*?)</a>', re.S)
TAGS = re.compile(r"<[^>]+>")


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def text_of(fragment: str) -> str:
    return " ".join(html.unescape(TAGS.sub(" ", fragment)).split())


def listed_figure(client, url: str) -> str:
    """What the list ``url`` shows as the figure linking to it: its count, or the total the link names."""
    shown = page(client, url)
    args = parse_qs(urlsplit(url).query)
    if "total" in args:
        total = re.search(rf'data-total="{args["total"][0]}">(.*?)</dd>', shown, re.S).group(1)
        converted = re.search(r'<span class="value">(.*?)</span>', total, re.S)
        return text_of(converted.group(1) if converted and "currency" in args else total)
    return re.search(r'data-count="(\d+)"', shown).group(1)


def figure_links(shown: str) -> list[tuple[str, str]]:
    """(list URL, figure) of every figure on a page that links to a list: counts and money."""
    found = []
    for url, inner in LINK.findall(shown):
        url = html.unescape(url)
        if urlsplit(url).path not in LISTS:
            continue
        figure = text_of(inner)
        if re.fullmatch(r"\d+", figure) or re.fullmatch(r"[A-Z]{3}\s[-\d,.]+", figure):
            found.append((url, figure))
    return found


@pytest.fixture
def demo(app, make):
    run_seeds()
    db.session.commit()
    return {code: centre_by_code(code) for code in ("TSCC-NIES", "TSCC-CA")}


@pytest.mark.parametrize("query", ["", "&period=all", "&currency=USD", "&currency=USD&rates=un", "&rates=end"])
def test_every_figure_on_the_seeded_dashboards_lands_on_a_list_with_the_same_figure(client, make, login, demo, query):
    login(make.user(Role.COORDINATOR))
    nies = demo["TSCC-NIES"]
    entry = db.session.scalar(
        sa.select(LedgerEntry).where(LedgerEntry.centre_id == nies.id, LedgerEntry.amount == 500000)
    )
    services.record_tranche(entry, {"received_on": date(2026, 4, 30), "amount": "120000", "currency": "CNY"})
    db.session.commit()
    followed = 0
    for url in (
        f"/dashboards/network?x=1{query}",
        f"/dashboards/centre?centre=TSCC-NIES{query}",
        f"/dashboards/centre?centre=TSCC-CA{query}",
    ):
        for link, figure in figure_links(page(client, url)):
            assert listed_figure(client, link) == figure, (url, link)
            followed += 1
    assert followed > 60


def test_every_figure_of_the_drafted_section_lands_on_its_records(client, make, login, demo):
    from crm.reports.services import start_section

    nies = demo["TSCC-NIES"]
    staff = db.session.scalar(sa.select(User).where(User.email == "staff.nies@demo.tscc.example"))
    section = start_section(nies, nies.periods[0])
    db.session.commit()
    login(staff)
    shown = page(client, f"/reports/sections/{section.id}")
    figures = re.findall(r'<li><a href="([^"]+)">(.*?): <strong>(.*?)</strong></a></li>', shown)
    assert len(figures) >= 8
    for url, label, value in figures:
        url, value = html.unescape(url), html.unescape(value)
        assert "to=2026-04-30" in url, label
        listed = page(client, url)
        if re.fullmatch(r"\d+", value):
            assert re.search(r'data-count="(\d+)"', listed).group(1) == value, (label, url)
        else:
            # "RMB 900,000 (≈ USD 131,795.77)": the list's totals per currency, in the records' own currencies.
            stated = {
                ("CNY" if code == "RMB" else code): number
                for code, number in re.findall(r"\b([A-Z]{3}) ([\d,.]+)", value.split("(")[0])
            }
            committed = text_of(re.search(r'data-total="committed">(.*?)</dd>', listed, re.S).group(1))
            for code, number in stated.items():
                assert f"{code} {Decimal(number.replace(',', '')):,.2f}" in committed.replace("\u00a0", " "), (
                    label,
                    url,
                )


# --- corrections, as a new user would make them on the demo ------------------------------------


def nies_figures(nies, span: Span, currency: str = "USD"):
    scope = Scope(frozenset({nies.id}), span.starts_on, span.ends_on, date(2026, 12, 1), span.label)
    d = build(scope, RatePlan("month", currency, span.ends_on or date(2026, 12, 1)))
    return d, queries.headline_figures(nies.id, span), drafting.draft(nies, nies.periods[0])


def test_done_when_a_void_leaves_no_trace_and_a_withdrawal_nets_in_its_own_period(make, demo):
    nies = demo["TSCC-NIES"]
    period = Span.of(nies.periods[0])
    later = Span(date(2026, 5, 1), date(2027, 12, 31))
    everything = Span()
    booked = services.record_entry(
        nies.id,
        {
            "category": "bilateral",
            "kind": "financial",
            "purpose": "project_activities",
            "stage": "committed",
            "amount": "80000",
            "currency": "USD",
            "booked_on": date(2025, 6, 10),
            "purpose_detail": "A 2025 grant",
        },
    )
    withdrawn = services.record_entry(
        nies.id,
        {
            "category": "multilateral",
            "kind": "financial",
            "purpose": "event",
            "stage": "pledged",
            "amount": "300000",
            "currency": "CNY",
            "booked_on": date(2025, 9, 1),
            "purpose_detail": "A pledge",
        },
    )
    before, headline_before, _ = nies_figures(nies, period)
    # 2026: the first was a mistake (voided), the second is withdrawn by its source on 2 June 2026.
    services.void_entry(booked, "entered for the wrong centre", by_id=None)
    services.withdraw_entry(
        withdrawn, {"withdrawn_on": date(2026, 6, 2), "reason": "donor withdrew"}, today=date(2026, 12, 1)
    )
    db.session.commit()

    after, headline_after, draft = nies_figures(nies, period)
    committed = after.resources_by_centre.cell(nies.id, Measure.COMMITTED)
    assert committed.subtotal_money() == [
        m for m in before.resources_by_centre.cell(nies.id, Measure.COMMITTED).subtotal_money() if m.currency != "USD"
    ]
    assert headline_after["total"] == {"CNY": Decimal("1150000")} and headline_before["total"]["USD"] == Decimal(
        "80000"
    )
    assert "80,000" not in draft.key_figures.text and "80,000" not in draft.rows["resources"].details
    # The withdrawal leaves 2025-2026 as reported and nets in the period it falls in.
    pledged = lambda d: d.resources_by_centre.cell(nies.id, Measure.PLEDGED).subtotal_money()  # noqa: E731
    assert pledged(after) == pledged(before) and [m.amount for m in pledged(after)] == [Decimal("300000")]
    netted, _, _ = nies_figures(nies, later)
    assert [m.amount for m in pledged(netted)] == [Decimal("-300000")]
    # Over every date: nothing, in CNY and converted, no residue from the two months' rates.
    total, _, _ = nies_figures(nies, everything, "USD")
    over_all = total.resources_by_centre.cell(nies.id, Measure.PLEDGED)
    assert over_all.subtotal_money() == [] and over_all.total.amount == 0


def test_a_section_of_a_period_whose_only_entry_was_later_withdrawn_or_voided_drafts(make, client, login):
    centre = make.centre(reporting_currency="USD")
    period = make.period(centre, label="2025-2026", starts_on=date(2025, 1, 1), ends_on=date(2025, 12, 31))
    entry = make.ledger_entry(centre, amount="1000", currency="KZT", booked_on=date(2025, 4, 1))
    services.withdraw_entry(entry, {"withdrawn_on": date(2026, 2, 1), "reason": "x"}, today=date(2026, 12, 1))
    draft = drafting.draft(centre, period)
    assert "KZT 1,000" in draft.rows["resources"].details
    other = make.centre(reporting_currency="USD")
    other_period = make.period(other, label="2025-2026", starts_on=date(2025, 1, 1), ends_on=date(2025, 12, 31))
    services.void_entry(make.ledger_entry(other, amount="5", currency="EUR"), "typo", by_id=None)
    assert "No resources have been mobilized yet" in drafting.draft(other, other_period).rows["resources"].details
    staff = make.user(Role.STAFF, [centre])
    login(staff)
    assert client.post(f"/reports/periods/{period.id}/start").status_code in (302, 303)


def test_money_received_as_tranches_reaches_received_and_outstanding_on_both_dashboards(make, demo):
    nies = demo["TSCC-NIES"]
    entry = db.session.scalar(
        sa.select(LedgerEntry).where(LedgerEntry.centre_id == nies.id, LedgerEntry.amount == 500000)
    )
    make.rate("USD", "CNY", "7.1", date(2026, 4, 1), source="manual", reason="test")
    services.record_tranche(entry, {"received_on": date(2026, 4, 30), "amount": "10000", "currency": "USD"})
    period = Span.of(nies.periods[0])
    for scope in (
        Scope(frozenset({nies.id}), period.starts_on, period.ends_on, date(2026, 12, 1)),
        Scope(None, period.starts_on, period.ends_on, date(2026, 12, 1)),
    ):
        d = build(scope, RatePlan("month", "CNY", period.ends_on))
        received = d.resources_by_centre.cell(nies.id, Measure.RECEIVED)
        assert received.subtotal_money()[0].amount == Decimal("10000") and received.total.amount == Decimal("71000.00")
        outstanding = d.resources_by_centre.outstanding(nies.id)
        assert outstanding.total.amount == Decimal("1150000") - Decimal("71000")


# --- Part III's figures are a partition --------------------------------------------------------


def test_part_iii_headlines_partition_the_money_mobilised(make):
    centre = make.centre()
    expected_total = Decimal(0)
    amount = Decimal(1)
    for category in Category:
        for purpose in Purpose:
            for stage in Stage:
                make.ledger_entry(
                    centre, category=category, purpose=purpose, stage=stage, amount=str(amount), currency="CNY"
                )
                if stage != Stage.PLEDGED:
                    expected_total += amount
                amount *= 2 if amount < 2**40 else 1
    make.ledger_entry(
        centre,
        kind="in_kind",
        description="Desks",
        quantity="3",
        unit="desks",
        amount="999",
        currency="CNY",
        valuation_method="rent",
    )
    figures = queries.headline_figures(centre.id)
    parts = [figures[key].get("CNY", Decimal(0)) for key in queries.HEADLINES]
    assert sum(parts) == figures["total"]["CNY"] == expected_total
    host = sum(
        e.amount
        for e in db.session.scalars(
            sa.select(LedgerEntry).where(
                LedgerEntry.centre_id == centre.id,
                LedgerEntry.category == Category.HOST_INSTITUTION,
                LedgerEntry.kind == Kind.FINANCIAL,
                LedgerEntry.stage != Stage.PLEDGED,
            )
        )
    )
    assert figures["institutional_support"]["CNY"] == host


# --- seeds that never duplicate ----------------------------------------------------------------


def counts() -> dict[str, int]:
    from crm import DOMAINS  # noqa: F401 - every model is registered by the app

    return {
        table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
        for table in db.metadata.sorted_tables
        if table.name not in ("audit_entries", "login_attempts")
    }


def test_seeding_again_after_staff_edited_every_seeded_record_adds_nothing(app, demo):
    from crm.core.models import SeedKey, model_classes

    before = counts()
    for key in db.session.scalars(sa.select(SeedKey)):
        model = next(m for t, m in model_classes().items() if t.name == key.entity)
        record = db.session.get(model, key.entity_id)
        for name in ("name", "title", "purpose_detail", "code", "label", "email", "acronym", "description"):
            column = model.__table__.c.get(name)
            if column is not None and isinstance(column.type, sa.String) and getattr(record, name, None):
                if name == "email":
                    setattr(record, name, "edited." + record.email)
                else:
                    setattr(record, name, (getattr(record, name) + " (edited)")[: column.type.length or 1000])
    db.session.commit()
    run_seeds()
    db.session.commit()
    assert counts() == before


# --- one display layer: no page shows a raw Decimal ------------------------------------------------

RAW_NUMBER = re.compile(r"\b\d+(?:\.\d+)?[eE][+-]?\d+\b|\d\.\d{11,}")
HREF = re.compile(r'href="(/[^"#]*)"')


def crawl(client, start: list[str], limit: int = 400) -> dict[str, str]:
    """Every page reachable by GET links from ``start`` (the site's own, no downloads), up to ``limit``."""
    seen, queue, pages = set(), list(start), {}
    while queue and len(pages) < limit:
        url = queue.pop(0)
        path = urlsplit(url).path
        if (
            url in seen
            or path.startswith(("/static", "/logout"))
            or re.search(r"\.(pdf|docx|html|csv|xlsx)$|/cv$|/download|/documents/\d+$", path)
        ):
            continue
        seen.add(url)
        response = client.get(url)
        assert response.status_code < 500, url
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        pages[url] = response.get_data(as_text=True)
        queue += [html.unescape(link) for link in HREF.findall(pages[url]) if html.unescape(link) not in seen]
    return pages


@pytest.mark.parametrize(
    "who", ["staff.nies@demo.tscc.example", "coordinator@demo.tscc.example", "admin@demo.tscc.example"]
)
def test_no_page_of_the_demo_shows_a_raw_decimal(client, login, demo, who):
    entry = db.session.scalar(sa.select(LedgerEntry).where(LedgerEntry.amount == 500000))
    make_tranche = {"received_on": date(2026, 5, 4), "amount": "31.17", "currency": "USD"}
    services.record_tranche(entry, make_tranche)
    db.session.commit()
    login(db.session.scalar(sa.select(User).where(User.email == who)))
    pages = crawl(client, ["/", "/dashboards/centre", "/dashboards/network", "/resources", "/rates/"])
    assert len(pages) > 40
    if who.startswith("staff"):
        assert "Exchange difference" in pages[f"/resources/{entry.id}"]
    for url, shown in pages.items():
        text = text_of(re.sub(r"<(script|style)[^>]*>.*?</\1>", "", shown, flags=re.S))
        assert not RAW_NUMBER.search(text), (url, RAW_NUMBER.search(text).group(0))


def test_the_dashboard_and_the_work_list_flag_the_same_stalled_agreements(client, make, login):
    from datetime import timedelta

    from crm.agreements.queries import STALLED_AFTER_DAYS

    centre = make.centre()
    today = date.today()
    recent = make.agreement(
        centre, title="Moved lately", since=(today - timedelta(days=STALLED_AFTER_DAYS - 10)).isoformat()
    )
    stalled = make.agreement(
        centre, title="Waiting long", since=(today - timedelta(days=STALLED_AFTER_DAYS + 10)).isoformat()
    )
    login(make.user(Role.STAFF, [centre]))
    dashboard = page(client, f"/dashboards/centre?centre={centre.code}").split("Data quality")[1]
    work = page(client, "/agreements/work").split("Drafts with no step")[1].split("</section>")[0]
    for shown in (dashboard, work):
        assert stalled.title in shown and recent.title not in shown
    assert f"no step for more than {STALLED_AFTER_DAYS} days" in dashboard


def test_voiding_an_entry_a_submitted_section_counted_leaves_the_section_as_submitted(client, make, login, demo):
    from crm.reports.services import start_section, submit

    nies = demo["TSCC-NIES"]
    staff = db.session.scalar(sa.select(User).where(User.email == "staff.nies@demo.tscc.example"))
    section = start_section(nies, nies.periods[0])
    submit(section, staff)
    db.session.commit()
    snapshot = dict(section.snapshot)
    entry = db.session.scalar(sa.select(LedgerEntry).where(LedgerEntry.amount == 400000))
    login(staff)
    shown = page(client, f"/resources/{entry.id}")
    assert "The submitted 2025-2026 section (revision 1" in shown
    response = client.post(f"/resources/{entry.id}/void", data={"reason": "booked twice"}, follow_redirects=True)
    assert "stays as submitted: start a new revision" in response.get_data(as_text=True)
    db.session.refresh(section)
    assert section.snapshot == snapshot and "RMB 400,000" in str(snapshot)


def test_a_section_leaves_out_partners_experts_and_steps_dated_after_its_period(make):
    """The issue's case: records of December 2026 counted in the 2025-2026 section. Each kind counts in the
    section's read models when dated inside the period (so the test can fail), and not when dated after it."""
    from crm.agreements.services import add_step
    from crm.experts.queries import roster_counts
    from crm.reports import queries as report_queries

    def counted(when: PartialDate) -> tuple:
        centre = make.centre(reporting_currency="USD")
        period = make.period(centre, label="2025-2026", starts_on=date(2025, 1, 1), ends_on=date(2026, 4, 30))
        organisation = make.organisation(name="Late Partner Institute")
        make.partnership(centre, organisation, engaged=when)
        make.expert(centre, name="Late Expert", listed=when)
        agreement = make.agreement(centre, [organisation], since="2025-02")
        add_step(agreement, "signed", when, "signed", None)
        db.session.commit()
        span = Span.of(period)
        (row,) = report_queries.agreements(centre.id, span)
        partners = [p.organisation.name for p in report_queries.partners(centre.id, span)]
        return partners, roster_counts(centre.id, span).total, row.status.value, drafting.draft(centre, period)

    partners, experts, status, draft = counted(PartialDate(date(2026, 3, 1)))
    assert (partners, experts, status) == (["Late Partner Institute"], 1, "signed")
    assert "was signed on 1 March 2026" in draft.rows["partnerships"].details
    partners, experts, status, draft = counted(PartialDate(date(2026, 12, 1)))
    assert (partners, experts, status) == ([], 0, "drafting")
    assert "signed" not in draft.rows["partnerships"].details


def test_no_template_formats_a_value_itself():
    """Formatting lives in the display layer (crm.core.templating's filters); a template only shows."""
    from pathlib import Path

    formatting = re.compile(r"\.format\(|strftime|\|\s*round\b|\|\s*format\b|%[-0-9.]*[dfs]\"\s*%")
    found = [
        f"{path}:{number}: {line.strip()}"
        for path in sorted(Path("templates").rglob("*.html"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if formatting.search(line)
    ]
    assert not found, "format through a filter instead:\n" + "\n".join(found)
