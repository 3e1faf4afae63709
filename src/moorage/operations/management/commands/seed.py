"""`moorage seed --clients N --services M`: fill the database with realistic data for benchmarks."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from moorage.core import clock
from moorage.operations.seed import seed


class Command(BaseCommand):
    help = "Create N clients and M active services (a share of them due for renewal) for benchmarks and trials."

    def add_arguments(self, parser):  # noqa: ANN001
        parser.add_argument("--clients", type=int, required=True)
        parser.add_argument("--services", type=int, required=True)
        parser.add_argument(
            "--due-share",
            type=float,
            default=0.05,
            help="share of services that need a renewal invoice on --date (default 0.05)",
        )
        parser.add_argument("--date", help="the business date the data is made for (default: today)")
        parser.add_argument("--seed", type=int, default=1, help="random seed")

    def handle(self, *args, **options):  # noqa: ANN002, ANN003
        if options["clients"] < 1 or options["services"] < 0:
            raise CommandError("--clients must be at least 1 and --services at least 0")
        if not 0 <= options["due_share"] <= 1:
            raise CommandError("--due-share must be between 0 and 1")
        try:
            today = dt.date.fromisoformat(options["date"]) if options["date"] else clock.today()
        except ValueError as exc:
            raise CommandError("--date must be YYYY-MM-DD") from exc
        counts = seed(
            clients=options["clients"],
            services=options["services"],
            today=today,
            due_share=options["due_share"],
            rng_seed=options["seed"],
            progress=lambda msg: self.stdout.write(msg) if options["verbosity"] > 1 else None,
        )
        self.stdout.write(f"seeded {counts['clients']} clients and {counts['services']} services for {today}")
