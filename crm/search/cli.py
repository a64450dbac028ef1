"""``flask --app wsgi search rebuild``: the search index recomputed from the registers."""

import click
from flask.cli import AppGroup

from crm.extensions import db
from crm.search.index import rebuild

cli = AppGroup("search", help="The search box's index.")


@cli.command(
    "rebuild",
    help="Recompute the whole search index from the records (kept up to date on every write; "
    "for repairs and bulk loads).",
)
def rebuild_command():
    count = rebuild(db.session.connection())
    db.session.commit()
    click.echo(f"Search index rebuilt: {count} records.")
