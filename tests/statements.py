"""Count the SQL statements a block or a page runs, to prove a page does not query per row."""

from contextlib import contextmanager

from crm.extensions import db
from tools.statements import recorded_statements


@contextmanager
def count_statements(app):
    with app.app_context():
        engine = db.engine
    with recorded_statements(engine) as statements:
        yield statements


def statements_of_page(app, client, url: str) -> int:
    """How many statements serving ``url`` runs; the page must answer 200."""
    with count_statements(app) as statements:
        assert client.get(url).status_code == 200
    return len(statements)
