"""`moorage usage-sync [--connection ID]`: read usage from the panels now, one connection at a time.

The automation queues the same job hourly for workers; this command runs it in the foreground (for
staff, or for installations that run no worker).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from moorage.core import clock
from moorage.core.errors import DomainError
from moorage.metering.actions import usage_collect
from moorage.provisioning.models import AppConnection


class Command(BaseCommand):
    help = "Collect disk, bandwidth and resource usage of every service from its panel."

    def add_arguments(self, parser):  # noqa: ANN001
        parser.add_argument("--connection", type=int, action="append", help="app connection id (repeatable)")

    def handle(self, *args, **options):  # noqa: ANN002, ANN003
        connections = AppConnection.objects.filter(accounts__exists_on_panel=True).distinct().order_by("pk")
        if options["connection"]:
            connections = AppConnection.objects.filter(pk__in=options["connection"]).order_by("pk")
            if len(connections) != len(set(options["connection"])):
                raise CommandError("no such app connection")
        failed = 0
        for connection in connections:
            try:
                result = usage_collect(connection_id=connection.pk, now=clock.now())
            except DomainError as exc:
                failed += 1
                self.stderr.write(f"{connection.name}: {exc.message}")
                continue
            missing = f"; not on the panel: {', '.join(result.missing)}" if result.missing else ""
            if result.foreign:
                missing += f"; held by an account billing did not create: {', '.join(result.foreign)}"
            self.stdout.write(f"{result.connection}: {result.accounts} account(s), {result.samples} sample(s){missing}")
        if failed:
            raise SystemExit(2)
