"""`moorage provision`: run the provisioning jobs that are due and complete pending order deletions.

Workers normally run jobs as soon as they are queued; this command (run by cron) is the safety net
for jobs whose wake-up was lost, and it finishes "Delete order" requests whose accounts are gone.
"""

from django.core.management.base import BaseCommand
from django.utils import timezone

from moorage.core import clock
from moorage.orders.deletion import order_finish_deletions
from moorage.provisioning.runner import run_due_jobs


class Command(BaseCommand):
    help = "Run every provisioning job that is due, then complete order deletions waiting for terminations."

    def add_arguments(self, parser):  # noqa: ANN001
        parser.add_argument("--limit", type=int, default=1000)

    def handle(self, *args, **options):  # noqa: ANN002, ANN003
        ran = run_due_jobs(now=timezone.now(), business_now=clock.now(), limit=options["limit"])
        deleted = order_finish_deletions(now=clock.now())
        self.stdout.write(f"ran {ran} provisioning job(s); completed {deleted} order deletion(s)")
