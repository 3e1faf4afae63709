"""Service use cases that change only billing's side (dates, status); remote work is provisioning's."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from moorage.catalog.models import product_setting
from moorage.core.actions import audit
from moorage.core.clock import local_date
from moorage.core.errors import DomainError, NotFound
from moorage.core.models import User
from moorage.services import lifecycle
from moorage.services.dates import initial_dates
from moorage.services.locks import lock_row
from moorage.services.models import Service

# Statuses that must follow the panel for a service with a panel account.
PANEL_STATUSES = (Service.Status.ACTIVE, Service.Status.SUSPENDED, Service.Status.TERMINATED)


def lock_service(service_id: int) -> Service:
    """Lock one service row (only it: not its product or client) for the rest of the transaction,
    through the money lock order (`services/locks.py`: services come first)."""
    service = lock_row(Service.objects.select_related("product", "client"), service_id)
    if service is None:
        raise NotFound(f"no service with id {service_id}", field="service")
    return service


def set_initial_dates(service: Service, *, paid_on: dt.date) -> None:
    """Inner step: fix start date, anchor and next due date when the first invoice is paid."""
    dates = initial_dates(
        cycle=service.cycle,
        order_date=local_date(service.created_at),
        paid_on=paid_on,
        adjust_initial_period=bool(product_setting(service.product, "adjust_initial_period")),
        full_month_billing=service.product.full_month_billing,
    )
    next_due = dates.next_due_date
    if service.product.is_postpaid and dates.anchor_date is not None:
        # The first period is unbilled: it is invoiced when it ends. It starts at the start date, also
        # with Full Month Billing, whose anchor is the 1st of the next month (a full price for it).
        next_due = dates.start_date
    service.start_date = dates.start_date
    service.anchor_date = dates.anchor_date
    service.anchor_day = dates.anchor_day
    service.next_due_date = next_due
    service.save(update_fields=["start_date", "anchor_date", "anchor_day", "next_due_date"])


def activate(service: Service, *, now: dt.datetime, actor: User | None = None, reason: str = "") -> None:
    """Inner step: pending → active (the dates must already be set)."""
    lifecycle.transition(service, Service.Status.ACTIVE, now=now, actor=actor, reason=reason)
    audit(actor=actor, action="service_activate", obj=service, now=now, message=reason)


@transaction.atomic(durable=True)
def service_set_status(
    *, service_id: int, status: str, now: dt.datetime, actor: User | None, reason: str = ""
) -> Service:
    """Change a service's status by hand (staff), through the lifecycle table.

    For services with a provisioning module, suspend/unsuspend/terminate go through provisioning
    jobs instead, so the panel and billing agree.
    """
    service = lock_service(service_id)
    if status not in Service.Status.values:
        raise DomainError(f"unknown status {status!r}", field="status")
    account = getattr(service, "panel_account", None)  # the reverse side; services does not import provisioning
    if account is not None and account.exists_on_panel and status in PANEL_STATUSES:
        raise DomainError(
            "this service has an account on a control panel: use Suspend, Unsuspend or Terminate, which change the "
            "panel first",
            field="status",
            code="use_panel_actions",
        )
    if status == Service.Status.ACTIVE and service.start_date is None:
        set_initial_dates(service, paid_on=local_date(now))
    lifecycle.transition(service, status, now=now, actor=actor, reason=reason)
    audit(actor=actor, action=f"service_{status}", obj=service, now=now, message=reason)
    return service


def advance_due_date(service: Service, *, period_start: dt.date) -> bool:
    """Inner step: the period starting at `period_start` is settled (paid, or invoiced with renew on
    issue): the next due date moves one anchored cycle on. Only when it still is that period, so a
    period advances the date exactly once. True if it moved."""
    if service.next_due_date != period_start or service.anchor_date is None:
        return False
    from moorage.core.cycles import next_due_after

    service.next_due_date = next_due_after(service.anchor_date, service.cycle, period_start, service.anchor_day)
    service.save(update_fields=["next_due_date"])
    return True
