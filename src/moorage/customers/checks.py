"""`moorage check --database default`: clients whose login carries staff rights (rows from before the
guard of issue #10); client screens refuse to act on them until a superuser separates the logins."""

from __future__ import annotations

from django.core.checks import Tags, Warning, register
from django.db import DatabaseError
from django.db.models import Q


@register(Tags.security, Tags.database)
def clients_with_staff_logins(app_configs, databases=None, **kwargs):  # noqa: ANN001, ANN003, ANN201
    if not databases:
        return []  # reads rows: only when asked for database checks
    from moorage.customers.models import Client

    try:
        bad = _bad_clients(Client)
    except DatabaseError:
        return []  # not migrated yet (migrate runs the checks first)
    if not bad:
        return []
    return [
        Warning(
            f"Client(s) {', '.join(f'#{pk}' for pk in bad)} sign in with a login that has staff rights.",
            hint="Remove the staff flags, groups and permissions from those logins (Users) and give each staff "
            "member a login of their own; until then Login as Client and Set password refuse them.",
            id="moorage.W101",
        )
    ]


def _bad_clients(Client) -> list[int]:  # noqa: ANN001, N803
    return list(
        Client.objects.filter(
            Q(user__is_staff=True)
            | Q(user__is_superuser=True)
            | Q(user__groups__isnull=False)
            | Q(user__user_permissions__isnull=False)
        )
        .values_list("pk", flat=True)
        .distinct()
        .order_by("pk")[:20]
    )
