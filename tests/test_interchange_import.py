"""Imports checked whole and written all or nothing, through the domains' services: every bad cell by row and column."""

from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from crm.agreements.models import Agreement, AgreementStatus, AgreementStep
from crm.auth.models import Role
from crm.experts.models import Expert, ExpertPool
from crm.extensions import db
from crm.funding.models import LedgerEntry, LedgerRollup, Tranche
from crm.interchange import services
from crm.interchange.services import Options
from crm.money.models import ExchangeRate
from crm.partners.models import Contact, Organisation, Partnership
from crm.proposals.models import Proposal, ProposalStatus
from tests.spreadsheets import csv_bytes, xlsx

EXPERT_HEADERS = ["Name", "E-mail", "Nationality", "Engagement basis", "Day rate", "Day rate currency", "Availability"]


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def experts_file(*rows, headers=EXPERT_HEADERS) -> bytes:
    return xlsx({"Experts": [headers, *rows]})


def problems(outcome) -> set[tuple[str, str]]:
    """(cell, start of the message) of every error."""
    return {(issue.cell, issue.message) for issue in outcome.errors}


def cells(outcome) -> set[str]:
    return {issue.cell for issue in outcome.errors}


def imported(content, nies, staff, **options):
    outcome = services.run(content, nies, staff, Options(**options), apply=True)
    db.session.commit()
    return outcome


# --- bad input: every mistake by row and column, nothing written -------------------------------------------


def test_every_bad_cell_is_reported_by_row_and_column_and_nothing_is_written(nies, staff, make):
    other = make.centre(code="TSCC-CA")
    foreign = make.expert(other, name="Someone else's expert")
    content = experts_file(
        ["Wang Fang", "wang@ioz.ac.cn", "CN", "volunteer", None, None, "available"],  # fine
        ["Li Wei", "li@ioz.ac.cn", "CN", "volunter", None, None, "available"],  # unknown code (D3)
        ["Zhao Min", "zhao@ioz.ac.cn", "CN", "paid", "lots", "CNY", "available"],  # text for a number (E4)
        ["Chen Jie", "chen@ioz.ac.cn", "CN", "paid", "1234,5", "CNY", "available"],  # a decimal comma, English (E5)
        ["Sun Li", "sun@ioz.ac.cn", "CN", "paid", "100.123", "CNY", "available"],  # CNY has 2 decimals (E6)
        ["Ma Lin", "ma@ioz.ac.cn", "Narnia", "volunteer", None, None, "available"],  # unknown country (C7)
        ["Wang Fang", "WANG@ioz.ac.cn", "CN", "volunteer", None, None, "available"],  # the same as row 2 (A8)
        ["Gao Yu", "not an address", "CN", "volunteer", None, None, "available"],  # not an e-mail (B9)
        [None, "nobody@ioz.ac.cn", "CN", "volunteer", None, None, "available"],  # no name (A10)
        ["Hu Bo", "hu@ioz.ac.cn", "CN", "volunteer", 500, "CNY", "available"],  # a rate for a volunteer: the service
    )
    before = count(Expert)
    outcome = services.run(content, nies, staff, Options(), apply=True)
    assert not outcome.applied
    assert cells(outcome) == {"D3", "E4", "E5", "E6", "C7", "A8", "B9", "A10", "E11"}
    messages = dict(problems(outcome))
    assert "volunter" in messages["D3"] and "volunteer, paid, partner" in messages["D3"]
    assert "not a number" in messages["E4"]
    assert "12345" in messages["E5"] and "1234.5" in messages["E5"]  # both readings shown
    assert "at most 2 decimal places" in messages["E6"]
    assert "The same record as row 2" in messages["A8"]
    assert "A day rate applies to paid consultants only" in messages["E11"]  # the experts service's own words
    db.session.rollback()
    assert count(Expert) == before
    # Another centre's record named by its ref is not a record of this centre.
    content = xlsx(
        {
            "Experts": [
                ["Ref", *EXPERT_HEADERS],
                [f"EXP-{foreign.id}", "X", "x@y.org", "CN", "volunteer", None, None, "available"],
            ]
        }
    )
    outcome = services.run(content, nies, staff, Options())
    assert problems(outcome) == {("A2", f"“EXP-{foreign.id}” is not a ref of experts in TSCC-NIES (EXP-123).")}


def test_a_decimal_comma_is_read_in_the_locale_the_file_says(nies, staff):
    content = experts_file(["Chen Jie", "chen@ioz.ac.cn", "CN", "paid", "1 234,5", "CNY", "available"])
    assert cells(services.run(content, nies, staff, Options(locale="en"))) == {"E2"}
    outcome = imported(content, nies, staff, locale="ru")
    assert outcome.applied and db.session.scalar(sa.select(Expert.day_rate)) == Decimal("1234.5")


def test_wrong_and_missing_headers_are_errors_on_the_header_row(nies, staff):
    content = experts_file(
        ["Wang Fang", "wang@ioz.ac.cn", "volunteer", "available", "x"],
        headers=["Name", "Emial", "Engagement basis", "Availabilty", "Name"],
    )
    outcome = services.run(content, nies, staff, Options())
    messages = dict(problems(outcome))
    assert "Did you mean “E-mail”?" in messages["B1"]
    assert "Did you mean “Availability”?" in messages["D1"]
    assert "comes twice" in messages["E1"]
    assert "The required column “Availability” is missing." in messages["row 1"]
    assert count(Expert) == 0


def test_dates_that_cannot_be_read_and_ambiguous_ones(nies, staff):
    headers = [*EXPERT_HEADERS, "Available until"]
    base = ["Wang Fang", "wang@ioz.ac.cn", "CN", "volunteer", None, None, "limited"]
    rows = [
        base + ["03/04/2026"],
        [*base[:1], "b@x.org", *base[2:], "31 Febuary 2026"],
        [*base[:1], "c@x.org", *base[2:], 45123],
        [*base[:1], "d@x.org", *base[2:], "17.03.2026"],
        [*base[:1], "e@x.org", *base[2:], "2026-03"],
    ]
    outcome = services.run(experts_file(*rows, headers=headers), nies, staff, Options())
    messages = dict(problems(outcome))
    assert "could be 3 April 2026 or 4 March 2026" in messages["H2"]
    assert "is not a date" in messages["H3"]
    assert "is a number, not a date" in messages["H4"]
    assert "H5" not in messages  # 17.03.2026 is day first
    assert "names a month" in messages["H6"]


def test_a_formula_is_read_as_its_text_with_a_warning(nies, staff):
    content = experts_file(['=HYPERLINK("http://evil.example")', "x@y.org", "CN", "volunteer", None, None, "available"])
    outcome = imported(content, nies, staff)
    assert outcome.applied and [w.cell for w in outcome.warnings] == ["A2"]
    assert db.session.scalar(sa.select(Expert.name)) == '=HYPERLINK("http://evil.example")'


def test_a_refusal_while_writing_rolls_back_every_row(nies, staff):
    content = experts_file(
        ["Wang Fang", "wang@ioz.ac.cn", "CN", "volunteer", None, None, "available"],
        ["Hu Bo", "hu@ioz.ac.cn", "CN", "volunteer", 500, "CNY", "available"],
    )
    outcome = services.run(content, nies, staff, Options(), apply=True)
    assert not outcome.applied and cells(outcome) == {"E3"}
    assert outcome.sheets[0].created == 1  # row 2 was written inside the savepoint, then rolled back
    db.session.commit()
    assert count(Expert) == 0


# --- keys: twice the same file changes nothing; an edited export changes what was edited ---------------------


def test_the_same_file_twice_changes_nothing(nies, staff):
    content = experts_file(
        ["Wang Fang", "wang@ioz.ac.cn", "CN", "volunteer", None, None, "available"],
        ["Иван Петров", "ivan@example.org", "RU", "paid", "1500", "USD", "limited"],
    )
    first = imported(content, nies, staff)
    assert (first.sheets[0].created, first.sheets[0].updated) == (2, 0)
    versions = db.session.scalars(sa.select(Expert.version).order_by(Expert.id)).all()
    second = imported(content, nies, staff)
    assert (second.sheets[0].created, second.sheets[0].updated, second.sheets[0].unchanged) == (0, 0, 2)
    assert db.session.scalars(sa.select(Expert.version).order_by(Expert.id)).all() == versions


def test_a_row_without_ref_updates_the_record_with_its_natural_key(nies, staff):
    imported(experts_file(["Wang Fang", "wang@ioz.ac.cn", "CN", "volunteer", None, None, "available"]), nies, staff)
    outcome = imported(
        experts_file(["wang fang", "Wang@IOZ.ac.cn", "CN", "volunteer", None, None, "limited"]), nies, staff
    )
    assert (outcome.sheets[0].created, outcome.sheets[0].updated) == (0, 1)
    assert outcome.sheets[0].changes[0].headers == ["Name", "E-mail", "Availability"]
    assert db.session.scalar(sa.select(Expert.availability)) == "limited"


def test_a_workbook_with_a_sheet_per_register_is_written_in_dependency_order(nies, staff, make):
    kind = make.organisation_type(code="research", name="Research institute")
    content = xlsx(
        {
            # Sheets out of order, and named by title in any case: the experts name the pool and organisation first.
            "experts": [
                ["Name", "E-mail", "Engagement basis", "Availability", "Affiliation", "Pools"],
                ["Wang Fang", "wang@ioz.ac.cn", "volunteer", "available", "IOZ", "CAST database; Consultants"],
            ],
            "Pools": [["Name"], ["CAST database"], ["Consultants"]],
            "Organisations": [
                ["Name", "Names in other scripts", "Acronym", "Type", "Country"],
                [
                    "Institute of Zoology, Chinese Academy of Sciences",
                    "中国科学院动物研究所",
                    "IOZ",
                    kind.name,
                    "China",
                ],
            ],
            "Notes": [["This sheet is skipped"]],
        }
    )
    outcome = imported(content, nies, staff)
    assert outcome.applied, outcome.issues
    assert [report.register.name for report in outcome.sheets] == ["organisations", "pools", "experts"]
    expert = db.session.scalar(sa.select(Expert))
    assert expert.affiliation.other_names == ["中国科学院动物研究所"] and expert.affiliation.country == "CN"
    assert sorted(pool.name for pool in expert.pools) == ["CAST database", "Consultants"]
    # The organisation found by any of its names, in any script.
    again = xlsx(
        {
            "Experts": [
                ["Name", "E-mail", "Engagement basis", "Availability", "Affiliation"],
                ["Li Wei", "li@x.org", "paid", "available", "中国科学院动物研究所"],
            ]
        }
    )
    assert imported(again, nies, staff).applied
    assert db.session.scalar(sa.select(Expert).where(Expert.name == "Li Wei")).affiliation_id == expert.affiliation_id


def test_likely_duplicates_of_the_directory_are_confirmed_not_created_silently(nies, staff, make):
    kind = make.organisation_type(code="ngo", name="NGO")
    make.organisation(name="Institute of Zoology", other_names="中国科学院动物研究所", type=kind, country="CN")
    content = xlsx(
        {
            "Organisations": [
                ["Name", "Names in other scripts", "Type", "Country"],
                ["The Institute of Zoology", None, "ngo", None],  # the same folded name, another country
                ["Zoological Institute of China", "中国科学院动物研究所", "ngo", "CN"],  # the same Chinese name
                ["Wetlands International", None, "ngo", "NL"],
            ]
        }
    )
    before = count(Organisation)
    outcome = services.run(content, nies, staff, Options(), apply=True)
    assert not outcome.applied and not outcome.errors
    assert [(d.row, d.matches[0][1]) for d in outcome.duplicates] == [
        (2, "Institute of Zoology"),
        (3, "Institute of Zoology"),
    ]
    db.session.rollback()
    assert count(Organisation) == before
    confirmed = imported(content, nies, staff, create_duplicates=True)
    assert confirmed.applied and count(Organisation) == before + 3


def test_an_ambiguous_name_asks_for_the_ref_unless_the_row_already_names_one(nies, staff, make):
    kind = make.organisation_type()
    first = make.organisation(name="Ministry of Ecology and Environment", country="CN", type=kind)
    make.organisation(name="Ministry of Ecology and Environment", country="MN", type=kind)
    headers = ["Name", "E-mail", "Engagement basis", "Availability", "Affiliation"]
    content = experts_file(
        ["Wang Fang", "w@x.org", "volunteer", "available", "Ministry of Ecology and Environment"], headers=headers
    )
    outcome = services.run(content, nies, staff, Options())
    assert cells(outcome) == {"E2"} and "Write the ref" in outcome.errors[0].message
    db.session.rollback()
    expert = make.expert(nies, name="Wang Fang", email="w@x.org", affiliation_id=first.id)
    outcome = services.run(content, nies, staff, Options())
    assert not outcome.errors and outcome.sheets[0].unchanged == 1
    assert expert.affiliation_id == first.id


# --- each register, through its own service ------------------------------------------------------------------


def test_partnerships_and_contacts(nies, staff, make):
    organisation = make.organisation(name="Wetlands International", acronym="WI")
    content = xlsx(
        {
            "Partnerships": [
                ["Organisation", "Stage", "KMGBF targets", "Owner"],
                ["WI", "In discussion", "3, 20", staff.email],
            ],
            "Contacts": [
                ["Organisation", "Name", "E-mail"],
                ["Wetlands International", "Jane Doe", "jane@wetlands.org"],
            ],
        }
    )
    assert imported(content, nies, staff).applied
    partnership = db.session.scalar(sa.select(Partnership))
    assert (partnership.organisation_id, partnership.stage, partnership.targets, partnership.owner_id) == (
        organisation.id,
        "in_discussion",
        [3, 20],
        staff.id,
    )
    assert db.session.scalar(sa.select(Contact.name)) == "Jane Doe"
    moved = xlsx(
        {"Partnerships": [["Ref", "Organisation", "Stage"], [f"PAR-{partnership.id}", "Someone else", "active"]]}
    )
    outcome = services.run(moved, nies, staff, Options())
    assert "not an organisation of the directory" in dict(problems(outcome))["B2"]


def test_agreements_take_a_new_status_as_a_step_of_their_history(nies, staff, make):
    agreement = make.agreement(nies, title="MoA with IOZ", status="drafting", since="2025-05")
    headers = ["Ref", "Title", "Kind", "Status", "Status since"]
    ref = f"AGR-{agreement.id}"
    undated = xlsx({"Agreements": [headers, [ref, "MoA with IOZ", "mou", "legal_review", "2025-05"]]})
    assert "Give the date of the new status" in services.run(undated, nies, staff, Options()).errors[0].message
    db.session.rollback()
    moved = xlsx({"Agreements": [headers, [ref, "MoA with IOZ", "mou", "Legal review", "December 2025"]]})
    assert imported(moved, nies, staff).applied
    agreement = db.session.get(Agreement, agreement.id)
    assert agreement.status == AgreementStatus.LEGAL_REVIEW and str(agreement.status_since) == "December 2025"
    steps = xlsx(
        {
            "Agreement steps": [
                ["Agreement", "Status", "Date", "Note"],
                ["MoA with IOZ", "authority_approval", "2026-03", "Ministry"],
            ]
        }
    )
    assert imported(steps, nies, staff).applied and imported(steps, nies, staff).sheets[0].unchanged == 1
    assert db.session.get(Agreement, agreement.id).status == AgreementStatus.AUTHORITY_APPROVAL
    step = db.session.scalar(sa.select(AgreementStep).order_by(AgreementStep.id.desc()))
    edited = xlsx(
        {
            "Agreement steps": [
                ["Ref", "Agreement", "Status", "Date", "Note"],
                [f"STP-{step.id}", "MoA with IOZ", "authority_approval", "2026-04", "Ministry"],
            ]
        }
    )
    assert "is not changed by an import" in services.run(edited, nies, staff, Options()).errors[0].message


def test_proposals_move_along_their_pipeline_with_the_date(nies, staff, make):
    funder = make.organisation(name="United Nations Development Programme", acronym="UNDP")
    headers = ["Title", "Funder", "Status", "Status since", "Requested amount", "Requested currency"]
    content = xlsx({"Proposals": [headers, ["Wetlands", "UNDP", "in_preparation", "2026-01-05", "250000", "USD"]]})
    assert imported(content, nies, staff).applied
    proposal = db.session.scalar(sa.select(Proposal))
    assert proposal.funder_id == funder.id and proposal.requested_amount == Decimal("250000")
    submitted = xlsx({"Proposals": [headers, ["Wetlands", "UNDP", "submitted", "2026-02-01", "250000", "USD"]]})
    assert imported(submitted, nies, staff).applied
    proposal = db.session.get(Proposal, proposal.id)
    assert proposal.status == ProposalStatus.SUBMITTED and proposal.submitted_on == date(2026, 2, 1)
    skipping = xlsx({"Proposal status history": [["Proposal", "Status", "Date"], ["Wetlands", "idea", "2026-03-01"]]})
    assert "can move to" in dict(problems(services.run(skipping, nies, staff, Options())))["B2"]


def test_ledger_entries_keep_their_rollups_and_refuse_an_overwritten_amount(nies, staff, make):
    headers = [
        "Category",
        "Kind",
        "Purpose",
        "Stage",
        "Amount",
        "Currency",
        "Pledged or committed on",
        "Purpose in words",
    ]
    content = xlsx(
        {
            "Resources": [
                headers,
                [
                    "host_institution",
                    "financial",
                    "core_operations",
                    "committed",
                    500000,
                    "RMB",
                    "2025-05-20",
                    "Daily operation",
                ],
            ]
        }
    )
    assert imported(content, nies, staff).applied
    entry = db.session.scalar(sa.select(LedgerEntry))
    assert (entry.amount, entry.currency) == (Decimal("500000"), "CNY")
    assert db.session.scalar(sa.select(sa.func.sum(LedgerRollup.amount))) == Decimal("500000")
    assert imported(content, nies, staff).sheets[0].unchanged == 1
    changed = xlsx(
        {
            "Resources": [
                ["Ref", *headers],
                [
                    f"RES-{entry.id}",
                    "host_institution",
                    "financial",
                    "core_operations",
                    "received",
                    600000,
                    "CNY",
                    "2025-05-20",
                    "Daily operation",
                ],
            ]
        }
    )
    outcome = services.run(changed, nies, staff, Options())
    assert cells(outcome) == {"F2"} and "not overwritten" in outcome.errors[0].message
    db.session.rollback()
    tranches = xlsx(
        {
            "Tranches received": [
                ["Entry", "Received on", "Amount", "Currency"],
                [f"RES-{entry.id}", "2025-07-01", 250000, "CNY"],
            ]
        }
    )
    assert imported(tranches, nies, staff).applied and count(Tranche) == 1
    assert db.session.get(LedgerEntry, entry.id).stage == "committed"
    too_much = xlsx(
        {
            "Tranches received": [
                ["Entry", "Received on", "Amount", "Currency"],
                [f"RES-{entry.id}", "2025-08-01", 900000, "CNY"],
            ]
        }
    )
    assert "more than the outstanding balance" in services.run(too_much, nies, staff, Options()).errors[0].message


def test_rates_are_imported_as_manual_rates_by_administrators_only(nies, staff, make):
    admin = make.user(Role.ADMIN)
    content = csv_bytes(
        [
            ["Effective on", "Last day", "Base", "Quote", "Rate", "Reason"],
            ["2026-01-01", "2026-01-31", "USD", "KZT", "505,25", "Bank statement"],
        ],
        delimiter=";",
    )
    refused = services.run(content, nies, staff, Options(register="rates"))
    assert refused.file_error == "Exchange rates are imported by administrators only."
    outcome = imported(content, None, admin, register="rates", locale="ru")
    assert outcome.applied, [str(e) for e in outcome.errors]
    rate = db.session.scalar(sa.select(ExchangeRate))
    assert (rate.source, rate.rate, rate.reason) == ("manual", Decimal("505.25"), "Bank statement")
    assert (rate.effective_on, rate.valid_until) == (date(2026, 1, 1), date(2026, 1, 31))
    open_ended = csv_bytes(
        [["Effective on", "Base", "Quote", "Rate", "Reason"], ["2026-02-01", "USD", "KZT", "9", "x"]]
    )
    refused = imported(open_ended, None, admin, register="rates")
    assert not refused.applied
    assert [(e.row, e.message) for e in refused.errors] == [
        (2, "Give the last day the rate converts amounts of the network.")
    ]


def test_staff_import_into_their_own_centre_only(nies, staff, make):
    other = make.centre(code="TSCC-CA")
    content = experts_file(["Wang Fang", "w@x.org", "CN", "volunteer", None, None, "available"])
    assert services.run(content, other, staff, Options()).file_error.startswith("Your account may not import experts")
    coordinator = make.user(Role.COORDINATOR)
    assert services.run(content, nies, coordinator, Options()).file_error


def test_a_pool_of_another_centre_is_not_found(nies, staff, make):
    other = make.centre(code="TSCC-CA")
    pool = make.expert_pool(other, name="CA consultants")
    content = experts_file(
        ["Wang Fang", "w@x.org", "volunteer", "available", "CA consultants"],
        ["Li Wei", "l@x.org", "volunteer", "available", f"POOL-{pool.id}"],
        headers=["Name", "E-mail", "Engagement basis", "Availability", "Pools"],
    )
    outcome = services.run(content, nies, staff, Options())
    assert cells(outcome) == {"E2", "E3"} and all("a pool of TSCC-NIES" in issue.message for issue in outcome.errors)
    assert count(ExpertPool) == 1


def test_experts_imported_in_a_batch_are_in_the_search_index(nies, staff):
    from crm.experts import queries

    headers = ["Name", "E-mail", "Engagement basis", "Availability", "KMGBF targets", "Languages", "Themes"]
    rows = [[f"Expert {n}", f"e{n}@x.org", "volunteer", "available", "3; 20", "zh, en", "Wetlands"] for n in range(3)]
    assert imported(experts_file(*rows, headers=headers), nies, staff).applied
    total, counts = queries.facet_counts(queries.Search(target=["3"], language=["zho"], theme=["wetlands"]), staff)
    assert total == 3 and counts["target"] == {"3": 3, "20": 3} and counts["language"] == {"zho": 3, "eng": 3}
    # An update through the same batch rewrites the index of the record it changes.
    again = [[f"Expert {n}", f"e{n}@x.org", "volunteer", "available", "5", "ru", ""] for n in range(3)]
    assert imported(experts_file(*again, headers=headers), nies, staff).sheets[0].updated == 3
    total, counts = queries.facet_counts(queries.Search(), staff)
    assert counts["target"] == {"5": 3} and counts["language"] == {"rus": 3} and "theme" not in counts


def test_experts_written_in_bulk_are_what_the_form_writes_their_audit_entry_included(nies, staff, make):
    """An import writes new experts a thousand at a time, in a few INSERTs: each the same record, pools, search index
    and audit entry as the expert form's save gives the same values."""
    from crm.audit.models import AuditEntry
    from crm.audit.services import acting_as
    from crm.core.partial_dates import PartialDate
    from crm.experts.models import ExpertTag
    from crm.experts.services import save_expert

    pool = make.expert_pool(nies, name="CAST expert database")
    institute = make.organisation(name="Institute of Zoology")
    values = {
        "Name": "Wang Fang",
        "Names in other scripts": "王芳",
        "Nationality": "CN",
        "Affiliation": "Institute of Zoology",
        "E-mail": "wang@ioz.ac.cn",
        "Languages": "zh; en",
        "KMGBF targets": "3; 20",
        "Themes": "Wetlands; birds",
        "Engagement basis": "paid",
        "Day rate": 1500,
        "Day rate currency": "RMB",
        "Availability": "available",
        "Vetting": "vetted",
        "Pools": "CAST expert database",
        "On the roster since": "2025-06",
    }
    with acting_as(staff):
        assert imported(xlsx({"Experts": [list(values), list(values.values())]}), nies, staff).applied
        form = {
            "name": "Wang Fang",
            "other_names": "王芳",
            "nationality": "CN",
            "affiliation_id": institute.id,
            "email": "wang.form@ioz.ac.cn",
            "languages": ["zh", "en"],
            "targets": [3, 20],
            "themes": "Wetlands, birds",
            "engagement_basis": "paid",
            "day_rate": Decimal("1500"),
            "day_rate_currency": "CNY",
            "availability": "available",
            "vetting": "vetted",
            "pools": [pool.id],
            "listed": PartialDate(date(2025, 6, 1), "month"),
        }
        saved = save_expert(None, nies.id, form)
        db.session.commit()
    bulk = db.session.scalar(sa.select(Expert).where(Expert.email == "wang@ioz.ac.cn"))
    entries = {
        entry.entity_id: entry
        for entry in db.session.scalars(sa.select(AuditEntry).where(AuditEntry.entity == "experts"))
    }
    assert set(entries) == {bulk.id, saved.id}

    def kept(entry):
        changes = dict(entry.changes)
        for moving in ("id", "email", "created_at", "updated_at"):
            changes.pop(moving)
        return entry.action, entry.actor_id, entry.centre_id, changes

    assert kept(entries[bulk.id]) == kept(entries[saved.id])
    assert entries[bulk.id].label == f"expert #{bulk.id}" and entries[bulk.id].changes["id"] == [None, bulk.id]
    assert [p.name for p in bulk.pools] == ["CAST expert database"]

    def tags(expert):
        return set(
            db.session.execute(sa.select(ExpertTag.facet, ExpertTag.value).where(ExpertTag.expert_id == expert.id))
        )

    assert (
        tags(bulk)
        == tags(saved)
        == {
            ("target", "3"),
            ("target", "20"),
            ("language", "zho"),
            ("language", "eng"),
            ("theme", "wetlands"),
            ("theme", "birds"),
        }
    )


def found_in_search(q: str, user) -> list[str]:
    from crm.search import queries as search

    return [hit.title for group in search.search(q, user) for hit in group.hits]


def test_experts_imported_in_bulk_are_found_by_the_search_box(nies, staff):
    rows = [[f"Borovik {n}", f"b{n}@x.org", "KZ", "volunteer", None, None, "available"] for n in range(3)]
    assert imported(experts_file(*rows), nies, staff).applied
    assert found_in_search("borovik", staff) == [f"Borovik {n}" for n in range(3)]


def test_a_bulk_import_is_indexed_in_its_own_transaction_and_a_preview_leaves_nothing_to_index(nies, staff):
    from crm.search import index as search_index

    rows = [["Rolled Back", "rb@x.org", "KZ", "volunteer", None, None, "available"]]
    assert not services.run(experts_file(*rows), nies, staff, Options(), apply=False).applied
    assert search_index.PENDING not in db.session.info and found_in_search("rolled back", staff) == []
    assert services.run(experts_file(*rows), nies, staff, Options(), apply=True).applied
    assert found_in_search("rolled back", staff) == ["Rolled Back"]
    db.session.rollback()
    assert count(Expert) == 0 and found_in_search("rolled back", staff) == []
