"""Every figure is a link to the filtered list of the records behind it.

Lists belong to the other domains; their filter arguments are read from their
views (``partners.partnerships``: centre, type, stage; ``agreements.index``:
centre, stage; ``proposals.index``: centre, status; ``funding.index``: centre,
category, kind, stage; ``experts.index``: centre id, origin, target). A list whose
endpoint does not exist yet gives no link, and the figure shows as plain text.
"""

import enum
from urllib.parse import urlencode

from flask import current_app, g, url_for

# What werkzeug leaves unquoted in a query string (werkzeug.urls._urlencode); a test holds list_url to url_for.
QUERY_SAFE = "!$'()*,/:;?@"


def list_url(endpoint: str, **args) -> str | None:
    """The URL of ``endpoint`` filtered by ``args`` (None values dropped, enums by value), or None.

    A dashboard links some 450 figures, mostly to a handful of list pages: the path of a list (a route with no
    argument) is built once per request and its filters added to it, which is what url_for would write."""
    if endpoint not in current_app.view_functions:
        return None
    cleaned = {
        key: value.value if isinstance(value, enum.Enum) else value
        for key, value in args.items()
        if value is not None and value != ""
    }
    path = _list_path(endpoint)
    if path is None:
        return url_for(endpoint, **cleaned)
    return f"{path}?{urlencode(cleaned, safe=QUERY_SAFE)}" if cleaned else path


def _list_path(endpoint: str) -> str | None:
    """The path of ``endpoint`` if its only route takes no argument (a list), worked out once per request."""
    paths = g.setdefault("list_paths", {})
    if endpoint not in paths:
        rules = list(current_app.url_map.iter_rules(endpoint))
        plain = len(rules) == 1 and not rules[0].arguments and not rules[0].defaults
        paths[endpoint] = url_for(endpoint) if plain else None
    return paths[endpoint]


def funding_links(centre_code: str | None, key: str | None):
    """For a table of resources: (row, stage) → the ledger list filtered by the centre, ``key`` = row and stage."""

    def url(row, stage) -> str | None:
        filters = {key: row} if key and row is not None else {}
        return list_url("funding.index", centre=centre_code, stage=stage, **filters)

    return url
