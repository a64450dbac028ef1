"""Links that leave the app (in mail, in calendar feeds), built from the configured public address.

Never from the request's Host header: a reset link built from it could point anywhere the sender of a forged
request likes. The same links come out of a web request and of the mail job, which has no request at all.
"""

from urllib.parse import urlsplit

from flask import current_app


def public_url(endpoint: str, **values) -> str:
    """The absolute address of ``endpoint`` under ``CRM_BASE_URL``."""
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme)
    anchor = values.pop("_anchor", None)
    url = adapter.build(endpoint, values, force_external=True)
    return f"{url}#{anchor}" if anchor else url


def public_host() -> str:
    """The public host name: what calendar UIDs and Message-IDs are made unique with."""
    return urlsplit(current_app.config["BASE_URL"]).hostname or "localhost"
