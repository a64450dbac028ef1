"""The demo roster. The reports give counts, not people, so every expert here is labelled demo data.

TSCC-NIES: the expert database built with CSES under the 2025 CAST programme, "more than 120
Chinese experts and over 40 foreign experts" (121 and 41 here, so "over 160" holds).
TSCC-CA: "the initial list of possible consultants", a handful, paid work awaiting funds.
Targets, languages, availability and vetting are spread by fixed rules (no randomness), so that
searches have something to show; they describe no one.
"""

import sqlalchemy as sa

from crm.centres.models import Centre
from crm.experts import services
from crm.experts.models import Expert, ExpertPool, PoolStatus
from crm.extensions import db
from crm.seeding import as_reported, seed_once, seeded

NIES_POOL = "CAST expert database"
NIES_POOL_DESCRIPTION = (
    "Expert database for global professional engagement, established with the Chinese Society for Environmental "
    "Sciences (CSES) and other institutions under the 2025 CAST Program on Supporting Scientists' Professional "
    "Performance and Capacity Building."
)
CA_POOL = "consultants"
CA_POOL_DESCRIPTION = (
    "Initial list of possible consultants for the TSCC's work; financial resources are needed to engage them."
)

NIES_DOMESTIC, NIES_FOREIGN, CA_CONSULTANTS = 121, 41, 5

THEMES = (
    "protected areas",
    "ecosystem restoration",
    "species conservation",
    "invasive alien species",
    "biosafety",
    "biodiversity finance",
    "spatial planning",
    "wetlands",
    "environmental law",
    "remote sensing",
    "traditional knowledge",
    "agrobiodiversity",
)
# (nationality, languages besides English) for the demo foreign experts, in turn.
FOREIGN = (
    ("KH", ["khm"]),
    ("NP", ["nep"]),
    ("PK", ["urd"]),
    ("KZ", ["kaz", "rus"]),
    ("RU", ["rus"]),
    ("UZ", ["uzb", "rus"]),
)
AVAILABILITY = ("available", "available", "limited", "unavailable")


def demo_expert(number: int, foreign_index: int | None) -> dict:
    """The demo values of expert ``number``; ``foreign_index`` counts the foreign ones."""
    targets = {number % 23 + 1, (number * 7) % 23 + 1}
    if number % 3 == 0:
        targets.add(3)
    if foreign_index is None:
        nationality, languages = "CN", ["zho"] + (["eng"] if number % 2 else [])
    else:
        nationality, extra = FOREIGN[foreign_index % len(FOREIGN)]
        languages = ["eng", *extra]
    return {
        "name": f"Demo expert {number:03d}",
        "email": f"demo-expert-{number:03d}@demo.tscc.example",
        "nationality": nationality,
        "residence_country": nationality,
        "languages": languages,
        "targets": sorted(targets),
        "themes": [THEMES[number % len(THEMES)], THEMES[(number * 5) % len(THEMES)]],
        "engagement_basis": "volunteer",
        "availability": AVAILABILITY[(number // 4) % len(AVAILABILITY)],
        "vetting": "declined" if number % 17 == 0 else "proposed" if number % 3 == 1 else "vetted",
    }


def demo_consultant(number: int) -> dict:
    return {
        "name": f"Demo consultant {number:02d}",
        "email": f"demo-consultant-{number:02d}@demo.tscc.example",
        "languages": ["rus", "eng"],
        # The report says TSCC-CA coordinates the work on Targets 3, 4 and 9 of Uzbekistan's NBSAP.
        "targets": [(3, 4, 9)[number % 3]],
        "themes": [],
        "engagement_basis": "paid",
        "availability": "available",
        "vetting": "proposed",
    }


def _pool(code: str, centre, name: str, description: str, status: PoolStatus) -> ExpertPool | None:
    return seed_once(
        f"pool:{code}:{name}",
        ExpertPool,
        lambda: db.session.scalar(
            sa.select(ExpertPool).where(ExpertPool.centre_id == centre.id, ExpertPool.name == name)
        ),
        lambda: services.save_pool(None, centre.id, name, description, status),
    )


def _add_missing(code: str, centre, pool: ExpertPool | None, rosters: list[dict], listed) -> None:
    for values in rosters:
        data = values | {"pools": [pool.id] if pool else [], "listed": listed}
        seed_once(
            f"expert:{code}:{values['name']}",
            Expert,
            lambda values=values: db.session.scalar(
                sa.select(Expert).where(Expert.centre_id == centre.id, Expert.name == values["name"])
            ),
            lambda data=data: services.save_expert(None, centre.id, data),
        )


def seed(seeds_dir) -> list[str]:
    listed = as_reported(seeds_dir)
    nies = seeded("centre:TSCC-NIES", Centre)
    if nies is not None:
        pool = _pool("TSCC-NIES", nies, NIES_POOL, NIES_POOL_DESCRIPTION, PoolStatus.ESTABLISHED)
        total = NIES_DOMESTIC + NIES_FOREIGN
        # Every fourth demo expert (2, 6, 10...) is foreign until the foreign count is reached.
        foreign_numbers = [n for n in range(1, total + 1) if n % 4 == 2][:NIES_FOREIGN]
        rank = {n: i for i, n in enumerate(foreign_numbers)}
        _add_missing("TSCC-NIES", nies, pool, [demo_expert(n, rank.get(n)) for n in range(1, total + 1)], listed)
    ca = seeded("centre:TSCC-CA", Centre)
    if ca is not None:
        # "The initial list of possible consultants ... Financial resources are required to work with them."
        pool = _pool("TSCC-CA", ca, CA_POOL, CA_POOL_DESCRIPTION, PoolStatus.CANDIDATES)
        _add_missing("TSCC-CA", ca, pool, [demo_consultant(n) for n in range(1, CA_CONSULTANTS + 1)], listed)
    return []
