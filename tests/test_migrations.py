"""``flask db upgrade`` on an empty database yields exactly the models, on the engine under test."""

import warnings
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_babel import force_locale
from flask_migrate import downgrade, upgrade

from crm import create_app
from crm.extensions import db
from crm.funding import rollup
from crm.funding.models import LedgerEntry, Tranche
from crm.money.models import ExchangeRate
from crm.search.index import shown_detail
from crm.search.models import FULL_TEXT_OBJECTS
from tests.conftest import TMP, ensure_database


def scratch_url(app) -> str:
    url = sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite":
        return f"sqlite:///{TMP / 'migrations.sqlite3'}"
    return url.set(database=f"{url.database}_migrations").render_as_string(hide_password=False)


def reset(url: str) -> None:
    """An empty scratch database: a new SQLite file, or PostgreSQL's schema dropped and made again."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        Path(parsed.database).unlink(missing_ok=True)
        return
    ensure_database(url)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    engine.dispose()


@contextmanager
def scratch_database(app):
    """Inside: an app on an empty scratch database of the engine under test, to migrate step by step."""
    url = scratch_url(app)
    reset(url)
    with create_app({"SQLALCHEMY_DATABASE_URI": url}).app_context():
        try:
            yield
        finally:
            db.engine.dispose()


def test_upgrade_yields_exactly_the_models(app):
    with scratch_database(app):
        upgrade()
        with db.engine.connect() as conn, warnings.catch_warnings():
            # Neither SQLite's reflection nor autogenerate compares expression indexes: checked by name below.
            warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index")
            warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified expression-based index")
            opts = {"compare_type": True, "include_name": outside_the_models}
            context = MigrationContext.configure(conn, opts=opts)
            diff = compare_metadata(context, db.metadata)
            expression_indexes = set(index_names(conn)) & EXPRESSION_INDEXES
    assert diff == [], f"Models and migrations differ: {diff}"
    assert expression_indexes == EXPRESSION_INDEXES


EXPRESSION_INDEXES = {"ix_experts_lower_name"}


def outside_the_models(name, type_, parent_names) -> bool:
    """The search's full-text objects are the engine's own (crm.search.models), made beside the models."""
    return name not in FULL_TEXT_OBJECTS


def index_names(conn) -> list[str]:
    if conn.dialect.name == "sqlite":
        return list(conn.scalars(sa.text("SELECT name FROM sqlite_master WHERE type = 'index'")))
    return list(conn.scalars(sa.text("SELECT indexname FROM pg_indexes")))


def rollup_rows() -> dict[str, list[tuple]]:
    tables = {}
    for model, _ in rollup.GRAINS:
        columns = [c for c in model.__table__.c if c.name != "id"]
        tables[model.__tablename__] = sorted(db.session.execute(sa.select(*columns)).all(), key=repr)
    return tables


def insert(conn, table: str, **values) -> int:
    """A row of the schema as it stands (reflected), with a plain value for every required column not given;
    ``amount`` as Decimals, stored as each engine stores them (a scaled integer on SQLite)."""
    reflected = sa.Table(table, sa.MetaData(), autoload_with=conn)
    if "amount" in values and conn.dialect.name == "sqlite":
        values["amount"] = int(Decimal(values["amount"]).scaleb(4))
    now = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
    plain = {sa.DateTime: now, sa.Date: date(2025, 1, 1), sa.Integer: 1, sa.Boolean: False}
    row = {}
    for column in reflected.c:
        if column.name in values or column.nullable or column.primary_key:
            continue
        kind = next((value for type_, value in plain.items() if isinstance(column.type, type_)), "")
        row[column.name] = kind
    row |= values
    return conn.execute(sa.insert(reflected).values(**row).returning(reflected.c.id)).scalar_one()


def test_corrections_survive_the_upgrade_to_voids_and_withdrawals(app):
    """df5439a0a782 with data in the ledger: an undated entry takes the day it was recorded; a reversal becomes a
    withdrawal converted at its entry's rate date; a reversed tranche and its reversal become one voided tranche;
    money booked as received gets its tranche; the rollups equal a rebuild; the partnerships and experts of
    8b2f0c1d9e7a take the day they were recorded. The downgrade refuses what the old ledger cannot hold."""
    with scratch_database(app):
        upgrade(revision="3c1d2e4f5a6b")
        with db.engine.begin() as conn:
            centre = insert(conn, "centres", code="TSCC-X", name="X", short_name="X", reporting_currency="CNY")
            entry = dict(centre_id=centre, category="host_institution", kind="financial", purpose="core_operations")
            booked = insert(
                conn,
                "ledger_entries",
                **entry,
                stage="committed",
                amount=Decimal(5000),
                currency="CNY",
                booked_on=date(2025, 3, 9),
            )
            undated = insert(
                conn,
                "ledger_entries",
                **entry,
                stage="committed",
                amount=Decimal(7),
                currency="USD",
                booked_on=None,
                created_at=datetime(2026, 12, 1, 8, 0, tzinfo=UTC),
            )
            received = insert(
                conn,
                "ledger_entries",
                **entry,
                stage="received",
                amount=Decimal(3),
                currency="EUR",
                booked_on=date(2025, 5, 2),
            )
            insert(
                conn,
                "ledger_entries",
                **entry,
                stage="committed",
                amount=Decimal(-5000),
                currency="CNY",
                booked_on=date(2025, 9, 30),
                reverses_id=booked,
                notes="withdrawn by the donor",
            )
            first = insert(
                conn,
                "tranches",
                centre_id=centre,
                entry_id=undated,
                received_on=date(2026, 12, 2),
                amount=Decimal(1),
                currency="USD",
            )
            insert(
                conn,
                "tranches",
                centre_id=centre,
                entry_id=undated,
                received_on=date(2026, 12, 2),
                amount=Decimal(-1),
                currency="USD",
                reverses_id=first,
                note="typed twice",
            )
        upgrade()
        with on_engine(db.engine):
            check_the_corrections(booked, undated, received)


@contextmanager
def on_engine(engine):
    """``db.session`` on ``engine`` (the scratch database), not on the test's own connection, for a while."""
    original, db.session = db.session, sa.orm.scoped_session(sa.orm.sessionmaker(bind=engine))
    try:
        yield
    finally:
        db.session.remove()
        db.session = original


def check_the_corrections(booked: int, undated: int, received: int) -> None:
    entries = {e.id: e for e in db.session.scalars(sa.select(LedgerEntry))}
    assert entries[undated].booked_on == date(2026, 12, 1)
    withdrawal = next(e for e in entries.values() if e.withdraws_id == booked)
    assert withdrawal.booked_on == date(2025, 9, 30) and withdrawal.rate_on == date(2025, 3, 9)
    tranches = db.session.scalars(sa.select(Tranche).order_by(Tranche.id)).all()
    assert [(t.entry_id, t.amount, t.is_voided, t.void_reason) for t in tranches] == [
        (undated, Decimal("1"), True, "typed twice"),
        (received, Decimal("3"), False, ""),
    ]
    filled = rollup_rows()
    rollup.rebuild()
    assert filled == rollup_rows()
    received_money = {r.currency: r.amount for r in filled["ledger_rollups"] if r.measure == "received"}
    assert received_money == {"EUR": Decimal("3")}
    db.session.rollback()


def test_the_downgrade_keeps_withdrawals_and_refuses_voids(app):
    """Down and up again, a withdrawal stays a withdrawal; a voided record has no form in the earlier ledger, so the
    downgrade refuses, with the reason, and changes nothing."""
    with scratch_database(app):
        upgrade()
        entry = dict(category="other", kind="financial", purpose="other", stage="committed", currency="CNY")
        with db.engine.begin() as conn:
            centre = insert(conn, "centres", code="TSCC-X", name="X", short_name="X", reporting_currency="CNY")
            first = insert(
                conn,
                "ledger_entries",
                centre_id=centre,
                **entry,
                amount=Decimal(1),
                booked_on=date(2025, 1, 1),
                rate_on=date(2025, 1, 1),
            )
            insert(
                conn,
                "ledger_entries",
                centre_id=centre,
                **entry,
                amount=Decimal(-1),
                booked_on=date(2025, 6, 1),
                rate_on=date(2025, 1, 1),
                withdraws_id=first,
            )
        downgrade(revision="3c1d2e4f5a6b")
        upgrade()
        with on_engine(db.engine):
            withdrawal = db.session.scalar(sa.select(LedgerEntry).where(LedgerEntry.withdraws_id == first))
            assert withdrawal.rate_on == date(2025, 1, 1) and withdrawal.booked_on == date(2025, 6, 1)
        with db.engine.begin() as conn:
            conn.execute(sa.text("UPDATE ledger_entries SET voided_at = :at"), {"at": datetime(2026, 1, 1, tzinfo=UTC)})
        with pytest.raises(SystemExit) as refused:
            downgrade(revision="3c1d2e4f5a6b")
        assert "Cannot downgrade: 2 voided records" in str(refused.value.__context__)


def test_the_report_records_upgrade_keeps_existing_data(app):
    """143cd6d6159d with data: every partnership stays a partner except the CBD Secretariat's, now each centre's
    convention body; the app's types get their plural headings; pools stay established; agreements follow their
    kind; sections and rows keep their words, none hidden, no links yet. Down and up again keeps them."""
    with scratch_database(app):
        upgrade(revision="d886449e3a27")
        with db.engine.begin() as conn:
            centre = insert(conn, "centres", code="TSCC-X", name="X", short_name="X", reporting_currency="CNY")
            kind = insert(conn, "organisation_types", code="un_international", name="UN or international body")
            other_kind = insert(conn, "organisation_types", code="think", name="Think tank", position=5)
            cbd = insert(
                conn, "organisations", name="Secretariat of the Convention on Biological Diversity", type_id=kind
            )
            recca = insert(conn, "organisations", name="RECCA", type_id=other_kind)
            engaged = dict(centre_id=centre, stage="active", engaged_on=date(2025, 2, 1), engaged_precision="day")
            insert(conn, "partnerships", organisation_id=cbd, **engaged)
            insert(conn, "partnerships", organisation_id=recca, **engaged)
            insert(conn, "expert_pools", centre_id=centre, name="database")
            insert(conn, "agreements", centre_id=centre, kind="host_agreement", title="Host", status="signed")
            period = insert(
                conn,
                "reporting_periods",
                centre_id=centre,
                label="2025-2026",
                starts_on=date(2025, 1, 1),
                ends_on=date(2026, 4, 30),
            )
            section = insert(conn, "report_sections", centre_id=centre, period_id=period, outcome="Our outcome.")
            insert(
                conn,
                "report_outputs",
                centre_id=centre,
                section_id=section,
                title="Partnerships developed",
                key="partnerships",
                details="Our words.",
                status="in_progress",
            )
        upgrade()
        downgrade(revision="d886449e3a27")
        upgrade()
        with db.engine.connect() as conn:
            roles = dict(conn.execute(sa.text("SELECT organisation_id, role FROM partnerships")).all())
            assert roles == {cbd: "convention_body", recca: "partner"}
            headings = dict(conn.execute(sa.text("SELECT code, plural_name FROM organisation_types")).all())
            assert headings == {"un_international": "UN and international bodies", "think": ""}
            assert conn.scalar(sa.text("SELECT status FROM expert_pools")) == "established"
            assert conn.scalar(sa.text("SELECT report_area FROM agreements")) is None
            row = conn.execute(sa.text("SELECT details, is_hidden, links FROM report_outputs")).one()
            assert row.details == "Our words." and not row.is_hidden and row.links in ({}, "{}")
            assert conn.scalar(sa.text("SELECT outcome FROM report_sections")) == "Our outcome."


def test_rates_keep_their_values_as_network_rates_and_a_scoped_rate_stops_the_downgrade(app):
    """44c5db34501c with data: every stored rate converts the network as before, a manual one for the 31 days it
    did; down again is refused while a rate is scoped to one entry, since the earlier schema would apply it to all."""
    with scratch_database(app):
        upgrade(revision="8b2f0c1d9e7a")
        rate = dict(base="USD", quote="KZT", effective_on=date(2025, 10, 1), imported_at=datetime(2025, 10, 2))
        with db.engine.begin() as conn:
            # As each engine stores a rate (a scaled integer on SQLite, see crm.core.types.ExactDecimal).
            stored = (lambda r: int(Decimal(r).scaleb(10))) if conn.dialect.name == "sqlite" else Decimal
            insert(conn, "exchange_rates", **rate, rate=stored("505.2"), source="un")
            insert(conn, "exchange_rates", **rate, rate=stored("400"), source="manual", reason="grant letter")
        upgrade(revision="44c5db34501c")
        with on_engine(db.engine):
            rows = db.session.scalars(sa.select(ExchangeRate).order_by(ExchangeRate.source)).all()
            assert [(r.source, r.rate, r.scope, r.valid_until) for r in rows] == [
                ("manual", Decimal("400"), "network", date(2025, 11, 1)),
                ("un", Decimal("505.2"), "network", None),
            ]
        with db.engine.begin() as conn:
            conn.execute(sa.text("UPDATE exchange_rates SET scope = 'entry:1' WHERE source = 'manual'"))
        with pytest.raises(SystemExit) as refused:
            downgrade(revision="8b2f0c1d9e7a")
        assert "Cannot downgrade: 1 manual rates entered for one ledger entry" in str(refused.value.__context__)
        with db.engine.connect() as conn:
            assert conn.scalar(sa.text("SELECT count(*) FROM exchange_rates")) == 2


def test_the_search_index_is_filled_from_the_records_and_a_merge_stops_the_downgrade(app):
    """019c94fa8921 with data: the index holds every organisation and partnership, found by their folded names in
    any script through the engine's index; down and up again rebuilds it; a merged organisation stops the downgrade."""
    with scratch_database(app):
        upgrade(revision="fc637f950775")
        with db.engine.begin() as conn:
            centre = insert(conn, "centres", code="TSCC-X", name="X", short_name="X", reporting_currency="CNY")
            kind = insert(conn, "organisation_types", code="research", name="Research institute or university")
            thu = insert(conn, "organisations", name="Tsinghua University", other_names=["清华大学"], type_id=kind)
            engaged = dict(centre_id=centre, stage="active", engaged_on=date(2025, 2, 1), engaged_precision="day")
            insert(conn, "partnerships", organisation_id=thu, **engaged)
        upgrade()
        downgrade(revision="fc637f950775")
        upgrade()

        def found(word: str) -> list[tuple]:
            with db.engine.connect() as conn:
                if conn.dialect.name == "sqlite":  # through the FTS5 table the search reads
                    sql = "SELECT e.register, e.title FROM search_terms t JOIN search_entries e ON e.id = t.rowid "
                    sql += "WHERE t.terms LIKE :pattern ORDER BY e.register"
                else:
                    sql = "SELECT register, title FROM search_entries WHERE terms LIKE :pattern ORDER BY register"
                return conn.execute(sa.text(sql), {"pattern": f"%{word}%"}).all()

        assert (
            found("tsinghua")
            == found("清华大学")
            == [
                ("organisations", "Tsinghua University"),
                ("partnerships", "Tsinghua University"),
            ]
        )
        with db.engine.begin() as conn:
            other = insert(conn, "organisations", name="THU", type_id=kind, match_keys="")
            conn.execute(
                sa.text("UPDATE organisations SET merged_into_id = :thu WHERE id = :other"), dict(thu=thu, other=other)
            )
        with pytest.raises(SystemExit) as refused:
            downgrade(revision="fc637f950775")
        assert "merged into others" in str(refused.value.__context__)
        with db.engine.connect() as conn:
            assert conn.scalar(sa.text("SELECT count(*) FROM search_entries")) == 2


def test_existing_users_keep_english_and_their_format_follows_the_language(app):
    """a18e0c1d2b3f with data: an existing user reads English; the old default format "en" becomes "as the
    language", a format chosen otherwise stays; the downgrade writes "en" back."""
    with scratch_database(app):
        upgrade(revision="019c94fa8921")
        account = dict(password_hash="x", role="staff", active=True, password_changed_at=datetime.now(UTC))
        with db.engine.begin() as conn:
            insert(conn, "users", email="a@example.org", name="A", locale="en", session_token="a", **account)
            insert(conn, "users", email="b@example.org", name="B", locale="ru", session_token="b", **account)

        def users(columns: str) -> list[tuple]:
            with db.engine.connect() as conn:
                return conn.execute(sa.text(f"SELECT email, {columns} FROM users ORDER BY email")).all()

        upgrade()
        assert users("language, locale") == [("a@example.org", "en", ""), ("b@example.org", "en", "ru")]
        downgrade(revision="019c94fa8921")
        assert users("locale") == [("a@example.org", "en"), ("b@example.org", "ru")]


def test_the_data_versions_upgrade_keeps_the_records_and_the_next_write_bumps_the_versions(app):
    """5a17d0c4e2b1 with data: the records stay, the two tables start empty (a missing version reads as 0), and
    the first write through the app bumps the versions it touches (a centre is a shared record: every page reads
    its name). Down and up again keeps them."""
    from crm.centres.models import Centre
    from crm.core.versions import NETWORK, SHARED, centre_key, read

    with scratch_database(app):
        upgrade(revision="a18e0c1d2b3f")
        with db.engine.begin() as conn:
            centre = insert(conn, "centres", code="TSCC-X", name="X", short_name="X", reporting_currency="CNY")
        upgrade()
        downgrade(revision="a18e0c1d2b3f")
        upgrade()
        with on_engine(db.engine):
            keys = [NETWORK, SHARED, centre_key(centre)]
            assert read(keys) == dict.fromkeys(keys, 0)
            db.session.get(Centre, centre).name = "Renamed"
            db.session.commit()
            assert read(keys) == {NETWORK: 1, SHARED: 1, centre_key(centre): 0}
            assert db.session.scalar(sa.text("SELECT count(*) FROM cached_pages")) == 0


def test_the_section_languages_upgrade_keeps_an_existing_section_as_the_english_one(app):
    """b7e3f1a9c2d4 with a section: it stays, in English, with its words and rows; a working copy in Russian may
    then share its period and revision number, a second English revision 1 may not. The downgrade drops the
    working copy (never filed) with its rows and keeps the English section."""
    with scratch_database(app):
        upgrade(revision="5a17d0c4e2b1")
        with db.engine.begin() as conn:
            centre = insert(conn, "centres", code="TSCC-X", name="X", short_name="X", reporting_currency="CNY")
            period = insert(
                conn,
                "reporting_periods",
                centre_id=centre,
                label="2025-2026",
                starts_on=date(2025, 1, 1),
                ends_on=date(2026, 4, 30),
            )
            section = insert(
                conn, "report_sections", centre_id=centre, period_id=period, revision=1, outcome="Our outcome."
            )
            insert(conn, "report_outputs", centre_id=centre, section_id=section, title="Row", details="Our words.")
        upgrade()
        with db.engine.begin() as conn:
            kept = conn.execute(sa.text("SELECT id, revision, language, outcome FROM report_sections")).all()
            assert kept == [(section, 1, "en", "Our outcome.")]
            copy = insert(
                conn, "report_sections", centre_id=centre, period_id=period, revision=1, language="ru", outcome="Итог."
            )
            insert(conn, "report_outputs", centre_id=centre, section_id=copy, title="Строка", details="Слова.")
        with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as conn:
            insert(conn, "report_sections", centre_id=centre, period_id=period, revision=1, language="en")
        downgrade(revision="5a17d0c4e2b1")
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT id, outcome FROM report_sections")).all() == [(section, "Our outcome.")]
            assert conn.execute(sa.text("SELECT section_id, details FROM report_outputs")).all() == [
                (section, "Our words.")
            ]
        upgrade()


def test_the_coded_search_details_upgrade_rewords_an_existing_index_in_the_reader_s_language(app):
    """e1a8c3b5d7f2 with data: an index whose details were stored as English words is rewritten from the records,
    language-neutral, so that a reader in Chinese or Russian sees an organisation's type and country in their
    language; the records themselves are untouched."""
    with scratch_database(app):
        upgrade(revision="c4d9e2a7f1b6")
        with db.engine.begin() as conn:
            kind = insert(conn, "organisation_types", code="research", name="Research institute or university")
            thu = insert(conn, "organisations", name="Tsinghua University", country="CN", type_id=kind)
            english = dict(title="Tsinghua University", detail="Research institute or university · China")
            insert(conn, "search_entries", register="organisations", record_id=thu, link_id=thu, **english)
        upgrade(revision="e1a8c3b5d7f2")
        with db.engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT register, title, detail FROM search_entries")).all()
            assert conn.scalar(sa.text("SELECT name FROM organisations")) == "Tsinghua University"
        assert [(register, title) for register, title, _ in rows] == [("organisations", "Tsinghua University")]
        detail = rows[0].detail
        with force_locale("zh_Hans_CN"):
            assert shown_detail(detail) == "研究机构或大学 · 中国"
        with force_locale("ru"):
            assert shown_detail(detail) == "Научный институт или университет · Китай"
        with force_locale("en"):
            assert shown_detail(detail) == "Research institute or university · China"
