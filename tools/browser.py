"""Debian's Chromium, started the way this machine's closed network needs (no background connections)."""

import shutil
import threading

from werkzeug.serving import make_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def closed_before_sent(app):
    """Wrap a WSGI app so each response is read whole and closed before the server writes it.

    Werkzeug's development server skips the response's close() when the browser resets the
    connection while it drains the request (Chromium does, for a favicon it no longer wants), which
    leaks the open static file; under `pytest -W error` that ResourceWarning fails whichever test
    is running when the file is collected.
    """

    def wsgi(environ, start_response):
        response = app(environ, start_response)
        try:
            return [b"".join(response)]
        finally:
            if hasattr(response, "close"):
                response.close()

    return wsgi


def serve_in_thread(app):
    """Serve app on a free local port from a daemon thread; return the server (shutdown() stops it)."""
    server = make_server("127.0.0.1", 0, closed_before_sent(app), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
