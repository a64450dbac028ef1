"""Data at scale for the benchmark and the constancy tests, inserted in bulk (executemany, a few statements per table).

``generate(Scale(...))`` adds centres, organisations, partnerships, agreements,
proposals, ledger entries, experts and exchange rates to the current session's
database, deterministically (a seeded random generator), and returns what it made.
Each centre works in a few of the twelve currencies (its own, USD, EUR and one
more), as real centres do; KHR has rates for the first year only, so that the
dashboards meet amounts they cannot convert.
"""

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa

from crm.extensions import db

CURRENCIES = ("CNY", "USD", "EUR", "KZT", "UZS", "KGS", "NPR", "PKR", "KHR", "AMD", "GBP", "JPY")
# Units per USD, roughly as in 2025: the generated rates wander a little around these.
USD_RATES = {
    "CNY": "7.2",
    "EUR": "0.92",
    "KZT": "480",
    "UZS": "12700",
    "KGS": "87",
    "NPR": "134",
    "PKR": "280",
    "KHR": "4050",
    "AMD": "390",
    "GBP": "0.79",
    "JPY": "150",
}
# KHR rates stop after the first year: later KHR amounts show as "not converted".
RATES_STOP = {"KHR": 365}
ORGANISATION_TYPES = (
    ("un", "UN and international bodies"),
    ("research", "Research institutes and universities"),
    ("platform", "International cooperation platforms"),
    ("ngo", "NGOs"),
    ("government", "Government bodies"),
    ("funder", "Funders"),
)
START = date(2025, 1, 1)
DAYS = 730


@dataclass(frozen=True)
class Scale:
    centres: int = 20
    organisations: int = 10_000
    proposals: int = 20_000
    entries: int = 100_000
    experts: int = 5_000
    partnerships_per_centre: int = 400
    agreements_per_centre: int = 50
    seed: int = 7


@dataclass
class Generated:
    centre_codes: list[str]
    counts: dict[str, int]


def _insert(model, rows: list[dict], *, ids: bool = False) -> list[int]:
    """One executemany (batched by the driver); the new ids in row order when asked."""
    if not rows:
        return []
    table = model.__table__ if hasattr(model, "__table__") else model
    if ids:
        stmt = table.insert().returning(table.c.id, sort_by_parameter_order=True)
        return [row[0] for row in db.session.execute(stmt, rows)]
    db.session.execute(table.insert(), rows)
    return []


def _organisation_types() -> dict[str, int]:
    from crm.partners.models import OrganisationType

    existing = {
        code: type_id for code, type_id in db.session.execute(sa.select(OrganisationType.code, OrganisationType.id))
    }
    missing = [
        {"code": code, "name": name, "position": n}
        for n, (code, name) in enumerate(ORGANISATION_TYPES)
        if code not in existing and name not in existing
    ]
    new_ids = _insert(OrganisationType, missing, ids=True)
    existing.update({row["code"]: new_id for row, new_id in zip(missing, new_ids, strict=True)})
    return existing


def _centres(rng: random.Random, scale: Scale, tag: str) -> list[tuple[int, str, str, list[str]]]:
    from crm.centres.models import Centre, ReportingPeriod

    rows, currencies = [], []
    countries = ("CN", "KZ", "UZ", "NP", "PK", "KH", "AM", "KG", "GB", "JP")
    for n in range(scale.centres):
        home = CURRENCIES[n % len(CURRENCIES)]
        extra = CURRENCIES[(n * 5 + 3) % len(CURRENCIES)]
        currencies.append(sorted({home, "USD", "EUR", extra}))
        rows.append(
            {
                "code": f"B{tag}-{n + 1:02d}",
                "name": f"Benchmark centre {n + 1}",
                "short_name": f"Bench {n + 1}",
                "host_institution": f"Host institution {n + 1}",
                "host_country": countries[n % len(countries)],
                "reporting_currency": home,
                "parties": [],
                "notes": "",
            }
        )
    ids = _insert(Centre, rows, ids=True)
    _insert(
        ReportingPeriod,
        [
            {"centre_id": i, "label": "2025-2026", "starts_on": date(2025, 1, 1), "ends_on": date(2026, 4, 30)}
            for i in ids
        ],
    )
    return [(i, r["code"], r["host_country"], c) for i, r, c in zip(ids, rows, currencies, strict=True)]


def _organisations(rng: random.Random, scale: Scale, types: dict[str, int], tag: str) -> list[int]:
    from crm.partners.models import Organisation

    type_ids = list(types.values())
    rows = [
        {
            "name": f"Organisation {tag}{n}",
            "acronym": f"O{tag}{n}",
            "type_id": rng.choice(type_ids),
            "country": rng.choice(("CN", "KZ", "UZ", "NP", "US", "DE", None)),
            "match_keys": f"|organisation {tag.lower()}{n}|o{tag.lower()}{n}|",
            "other_names": [],
        }
        for n in range(scale.organisations)
    ]
    return _insert(Organisation, rows, ids=True)


def _partnerships(rng, scale, centres, organisations) -> int:
    from crm.partners.models import Partnership, Stage

    rows = []
    stages = list(Stage)
    # A popular core of organisations that several centres engage, the rest spread out.
    core = organisations[: max(1, len(organisations) // 50)]
    for centre_id, *_ in centres:
        picked = set(rng.sample(core, min(len(core), scale.partnerships_per_centre // 10)))
        while len(picked) < min(scale.partnerships_per_centre, len(organisations)):
            picked.add(rng.choice(organisations))
        for organisation_id in picked:
            rows.append(
                {
                    "centre_id": centre_id,
                    "organisation_id": organisation_id,
                    "stage": rng.choice(stages),
                    "next_step_on": START + timedelta(days=rng.randrange(DAYS)) if rng.random() < 0.5 else None,
                    "engaged_on": START + timedelta(days=rng.randrange(DAYS)),
                    "engaged_precision": "day",
                }
            )
    _insert(Partnership, rows)
    return len(rows)


def _agreements(rng, scale, centres) -> int:
    from crm.agreements.models import Agreement, AgreementKind, AgreementStatus, AgreementStep

    rows = []
    for centre_id, *_ in centres:
        for n in range(scale.agreements_per_centre):
            since = START + timedelta(days=rng.randrange(DAYS))
            expiry = since + timedelta(days=rng.randrange(60, 1500)) if rng.random() < 0.6 else None
            rows.append(
                {
                    "centre_id": centre_id,
                    "kind": rng.choice(list(AgreementKind)),
                    "title": f"Agreement {n + 1}",
                    "status": rng.choice(list(AgreementStatus)),
                    "status_since_on": since,
                    "status_since_precision": "day",
                    "expiry_on": expiry,
                    "expiry_precision": "day" if expiry else None,
                    "next_review_on": since + timedelta(days=180) if rng.random() < 0.3 else None,
                    "next_review_precision": "month" if rng.random() < 0.3 else None,
                }
            )
    for row in rows:
        if row["next_review_on"] is None:
            row["next_review_precision"] = None
        elif row["next_review_precision"] is None:
            row["next_review_precision"] = "day"
    ids = _insert(Agreement, rows, ids=True)
    # Each agreement's status as its one dated step, as the services record it.
    steps = [
        {
            "centre_id": row["centre_id"],
            "agreement_id": agreement_id,
            "status": row["status"],
            "occurred_on": row["status_since_on"],
            "occurred_precision": "day",
        }
        for agreement_id, row in zip(ids, rows, strict=True)
    ]
    _insert(AgreementStep, steps)
    return len(rows)


def _amount(rng: random.Random, currency: str) -> Decimal:
    usd = Decimal(rng.randrange(500, 500_000))
    return (usd * Decimal(USD_RATES.get(currency, "1"))).quantize(Decimal(1))


def _proposals(rng, scale, centres, organisations) -> int:
    from crm.proposals.models import Proposal, ProposalStatus, ProposalStatusChange

    funders = organisations[: max(1, len(organisations) // 20)]
    statuses = list(ProposalStatus)
    rows = []
    for n in range(scale.proposals):
        centre_id, _, _, currencies = centres[n % len(centres)]
        status = rng.choice(statuses)
        currency = rng.choice(currencies)
        requested = _amount(rng, currency)
        deadline = START + timedelta(days=rng.randrange(DAYS))
        approved = status == ProposalStatus.APPROVED
        rows.append(
            {
                "centre_id": centre_id,
                "title": f"Proposal {n + 1}",
                "funder_id": rng.choice(funders),
                "status": status,
                "requested_amount": requested,
                "requested_currency": currency,
                "awarded_amount": (requested * Decimal("0.8")).quantize(Decimal(1)) if approved else None,
                "awarded_currency": currency if approved else None,
                "deadline_on": deadline,
                "submitted_on": deadline if status.was_submitted else None,
                "kmgbf_targets": [],
            }
        )
    ids = _insert(Proposal, rows, ids=True)
    # Each proposal's status as one dated change, as the services record it.
    changes = [
        {"proposal_id": proposal_id, "status": row["status"], "changed_on": row["deadline_on"] - timedelta(days=30)}
        for proposal_id, row in zip(ids, rows, strict=True)
    ]
    _insert(ProposalStatusChange, changes)
    return len(rows)


def _ledger(rng, scale, centres, organisations) -> int:
    from crm.funding.models import Category, Kind, LedgerEntry, Purpose, Stage, Tranche

    categories, purposes, stages = list(Category), list(Purpose), list(Stage)
    rows = []
    for n in range(scale.entries):
        centre_id, _, _, currencies = centres[n % len(centres)]
        roll = rng.random()
        kind = Kind.FINANCIAL if roll < 0.8 else Kind.IN_KIND if roll < 0.95 else Kind.PEOPLE_TIME
        currency = rng.choice(currencies)
        valued = kind == Kind.FINANCIAL or rng.random() < 0.7
        rows.append(
            {
                "centre_id": centre_id,
                "source_id": rng.choice(organisations),
                "category": rng.choice(categories),
                "kind": kind,
                "purpose": rng.choice(purposes),
                "stage": rng.choice(stages),
                "amount": _amount(rng, currency) if valued else None,
                "currency": currency if valued else None,
                "booked_on": (booked_on := START + timedelta(days=rng.randrange(DAYS))),
                "rate_on": booked_on,
                "quantity": None if kind == Kind.FINANCIAL else Decimal(rng.randrange(1, 20)),
                "unit": {Kind.FINANCIAL: "", Kind.IN_KIND: "rooms", Kind.PEOPLE_TIME: "interns"}[kind],
            }
        )
    ids = _insert(LedgerEntry, rows, ids=True)
    # Money received: the whole of what is booked as received, about half of what is committed, in tranches.
    tranches = []
    for entry_id, row in zip(ids, rows, strict=True):
        if row["kind"] != Kind.FINANCIAL or row["stage"] == Stage.PLEDGED:
            continue
        share = Decimal(1) if row["stage"] == Stage.RECEIVED else Decimal(rng.choice((0, 0, 1, 2))) / 4
        if share:
            received_on = min(row["booked_on"] + timedelta(days=rng.randrange(1, 90)), START + timedelta(days=DAYS))
            amount = (row["amount"] * share).quantize(Decimal(1))
            tranches.append(
                {
                    "centre_id": row["centre_id"],
                    "entry_id": entry_id,
                    "received_on": received_on,
                    "amount": amount,
                    "currency": row["currency"],
                }
            )
    _insert(Tranche, [t for t in tranches if t["amount"] > 0])
    return len(rows)


def _rollups() -> None:
    """The ledger rollup recomputed in one statement: the bulk insert above bypassed the services."""
    from crm.funding.rollup import rebuild_rollups

    rebuild_rollups()


def _search_index() -> None:
    """The search box's index rebuilt from the rows: the bulk insert above bypassed the flush that keeps it."""
    from crm.search.index import rebuild

    rebuild(db.session.connection())


def _experts(rng, scale, centres) -> int:
    from crm.experts.models import Availability, EngagementBasis, Expert, ExpertTag, TagFacet, Vetting

    rows, targets = [], []
    for n in range(scale.experts):
        centre_id, _, host, _ = centres[n % len(centres)]
        chosen = sorted(rng.sample(range(1, 24), rng.randrange(1, 4)))
        targets.append(chosen)
        rows.append(
            {
                "centre_id": centre_id,
                "name": f"Expert {n + 1}",
                "nationality": host if rng.random() < 0.7 else rng.choice(("DE", "FR", "US", "IN", "BR")),
                "engagement_basis": rng.choice(list(EngagementBasis)),
                "availability": rng.choice(list(Availability)),
                "vetting": rng.choice(list(Vetting)),
                "languages": [],
                "targets": chosen,
                "themes": [],
                "listed_on": START + timedelta(days=rng.randrange(DAYS)),
                "listed_precision": "day",
            }
        )
    ids = _insert(Expert, rows, ids=True)
    tags = [
        {"expert_id": expert_id, "facet": TagFacet.TARGET.value, "value": str(t)}
        for expert_id, chosen in zip(ids, targets, strict=True)
        for t in chosen
    ]
    _insert(ExpertTag, tags)
    return len(rows)


def _rates(rng: random.Random) -> int:
    """UN operational rates (units per USD) on the first of each month, for every currency; skip existing ones."""
    from crm.money.models import ExchangeRate

    existing = set(
        db.session.execute(
            sa.select(ExchangeRate.quote, ExchangeRate.effective_on).where(
                ExchangeRate.source == "un", ExchangeRate.base == "USD"
            )
        ).all()
    )
    rows = []
    for month in range(DAYS // 30 + 2):
        first = date(START.year + month // 12, month % 12 + 1, 1)
        for currency, rate in USD_RATES.items():
            if (first - START).days > RATES_STOP.get(currency, 10_000) or (currency, first) in existing:
                continue
            wobble = Decimal(1) + Decimal(rng.randrange(-300, 300)) / Decimal(10_000)
            rows.append(
                {
                    "effective_on": first,
                    "base": "USD",
                    "quote": currency,
                    "rate": (Decimal(rate) * wobble).quantize(Decimal("0.000001")),
                    "source": "un",
                    "reference": f"generated UN operational rates {first:%Y-%m}",
                    "reason": "",
                }
            )
    _insert(ExchangeRate, rows)
    return len(rows)


def generate(scale: Scale = Scale(), tag: str = "") -> Generated:
    """Insert a whole network at ``scale``; ``tag`` keeps codes unique when several runs share a database."""
    rng = random.Random(scale.seed)
    types = _organisation_types()
    centres = _centres(rng, scale, tag)
    organisations = _organisations(rng, scale, types, tag)
    counts = {
        "centres": len(centres),
        "organisations": len(organisations),
        "partnerships": _partnerships(rng, scale, centres, organisations),
        "agreements": _agreements(rng, scale, centres),
        "proposals": _proposals(rng, scale, centres, organisations),
        "ledger entries": _ledger(rng, scale, centres, organisations),
        "experts": _experts(rng, scale, centres),
        "exchange rates": _rates(rng),
    }
    _rollups()
    _search_index()
    db.session.flush()
    return Generated([code for _, code, _, _ in centres], counts)
