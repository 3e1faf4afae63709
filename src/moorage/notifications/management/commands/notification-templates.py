"""`moorage notification-templates`: install the built-in notification templates that are missing, or
(`--reset`) put the built-in English and Russian texts back into every event's Default template."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from moorage.core import clock
from moorage.notifications import events
from moorage.notifications.models import NotificationTemplate
from moorage.notifications.texts import install_defaults


class Command(BaseCommand):
    help = "Install the built-in notification templates; --reset restores the Default templates' texts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--reset", action="store_true", help="overwrite the Default templates' texts")
        parser.add_argument("--list", action="store_true", help="list the events and their templates")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["list"]:
            for event in events.EVENTS.values():
                names = ", ".join(
                    f"{t.name}{' (default)' if t.is_default else ''}"
                    for t in NotificationTemplate.objects.filter(event=event.code)
                )
                self.stdout.write(f"{event.code:28} {event.audience:7} {event.label}: {names or '-'}")
            return
        written = install_defaults(now=clock.now(), reset=options["reset"])
        self.stdout.write(f"{written} template text(s) written.")
