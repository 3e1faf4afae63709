"""Realistic data in bulk for benchmarks and trials: clients with active services on the catalog."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction

from moorage.catalog.actions import PREMADE_SHARED4, order_page_create
from moorage.catalog.models import OrderPage, Product
from moorage.core.cycles import Cycle, nth_due_date
from moorage.core.models import User
from moorage.customers.models import Client
from moorage.services.models import Service

BATCH = 5000
FIRST = ["Anna", "Ben", "Chen", "Dara", "Emil", "Fatima", "Goran", "Hana", "Ivan", "Jonas", "Kira", "Lea", "Marek"]
LAST = ["Novak", "Schmidt", "Rossi", "Ivanova", "Kowalski", "Dubois", "Jensen", "Costa", "Horvat", "Berg"]
CITIES = [("Berlin", "DE"), ("Prague", "CZ"), ("Warsaw", "PL"), ("Lyon", "FR"), ("Porto", "PT"), ("Oslo", "NO")]


def seed(
    *,
    clients: int,
    services: int,
    today: dt.date,
    due_share: float = 0.05,
    generate_days: int = 14,
    rng_seed: int = 1,
    progress=print,
) -> dict[str, int]:  # noqa: ANN001
    """Create `clients` clients and `services` active services spread over them.

    A share `due_share` of the services has its next due date inside the invoice window (they need
    a renewal invoice today); the others are due later. Returns counts.
    """
    rng = random.Random(rng_seed)
    now = dt.datetime.combine(today, dt.time(9), tzinfo=dt.UTC)
    page = OrderPage.objects.filter(slug="shared-hosting").first()
    if page is None:
        page = order_page_create(
            name="Shared Hosting", slug="shared-hosting", now=now, actor=None, premade=PREMADE_SHARED4
        )
    products = list(Product.objects.filter(order_page=page).prefetch_related("prices"))
    prices = {(p.pk, pr.cycle): pr.amount for p in products for pr in p.prices.all()}
    password = make_password(None)  # unusable: seeded clients do not log in
    start_id = (User.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    made_clients = 0
    for offset in range(0, clients, BATCH):
        size = min(BATCH, clients - offset)
        with transaction.atomic():
            users = User.objects.bulk_create(
                [
                    User(
                        email=f"seed{start_id + offset + i}@example.com",
                        password=password,
                        first_name=rng.choice(FIRST),
                        last_name=rng.choice(LAST),
                        date_joined=now,
                    )
                    for i in range(size)
                ]
            )
            if connection.vendor == "sqlite" and users and users[0].pk is None:
                users = list(User.objects.filter(email__in=[u.email for u in users]))
            city = [rng.choice(CITIES) for _ in users]
            Client.objects.bulk_create(
                [
                    Client(
                        user=u,
                        first_name=u.first_name,
                        last_name=u.last_name,
                        city=c[0],
                        country=c[1],
                        address1=f"{rng.randint(1, 200)} Harbour Street",
                        zip_code=f"{rng.randint(10000, 99999)}",
                        account_type=Client.AccountType.PRIVATE,
                        created_at=now,
                    )
                    for u, c in zip(users, city, strict=True)
                ]
            )
        made_clients += size
        progress(f"clients: {made_clients}/{clients}")
    client_ids = list(Client.objects.order_by("-pk").values_list("pk", flat=True)[:clients])
    made = 0
    for offset in range(0, services, BATCH):
        size = min(BATCH, services - offset)
        rows = []
        for _ in range(size):
            product = rng.choice(products)
            cycle = Cycle.MONTHLY if rng.random() < 0.8 else Cycle.ANNUALLY
            if rng.random() < due_share:
                due = today + dt.timedelta(days=rng.randint(0, generate_days))
            else:
                due = today + dt.timedelta(days=rng.randint(generate_days + 1, generate_days + 30))
            anchor = nth_due_date(due, cycle, -rng.randint(1, 12))
            rows.append(
                Service(
                    client_id=rng.choice(client_ids),
                    product=product,
                    cycle=cycle,
                    recurring_amount=prices.get((product.pk, cycle.value), Decimal("9.99")),
                    hostname=f"site{rng.randint(1, 10**9)}.example.com",
                    status=Service.Status.ACTIVE,
                    created_at=now,
                    start_date=anchor,
                    anchor_date=anchor,
                    anchor_day=anchor.day,
                    next_due_date=due,
                )
            )
        with transaction.atomic():
            Service.objects.bulk_create(rows)
        made += size
        progress(f"services: {made}/{services}")
    return {"clients": made_clients, "services": made}
