"""Small factories: each returns a flushed record with sensible defaults, overridable by keyword."""

import io
import itertools
import zipfile
from datetime import date

from crm.auth.models import Role, User
from crm.centres.models import Centre, ReportingPeriod
from crm.core.partial_dates import PartialDate
from crm.extensions import db

_counter = itertools.count(1)


# The date the factories' standing records are dated from, unless a test says otherwise: before every period
# the tests use, so that a record counts in them (crm.core.periods).
EARLY = PartialDate(date(2024, 1, 1))


def docx_bytes() -> bytes:
    """The smallest file that is a Word document by its content."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


def save(record):
    """Add and commit: inside a test, commit only releases a savepoint, and the test's transaction still rolls back.

    Committing keeps the record when a request in the same session rolls its own work back.
    """
    db.session.add(record)
    db.session.commit()
    return record


class Factory:
    def centre(self, **values) -> Centre:
        n = next(_counter)
        defaults = {
            "code": f"TSCC-T{n}",
            "name": f"Test centre {n}",
            "host_institution": f"Host institution {n}",
            "host_country": "CN",
            "reporting_currency": "CNY",
            "parties": ["CN", "NP"],
        }
        centre = Centre(**(defaults | values))
        return save(centre)

    def period(self, centre, **values) -> ReportingPeriod:
        defaults = {"label": "2025-2026", "starts_on": date(2025, 1, 1), "ends_on": date(2026, 4, 30)}
        period = ReportingPeriod(centre=centre, **(defaults | values))
        return save(period)

    def user(self, role=Role.STAFF, centres=(), password: str | None = None, **values) -> User:
        n = next(_counter)
        defaults = {"email": f"user{n}@test.example", "name": f"User {n}"}
        user = User(role=Role(role), centres=list(centres), **(defaults | values))
        if password:
            user.set_password(password)
        else:
            user.password_hash = "pbkdf2:sha256:1$x$0"
        return save(user)

    def rate(self, base, quote, rate, effective_on, source="ecb", **values):
        """A stored rate; a manual one converts the network for 31 days unless the test says otherwise."""
        from datetime import timedelta
        from decimal import Decimal

        from crm.money.models import ExchangeRate

        if source == "manual" and "valid_until" not in values and values.get("scope", "network") == "network":
            values["valid_until"] = effective_on + timedelta(days=31)
        return save(
            ExchangeRate(base=base, quote=quote, rate=Decimal(rate), effective_on=effective_on, source=source, **values)
        )

    def expert_pool(self, centre, **values):
        from crm.experts.models import ExpertPool

        n = next(_counter)
        return save(ExpertPool(centre_id=centre.id, **({"name": f"Pool {n}"} | values)))

    def expert(self, centre, **values):
        """An expert saved through the service, so that the search index is written too."""
        from crm.experts.services import save_expert

        n = next(_counter)
        defaults = {
            "name": f"Expert {n}",
            "email": f"expert{n}@test.example",
            "engagement_basis": "volunteer",
            "availability": "available",
            "vetting": "vetted",
            "listed": EARLY,
        }
        expert = save_expert(None, centre.id, defaults | values)
        db.session.commit()
        return expert

    def organisation_type(self, **values):
        from crm.partners.models import OrganisationType

        n = next(_counter)
        return save(OrganisationType(**({"code": f"type{n}", "name": f"Type {n}"} | values)))

    def organisation(self, **values):
        """A directory entry saved through the service, so that its match keys are written too."""
        from crm.partners.services import save_organisation

        n = next(_counter)
        kind = values.pop("type", None) or self.organisation_type()
        organisation = save_organisation(None, {"name": f"Organisation {n}", "type_id": kind.id} | values)
        db.session.commit()
        return organisation

    def partnership(self, centre, organisation=None, **values):
        from crm.partners.services import save_partnership

        organisation = organisation or self.organisation()
        # Engaged early, so that the partnership counts in the periods tests use (crm.core.periods).
        data = {"stage": "contacted", "organisation_id": organisation.id, "engaged": EARLY} | values
        partnership = save_partnership(None, data, centre_id=centre.id)
        db.session.commit()
        return partnership

    def agreement(self, centre, counterparts=(), **values):
        from crm.agreements.services import create_agreement
        from crm.core.partial_dates import parse_partial_date

        n = next(_counter)
        data = {"kind": "mou", "title": f"Agreement {n}", "status": "drafting"} | values
        data["status_since"] = parse_partial_date(data.pop("since", "2025-05"))
        data["counterpart_ids"] = [o.id for o in counterparts]
        agreement = create_agreement(centre.id, data, None)
        db.session.commit()
        return agreement

    def report_section(self, centre, period=None):
        from crm.reports.services import start_section

        period = period or self.period(centre)
        section = start_section(centre, period)
        db.session.commit()
        return section

    def challenge(self, centre, **values):
        from crm.reports.services import save_challenge

        data = {"area": "partnerships", "challenge": "Cooperation models need exploring.", "noted": EARLY} | values
        challenge = save_challenge(None, centre.id, data, None)
        db.session.commit()
        return challenge

    def strategy(self, centre, **values):
        from crm.funding.services import save_strategy

        strategy = save_strategy(None, centre.id, {"status": "in_development"} | values)
        db.session.commit()
        return strategy

    def proposal(self, centre, funder=None, **values):
        from crm.proposals.services import create_proposal

        n = next(_counter)
        funder = funder or self.organisation()
        data = {"title": f"Proposal {n}", "funder_id": funder.id, "status": "in_preparation", "status_on": EARLY.start}
        data |= values
        proposal = create_proposal(centre.id, data)
        db.session.commit()
        return proposal

    def ledger_entry(self, centre, proposals=(), agreement=None, **values):
        from crm.funding.services import record_entry

        data = {
            "category": "host_institution",
            "kind": "financial",
            "purpose": "core_operations",
            "stage": "committed",
            "amount": "1000",
            "currency": "CNY",
            "booked_on": date(2025, 3, 1),
        } | values
        entry = record_entry(centre.id, data, proposals, agreement)
        db.session.commit()
        return entry


def section_form(section, **changes) -> dict:
    """A section's edit form as the browser posts it (each row in its place, hidden ones ticked), with ``changes``
    by field name ("outputs-0-details")."""
    from crm.reports.services import TEXT_FIELDS

    data = {name: getattr(section, name) for name, _ in TEXT_FIELDS} | {"version": section.version}
    for n, row in enumerate(section.outputs):
        data |= {
            f"outputs-{n}-id": row.id,
            f"outputs-{n}-title": row.title,
            f"outputs-{n}-status": row.status,
            f"outputs-{n}-details": row.details,
            f"outputs-{n}-position": n + 1,
        }
        if row.is_hidden:
            data[f"outputs-{n}-hidden"] = "y"
    return data | changes
