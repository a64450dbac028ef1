"""Count the SQL statements a block runs, to prove a page does not query per row."""

from contextlib import contextmanager

from sqlalchemy import event

from crm.extensions import db


@contextmanager
def count_statements(app):
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)
