"""`moorage provision`: run the provisioning jobs that are due now (the cron safety net)."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from moorage.core import clock
from moorage.provisioning.runner import run_due_jobs


class Command(BaseCommand):
    help = "Run every provisioning job that is due (jobs whose worker wake-up was lost are picked up here)."

    def add_arguments(self, parser):  # noqa: ANN001
        parser.add_argument("--limit", type=int, default=1000)

    def handle(self, *args, **options):  # noqa: ANN002, ANN003
        ran = run_due_jobs(now=timezone.now(), business_now=clock.now(), limit=options["limit"])
        self.stdout.write(f"ran {ran} provisioning job(s)")
