"""`moorage cron [--date YYYY-MM-DD] [--dry-run] [--progress]`: the automation run for one day."""

from __future__ import annotations

import datetime as dt
import signal

from django.core.management.base import BaseCommand, CommandError

from moorage.automation.run import automation_run
from moorage.core import clock

LABELS = {
    "accounts_queued": "accounts queued for creation",
    "invoices_created": "invoices created",
    "credit_applied": "clients' credit applied",
    "reminders_sent": "invoices reminded",
    "late_fees_added": "late fees added",
    "suspensions": "suspensions",
    "unsuspensions": "unsuspensions",
    "terminations": "terminations",
    "orders_cancelled": "unpaid orders cancelled",
    "cancellations": "cancellation requests processed",
    "expiration_notices": "services sent expiration notices",
    "usage_syncs_queued": "usage jobs queued",
    "jobs_requeued": "provisioning jobs re-queued",
    "emails_requeued": "emails re-queued",
    "emails_unknown": "emails left sending by a stopped worker (now unknown: check and resend)",
    "orders_deleted": "order deletions completed",
    "addons_ended": "cancelled add-ons ended",
    "form_edits_closed": "Edit Forms changes closed (their invoice was cancelled)",
    "reconcile_runs": "panels reconciled with billing",
    "reconcile_new_findings": "new reconciliation findings (staff told)",
    "reconcile_errors": "panels that could not be reconciled",
    "failures": "failures",
}


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"stopped by signal {signum}")


class Command(BaseCommand):
    help = "Run the automation for a day: invoices, credit, reminders, late fees, suspensions, terminations …"

    def add_arguments(self, parser):  # noqa: ANN001
        parser.add_argument("--date", help="the business date to run for (default: today, or MOORAGE_CLOCK_DATE)")
        parser.add_argument("--dry-run", action="store_true", help="print what would be done; change nothing")
        parser.add_argument("--progress", action="store_true", help="print each step as it finishes")

    def handle(self, *args, **options):  # noqa: ANN002, ANN003
        if options["date"]:
            try:
                today = dt.date.fromisoformat(options["date"])
            except ValueError as exc:
                raise CommandError(f"--date must be YYYY-MM-DD, not {options['date']!r}") from exc
            now = dt.datetime.combine(today, dt.time(0, 5), tzinfo=clock.business_tz()).astimezone(dt.UTC)
        else:
            now = clock.now()
            today = clock.local_date(now)
        progress = self.stdout.write if options["progress"] else None
        # systemd and cron stop a job with SIGTERM: end the run as "interrupted", not "running".
        signal.signal(signal.SIGTERM, _stop)
        result = automation_run(today=today, now=now, dry_run=options["dry_run"], progress=progress)
        if options["dry_run"]:
            self.stdout.write(f"Dry run for {today}: {len(result.planned)} item(s) would be examined; nothing changed.")
            for line in result.planned:
                self.stdout.write(f"  {line}")
            return
        self.stdout.write(f"Automation run #{result.run.pk} for {today}:")
        for key, label in LABELS.items():
            self.stdout.write(f"  {label}: {result.counts.get(key, 0)}")
        for failure in result.failures:
            self.stderr.write(f"  FAILED {failure}")
        if result.failures:
            raise SystemExit(2)
