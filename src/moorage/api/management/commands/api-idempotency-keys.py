"""`moorage api-idempotency-keys prune [--days N]`: forget API Idempotency-Keys older than N days."""

from django.core.management.base import BaseCommand, CommandError

from moorage.api.actions import IDEMPOTENCY_KEY_DAYS, api_idempotency_keys_prune
from moorage.core import clock
from moorage.core.errors import DomainError


class Command(BaseCommand):
    help = "Forget API Idempotency-Keys older than --days (a retry after that places a new order)."

    def add_arguments(self, parser):  # noqa: ANN001
        sub = parser.add_subparsers(dest="action", required=True)
        prune = sub.add_parser("prune", help="delete old keys")
        prune.add_argument("--days", type=int, default=IDEMPOTENCY_KEY_DAYS, help="keep keys this many days")

    def handle(self, *args, **options):  # noqa: ANN002, ANN003
        try:
            deleted = api_idempotency_keys_prune(now=clock.now(), days=options["days"])
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"{deleted} idempotency keys removed")
