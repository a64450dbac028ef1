"""My work, the calendar feed and the mail settings: what is due, from the domains that own the dates."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from icalendar import Calendar

from crm.auth.models import Role, User
from crm.core.partial_dates import PartialDate
from crm.extensions import db
from crm.proposals.services import add_deadline, save_mechanism
from crm.work.models import CalendarFeed, MailPreference
from crm.work.queries import due_items
from tests.statements import statements_of_page

TODAY = date.today()


def days(n: int) -> date:
    return TODAY + timedelta(days=n)


@pytest.fixture
def centres(make):
    return make.centre(code="TSCC-OWN", name="Own centre"), make.centre(code="TSCC-OTHER", name="Other centre")


@pytest.fixture
def staff(make, centres):
    return make.user(Role.STAFF, [centres[0]], name="Staff Member")


def section(page: str, key: str) -> str:
    """The HTML of one bucket of the My work page."""
    start = page.index(f'id="{key}"')
    end = page.find('<section class="card due-bucket"', start)
    return page[start : end if end > 0 else None]


def test_my_work_puts_what_is_due_in_its_bucket_own_items_first_each_linking_to_its_record(
    client, login, make, centres, staff
):
    own, other = centres
    colleague = make.user(Role.STAFF, [own], name="Colleague")
    late = make.proposal(own, title="Late proposal", deadline_on=days(-3), owner_id=staff.id)
    soon = make.proposal(own, title="Colleague proposal", deadline_on=days(2), owner_id=colleague.id)
    mine_soon = make.proposal(own, title="My proposal", deadline_on=days(5), owner_id=staff.id)
    step = make.partnership(own, next_step="Send the draft MoU", next_step_on=days(20), owner_id=staff.id)
    expiring = make.agreement(own, title="MoU expiring in two months", status="in_force")
    expiring.expiry = PartialDate(days(60))
    make.proposal(other, title="Other centre proposal", deadline_on=days(1))
    make.proposal(own, title="Far proposal", deadline_on=days(45))
    make.proposal(own, title="Submitted proposal", deadline_on=days(1), status="submitted")
    db.session.commit()

    page = login(staff).get("/my-work").get_data(as_text=True)
    assert "Other centre proposal" not in page and "Far proposal" not in page and "Submitted proposal" not in page
    overdue, week = section(page, "overdue"), section(page, "week")
    assert "Late proposal" in overdue and "3 days late" in overdue
    # This week: the user's own first, then the centre's.
    assert week.index("Yours") < week.index("My proposal") < week.index("TSCC-OWN") < week.index("Colleague proposal")
    assert "Send the draft MoU" in section(page, "month")
    assert "MoU expiring in two months" in section(page, "later")
    for endpoint in (f"/proposals/{late.id}", f"/proposals/{soon.id}", f"/proposals/{mine_soon.id}"):
        assert f'href="{endpoint}"' in page
    assert f'href="/partnerships/{step.id}"' in page and f'href="/agreements/{expiring.id}"' in page


def test_coordinators_see_the_network_by_centre_and_the_funders_calls(client, login, make, centres):
    own, other = centres
    make.proposal(own, title="Own centre proposal", deadline_on=days(3))
    make.proposal(other, title="Other centre proposal", deadline_on=days(4))
    mechanism = save_mechanism(None, {"funder_id": make.organisation(acronym="GBFF").id, "name": "GBFF window"})
    add_deadline(mechanism, {"label": "Concept notes", "due_on": days(6)})
    db.session.commit()
    page = login(make.user(Role.COORDINATOR)).get("/my-work").get_data(as_text=True)
    week = section(page, "week")
    assert week.index("TSCC-OTHER") < week.index("Other centre proposal") < week.index("TSCC-OWN")
    assert week.index("Funders&#39; calls") < week.index("GBFF window — GBFF: Concept notes")


def test_a_stalled_draft_is_overdue_by_the_agreements_own_rule(client, login, make, centres, staff):
    from crm.agreements.queries import STALLED_AFTER_DAYS

    make.agreement(centres[0], title="Draft nobody moved", since=(TODAY - timedelta(days=200)).isoformat())
    make.agreement(centres[0], title="Draft moved lately", since=days(-10).isoformat())
    page = login(staff).get("/my-work").get_data(as_text=True)
    overdue = section(page, "overdue")
    assert "Draft nobody moved" in overdue and f"no step for {STALLED_AFTER_DAYS} days" in overdue
    assert "Draft moved lately" not in page


def test_my_work_runs_the_same_statements_whatever_the_number_of_records(app, client, login, make, centres, staff):
    own = centres[0]

    def add(n):
        for i in range(n):
            make.proposal(own, title=f"P{i}", deadline_on=days(i % 40 - 5), owner_id=staff.id)
            make.partnership(own, next_step="call", next_step_on=days(i % 30))
            agreement = make.agreement(own, title=f"A{i}", status="in_force")
            agreement.next_review = PartialDate(days(i % 80))
        db.session.commit()

    feed = subscribe(client, login, staff)
    add(2)
    few = statements_of_page(app, client, "/my-work"), statements_of_page(app, client, feed)
    add(12)
    assert (statements_of_page(app, client, "/my-work"), statements_of_page(app, client, feed)) == few


# --- the calendar feed -----------------------------------------------------------------------------


def subscribe(client, login, user) -> str:
    """Make a feed address on the settings page, as a user would, and return its path."""
    page = login(user).post("/my-work/feed").get_data(as_text=True)
    start = page.index("http://127.0.0.1:5000/feed/") + len("http://127.0.0.1:5000")
    return page[start : page.index('"', start)]


def events(client, path: str) -> dict[str, object]:
    response = client.get(path)
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert b"\r\nX-PUBLISHED-TTL:PT6H\r\n" in response.data and b"REFRESH-INTERVAL;VALUE=DURATION:PT6H" in response.data
    calendar = Calendar.from_ical(response.data)
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def test_the_nies_staff_feed_shows_the_gbff_call_and_a_moved_deadline_moves_its_event(app, client, login, seeded):
    from crm.proposals.models import FundingMechanism

    nies_staff = db.session.scalar(sa.select(User).where(User.email == "staff.nies@demo.tscc.example"))
    gbff = db.session.scalar(
        sa.select(FundingMechanism).where(FundingMechanism.name == "Global Biodiversity Framework Fund")
    )
    deadline = add_deadline(gbff, {"label": "Project concepts", "due_on": days(40)})
    db.session.commit()
    path = subscribe(client, login, nies_staff)
    anonymous = app.test_client()

    uid = f"call-deadline-{deadline.id}@127.0.0.1"
    event = events(anonymous, path)[uid]
    assert "GBFF" in str(event["SUMMARY"]) and event["DTSTART"].dt == days(40)
    assert event["DTSTART"].params["VALUE"] == "DATE" and event["DTEND"].dt == days(41)
    first_sequence = int(event["SEQUENCE"])

    # Staff move the deadline on its page: the same event, on the new date, with a higher sequence.
    form = {"label": "Project concepts", "due_on": days(47).isoformat(), "version": deadline.version}
    assert client.post(f"/funders/deadlines/{deadline.id}/edit", data=form).status_code == 302
    moved = events(anonymous, path)
    assert [u for u in moved if u.startswith("call-deadline-")] == [uid]
    assert moved[uid]["DTSTART"].dt == days(47) and int(moved[uid]["SEQUENCE"]) > first_sequence
    assert moved[uid]["LAST-MODIFIED"].dt >= event["LAST-MODIFIED"].dt


def test_a_yearly_call_repeats_every_year_and_the_feed_keeps_to_the_users_centres(
    app, client, login, make, centres, staff
):
    own, other = centres
    mechanism = save_mechanism(None, {"funder_id": make.organisation().id, "name": "Yearly fund"})
    yearly = add_deadline(mechanism, {"label": "Annual round", "due_on": date(2024, 2, 29), "is_yearly": True})
    mine = make.proposal(own, title="Ours", deadline_on=days(10))
    theirs = make.proposal(other, title="Theirs", deadline_on=days(10))
    partnership = make.partnership(own, next_step="Visit", next_step_on=days(400))
    agreement = make.agreement(own, title="Reviewed in May", status="in_force")
    agreement.next_review = PartialDate(date(TODAY.year + 2, 5, 1), "month")
    db.session.commit()
    found = events(app.test_client(), subscribe(client, login, staff))

    annual = found[f"call-deadline-{yearly.id}@127.0.0.1"]
    assert annual["DTSTART"].dt == date(2024, 2, 29)
    assert annual["RRULE"]["FREQ"] == ["YEARLY"] and annual["RRULE"]["BYMONTHDAY"] == [-1]
    assert f"proposal-deadline-{mine.id}@127.0.0.1" in found
    assert f"proposal-deadline-{theirs.id}@127.0.0.1" not in found
    # Every date ahead, however far: a next step in 400 days, a review known to the month.
    assert found[f"partnership-next-step-{partnership.id}@127.0.0.1"]["DTSTART"].dt == days(400)
    review = found[f"agreement-review-{agreement.id}@127.0.0.1"]
    assert review["DTSTART"].dt == date(TODAY.year + 2, 5, 1) and f"May {TODAY.year + 2}" in str(review["DESCRIPTION"])
    assert str(found[f"proposal-deadline-{mine.id}@127.0.0.1"]["URL"]) == f"http://127.0.0.1:5000/proposals/{mine.id}"


def test_a_wrong_revoked_or_replaced_token_is_a_plain_404(app, client, login, make, staff):
    anonymous = app.test_client()
    first = subscribe(client, login, staff)
    token = first.removeprefix("/feed/").removesuffix(".ics")
    # Only the hash is kept.
    stored = db.session.get(CalendarFeed, staff.id).token_hash
    assert token not in stored and len(stored) == 64
    assert anonymous.get(first).status_code == 200

    second = subscribe(client, login, staff)
    assert anonymous.get(first).status_code == 404 and anonymous.get(second).status_code == 200
    wrong = anonymous.get("/feed/" + "x" * 43 + ".ics")
    assert wrong.status_code == 404 and anonymous.get(second[:-6] + "yy.ics").get_data() == wrong.get_data()

    assert client.post("/my-work/feed/revoke").status_code == 302
    assert anonymous.get(second).status_code == 404
    assert db.session.get(CalendarFeed, staff.id) is None


def test_a_date_at_the_end_of_the_calendar_still_makes_a_feed(app, client, login, make, centres, staff):
    far = make.proposal(centres[0], title="Far", deadline_on=date.max)
    found = events(app.test_client(), subscribe(client, login, staff))
    assert found[f"proposal-deadline-{far.id}@127.0.0.1"]["DTSTART"].dt == date.max
    assert login(staff).get("/my-work").status_code == 200


def test_a_disabled_users_feed_answers_404(app, client, login, staff):
    path = subscribe(client, login, staff)
    staff.active = False
    db.session.commit()
    assert app.test_client().get(path).status_code == 404


# --- mail settings ---------------------------------------------------------------------------------


def test_mail_settings_are_saved_and_bad_input_is_refused_beside_the_field(client, login, staff):
    login(staff)
    # The feed buttons post to the settings page too: the mail choices still show as saved.
    for page in (client.get("/my-work/settings"), client.post("/my-work/feed")):
        page = page.get_data(as_text=True)
        assert 'checked id="reminder_days-2"' in page and 'checked id="weekly_digest"' in page
    page = client.get("/my-work/settings").get_data(as_text=True)
    assert 'checked id="reminder_days-2"' in page and 'checked id="reminder_days-4"' in page
    assert 'checked id="reminder_days-0"' not in page and 'checked id="weekly_digest"' in page
    assert client.post("/my-work/settings", data={"reminder_days": ["14", "0"]}).status_code == 302
    saved = db.session.get(MailPreference, staff.id)
    assert saved.weekly_digest is False and saved.reminder_days == [14, 0]

    refused = client.post("/my-work/settings", data={"weekly_digest": "y", "reminder_days": ["5", "abc"]})
    assert refused.status_code == 422 and "are not valid choices" in refused.get_data(as_text=True)
    assert db.session.get(MailPreference, staff.id).reminder_days == [14, 0]


def test_the_dashboard_and_my_work_agree_on_proposals_due(make, centres):
    """One rule: the dashboard's deadlines list comes from the proposals domain, as My work's items do."""
    from crm.dashboards.queries import Scope
    from crm.dashboards.summary import build
    from crm.money.totals import RatePlan

    own = centres[0]
    make.proposal(own, title="Soon", deadline_on=days(5))
    make.proposal(own, title="Missed", deadline_on=days(-5))
    make.proposal(own, title="Idea missed", deadline_on=days(-5), status="idea")
    built = build(Scope(frozenset({own.id}), None, None, TODAY), RatePlan("month", "USD", TODAY))
    dashboard = {p.title for p in built.deadlines[0]} | {p.title for p in built.flags.overdue[0]}
    work = {item.title for item in due_items({own.id}, TODAY) if item.kind == "Proposal deadline"}
    assert dashboard == work == {"Soon", "Missed"}


def test_money_expected_is_due_until_its_tranche_is_recorded(app, client, login, make, centres, staff):
    from crm.funding.services import record_tranche

    own = centres[0]
    entry = make.ledger_entry(own, purpose_detail="Second instalment of the host grant", booked_on=days(-30))
    login(staff)
    edit = client.get(f"/resources/{entry.id}/edit").get_data(as_text=True)
    assert 'name="expected_on"' in edit
    form = {
        "category": "host_institution",
        "purpose": "core_operations",
        "stage": "committed",
        "booked_on": days(-30).isoformat(),
        "expected_on": days(-31).isoformat(),
        "version": entry.version,
    }
    refused = client.post(f"/resources/{entry.id}/edit", data=form)
    assert refused.status_code == 422 and "cannot be expected before" in refused.get_data(as_text=True)
    assert (
        client.post(f"/resources/{entry.id}/edit", data=form | {"expected_on": days(9).isoformat()}).status_code == 302
    )

    page = client.get("/my-work").get_data(as_text=True)
    assert "Second instalment of the host grant" in section(page, "month") and f'href="/resources/{entry.id}"' in page
    found = events(app.test_client(), subscribe(client, login, staff))
    assert found[f"tranche-expected-{entry.id}@127.0.0.1"]["DTSTART"].dt == days(9)

    record_tranche(entry, {"received_on": days(-1), "amount": "400", "currency": "CNY"})
    db.session.commit()
    assert entry.expected_on is None
    assert "Second instalment of the host grant" not in login(staff).get("/my-work").get_data(as_text=True)
