"""Demo data for `make demo`: a staff user, a client, and a catalog with the shared packages."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from moorage.catalog.actions import PREMADE_SHARED4, order_page_create
from moorage.catalog.models import OrderPage
from moorage.core import clock
from moorage.core.models import User
from moorage.customers.actions import client_register
from moorage.customers.registration import ensure_builtin_fields

STAFF_EMAIL = "admin@moorage.localhost"
CLIENT_EMAIL = "demo.client@moorage.localhost"
CLIENT_PASSWORD = "demo-client-pass"  # noqa: S105 (a demo account, printed at start)


def load_demo_data(*, staff_password: str) -> dict[str, Any]:
    """Create what is missing; running it again changes nothing but the staff password."""
    now = clock.now()
    ensure_builtin_fields()
    with transaction.atomic():
        staff = User.objects.filter(email=STAFF_EMAIL).first()
        if staff is None:
            staff = User.objects.create_superuser(email=STAFF_EMAIL, password=staff_password, first_name="Admin")
        else:
            staff.set_password(staff_password)
            staff.save(update_fields=["password"])
    if not OrderPage.objects.filter(slug="shared-hosting").exists():
        order_page_create(name="Shared Hosting", slug="shared-hosting", now=now, actor=staff, premade=PREMADE_SHARED4,
                          description="Fast, reliable web hosting on ispmanager, ready in minutes.")
    if not User.objects.filter(email=CLIENT_EMAIL).exists():
        client_register(email=CLIENT_EMAIL, password=CLIENT_PASSWORD, now=now, actor=staff,
                        profile={"first_name": "Demo", "last_name": "Client", "country": "DE", "city": "Berlin"})
    return {"staff_email": STAFF_EMAIL, "staff_password": staff_password, "client_email": CLIENT_EMAIL,
            "client_password": CLIENT_PASSWORD}
