"""The service lifecycle: one transition table and the one function that applies it."""

from __future__ import annotations

import datetime as dt

from moorage.core.errors import DomainError
from moorage.core.models import User
from moorage.services.models import Service, ServiceComponent, ServiceStatusChange

S = Service.Status

TRANSITIONS: dict[str, frozenset[str]] = {
    S.PENDING: frozenset({S.ACTIVE, S.CANCELLED, S.FRAUD}),
    S.ACTIVE: frozenset({S.SUSPENDED, S.TERMINATED, S.CANCELLED, S.FRAUD}),
    S.SUSPENDED: frozenset({S.ACTIVE, S.TERMINATED, S.CANCELLED, S.FRAUD}),
    S.FRAUD: frozenset({S.PENDING, S.CANCELLED, S.TERMINATED}),
    S.TERMINATED: frozenset(),
    S.CANCELLED: frozenset(),
}


class IllegalTransition(DomainError):
    code = "illegal_transition"
    status = 409


def can_transition(current: str, target: str) -> bool:
    return target in TRANSITIONS[current]


def transition(
    service: Service, target: str, *, now: dt.datetime, actor: User | None = None, reason: str = ""
) -> ServiceStatusChange:
    """Move `service` to `target`, or raise IllegalTransition; writes the history row.

    Called inside an action's transaction with the service row locked.
    """
    current = service.status
    if not can_transition(current, target):
        raise IllegalTransition(
            f"a {S(current).label.lower()} service cannot become {S(target).label.lower()}",
            field="status",
        )
    service.status = target
    service.status_reason = reason if target == S.SUSPENDED else ""
    service.save(update_fields=["status", "status_reason"])
    if target in (S.TERMINATED, S.CANCELLED):
        # Its add-ons, priced options and discounts end with it: never billed again.
        ServiceComponent.objects.filter(service=service).exclude(status=ServiceComponent.Status.ENDED).update(
            status=ServiceComponent.Status.ENDED, ended_at=now
        )
    return ServiceStatusChange.objects.create(
        service=service,
        from_status=current,
        to_status=target,
        reason=reason,
        actor=actor if actor is not None and actor.pk else None,
        created_at=now,
    )
