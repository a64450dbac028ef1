"""A real SMTP server on loopback for the mail tests (aiosmtpd), keeping what it receives."""

import socket
from contextlib import contextmanager
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    """A loopback port nothing listens on (now): where a server that is down would be."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """The server's handler: accepts each message into ``messages``, or answers ``refuse`` ("550 ...") instead."""

    def __init__(self):
        self.messages = []
        self.envelopes = []
        self.refuse: str | None = None

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            return self.refuse
        self.envelopes.append(envelope)
        self.messages.append(message_from_bytes(envelope.original_content, policy=policy.default))
        return "250 Message accepted for delivery"


def password_check(user: str, password: str):
    """An aiosmtpd authenticator that lets in one login."""

    def check(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
            user.encode(),
            password.encode(),
        )
        # handled=False: aiosmtpd answers a failure itself (535).
        return AuthResult(success=ok, handled=False)

    return check


@contextmanager
def smtp_server(port: int | None = None, inbox: Inbox | None = None, **options):
    """A server on loopback; ``options`` go to aiosmtpd's SMTP (authenticator=, auth_required=...)."""
    inbox = inbox or Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port or free_port(), **options)
    controller.start()
    try:
        yield controller.port, inbox
    finally:
        controller.stop()
