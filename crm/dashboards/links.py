"""Every figure is a link to the filtered list of the records behind it.

Lists belong to the other domains; their filter arguments are read from their
views (``partners.partnerships``: centre, type, stage; ``agreements.index``:
centre, stage; ``proposals.index``: centre, status; ``funding.index``: centre,
category, kind, stage; ``experts.index``: centre id, origin, target). A list whose
endpoint does not exist yet gives no link, and the figure shows as plain text.
"""

import enum

from flask import current_app, url_for


def list_url(endpoint: str, **args) -> str | None:
    """The URL of ``endpoint`` filtered by ``args`` (None values dropped, enums by value), or None."""
    if endpoint not in current_app.view_functions:
        return None
    cleaned = {
        key: value.value if isinstance(value, enum.Enum) else value
        for key, value in args.items()
        if value is not None and value != ""
    }
    return url_for(endpoint, **cleaned)


def funding_links(centre_code: str | None, key: str | None):
    """For a table of resources: (row, stage) → the ledger list filtered by the centre, ``key`` = row and stage."""

    def url(row, stage) -> str | None:
        filters = {key: row} if key and row is not None else {}
        return list_url("funding.index", centre=centre_code, stage=stage, **filters)

    return url
