"""``flask --app wsgi seed``: load the demo data of ``seeds/``, idempotently.

Each domain with a ``seeds`` module contributes ``seed(seeds_dir)``, run in the
order of ``crm.DOMAINS`` (centres before partners before agreements...). Every
seeded record has a stable key (``seed_once``): seeding again finds it by that key
whatever staff changed in it, and adds only what was never seeded.
"""

import tomllib
from collections.abc import Callable
from datetime import date
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from crm.core.models import SeedKey
from crm.core.partial_dates import PartialDate
from crm.extensions import db

SEEDS_DIR = Path(__file__).resolve().parent.parent / "seeds"


def read_seed(name: str, seeds_dir: Path = SEEDS_DIR) -> dict:
    with open(seeds_dir / name, "rb") as handle:
        return tomllib.load(handle)


def run_seeds(seeds_dir: Path = SEEDS_DIR) -> list[str]:
    """Run every domain's seeder; return the lines they want shown (new demo logins)."""
    from crm import DOMAINS, domain_module

    messages = []
    for domain in DOMAINS:
        module = domain_module(domain, "seeds")
        if module is not None:
            messages.extend(module.seed(seeds_dir) or [])
            db.session.flush()
    return messages


@click.command("seed", help="Load the demo centres, accounts and records from seeds/ (safe to run again).")
@with_appcontext
def seed_command():
    messages = run_seeds()
    db.session.commit()
    for line in messages:
        click.echo(line)
    logins = Path(current_app.instance_path) / "demo-logins.txt"
    click.echo(f"Seeded. Demo logins are kept in {logins} (owner-only).")


def reported_on(seeds_dir: Path = SEEDS_DIR) -> date:
    """The day both reports were submitted: the date of what they report without one (seeds/centres.toml)."""
    return read_seed("centres.toml", seeds_dir)["reported_on"]


def as_reported(seeds_dir: Path = SEEDS_DIR):
    """The month of the reports, as a partial date: a standing record the reports give no date for is dated so."""
    day = reported_on(seeds_dir)
    return PartialDate(date(day.year, day.month, 1), "month")


def seed_once(key: str, model, existing: Callable[[], object], create: Callable[[], object]):
    """The record seeded as ``key``: found by its key whatever staff changed in it since; in a database seeded
    before keys existed, found once by ``existing`` (its natural key) and remembered; otherwise made by ``create``
    and remembered. A seeded record that staff deleted stays deleted (None)."""
    known = db.session.get(SeedKey, key)
    if known is not None:
        return db.session.get(model, known.entity_id)
    record = existing() or create()
    db.session.flush()
    db.session.add(SeedKey(key=key, entity=model.__tablename__, entity_id=record.id))
    return record


def seeded(key: str, model):
    """The record seeded as ``key`` (for a seed that refers to another), or None."""
    known = db.session.get(SeedKey, key)
    return db.session.get(model, known.entity_id) if known is not None else None
