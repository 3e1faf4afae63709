"""An email backend whose server is always unreachable (transient failures)."""

import smtplib

from django.core.mail.backends.base import BaseEmailBackend


class DownBackend(BaseEmailBackend):
    def send_messages(self, email_messages):  # noqa: ANN001, ANN201
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
