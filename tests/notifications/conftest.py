"""A real SMTP server on a free local port (aiosmtpd) that can be stopped and started again, and
notification rows made directly (what a notification event produces)."""

from __future__ import annotations

import itertools
import socket
import threading

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message

from moorage.notifications.models import Notification


class Inbox(Message):
    """Keeps every message; refuses recipients in `refuse` with 550; `gate` (when set) holds each
    message until released, so a test can catch a send in the middle."""

    def __init__(self):
        super().__init__()
        self.messages = []
        self.refuse: set[str] = set()
        self.gate: threading.Event | None = None
        self.arrived = threading.Event()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: ANN001, ANN201, N802
        if address in self.refuse:
            return "550 5.1.1 no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    def handle_message(self, message):  # noqa: ANN001, ANN201
        self.arrived.set()
        if self.gate is not None:
            self.gate.wait(timeout=30)
        self.messages.append(message)


class SmtpServer:
    def __init__(self):
        self.inbox = Inbox()
        with socket.socket() as probe:  # a free port chosen at run time
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self) -> list:
        return self.inbox.messages


@pytest.fixture
def smtp_server(settings):
    """The SMTP backend pointed at a local server on a free port, not started yet."""
    server = SmtpServer()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 5
    yield server
    server.stop()


@pytest.fixture
def smtp(smtp_server):
    smtp_server.start()
    return smtp_server.inbox


_keys = itertools.count(1)


@pytest.fixture
def make_row(now):
    """A queued notification row as an event would produce it (email by default)."""

    def make(client, **fields):  # noqa: ANN001, ANN003, ANN202
        values = {
            "client": client,
            "template": "account_created",
            "dedupe_key": f"test:{next(_keys)}",
            "to_email": client.user.email if client else "staff@example.com",
            "subject": "Your account is ready",
            "body": "Hello,\n\nyour account is ready.\n",
            "created_at": now,
        }
        values.update(fields)
        return Notification.objects.create(**values)

    return make
