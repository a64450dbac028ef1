"""``flask --app wsgi seed``: load the demo data of ``seeds/``, idempotently.

Each domain with a ``seeds`` module contributes ``seed(seeds_dir)``, run in the
order of ``crm.DOMAINS`` (centres before partners before agreements...). A
seeder finds records by their natural keys and only adds what is missing.
"""

import tomllib
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

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
