"""``flask --app wsgi funding ...``: maintenance of the resource ledger."""

import click
from flask.cli import with_appcontext

from crm.extensions import db
from crm.funding import rollup


@click.group("funding", help="The resource ledger: maintenance commands.")
def cli():
    pass


@cli.command("rebuild-rollups", help="Recompute the ledger rollup the dashboards read from every ledger entry.")
@with_appcontext
def rebuild_rollups_command():
    rows = rollup.rebuild_rollups()
    db.session.commit()
    click.echo(f"Ledger rollup rebuilt: {rows} buckets.")
