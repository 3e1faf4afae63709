"""Manual Service Renew (a client function): the next period's renewal invoice now, once.

It is the automation's renewal invoice issued early (`issue_renewal(force=True)`), so the unique key
on (service, period start) keeps the cron run from billing the same period again, and a second
click shows the invoice already issued instead of making another.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from moorage.billing.models import Invoice, InvoiceLine
from moorage.billing.renewal import issue_renewal
from moorage.catalog.models import Product
from moorage.core.actions import audit
from moorage.core.cycles import Cycle, next_due_after
from moorage.core.errors import DomainError, NotFound
from moorage.core.models import User
from moorage.services.actions import lock_service
from moorage.services.models import CancellationRequest, Service

RENEWABLE = (Service.Status.ACTIVE, Service.Status.SUSPENDED)


@dataclass(frozen=True)
class ManualRenewal:
    invoice: Invoice
    created: bool  # False: an invoice already billed the next period (or waits unpaid), shown instead


def manual_renew_refusal(service: Service, *, today: dt.date) -> str | None:
    """Why the service cannot be renewed by hand now, or None."""
    if service.cycle == Cycle.ONE_TIME:
        return "a one-time service has no renewal"
    if service.product.is_postpaid or service.product.price_type == Product.PriceType.METERED:
        return "a post-paid or metered service is billed when its period ends"
    if service.status not in RENEWABLE or service.next_due_date is None or service.anchor_date is None:
        return f"a {service.get_status_display().lower()} service cannot be renewed"
    if service.cancellation_requests.filter(status=CancellationRequest.Status.PENDING).exists():
        return "the service has a pending cancellation request"
    # At most the period that follows the current one: renewing is paying early, not years ahead.
    limit = next_due_after(service.anchor_date, service.cycle, max(today, service.anchor_date), service.anchor_day)
    if service.next_due_date > limit:
        return f"the service is paid until {service.expiry_date:%Y-%m-%d}; it can be renewed from its next period"
    return None


def _open_renewal(service: Service) -> Invoice | None:
    """An invoice already billing the next period, or any unpaid renewal invoice of the service."""
    line = (
        InvoiceLine.objects.filter(service=service, kind=InvoiceLine.Kind.SERVICE, period_start=service.next_due_date)
        .select_related("invoice")
        .first()
    )
    if line is not None:
        return line.invoice
    return (
        Invoice.objects.filter(
            kind=Invoice.Kind.RENEWAL,
            status=Invoice.Status.UNPAID,
            lines__service=service,
            lines__kind=InvoiceLine.Kind.SERVICE,
        )
        .order_by("pk")
        .first()
    )


@transaction.atomic(durable=True)
def service_manual_renew(
    *, service_id: int, today: dt.date, now: dt.datetime, actor: User | None, client_id: int | None = None
) -> ManualRenewal:
    """Issue the renewal invoice of the service's next period now (client or staff), or return the one
    already issued."""
    service = lock_service(service_id)
    if client_id is not None and service.client_id != client_id:
        raise NotFound(_("no service with id %(service_id)s") % {"service_id": service_id}, field="service")
    existing = _open_renewal(service) if service.next_due_date else None
    if existing is not None:
        return ManualRenewal(existing, created=False)
    if problem := manual_renew_refusal(service, today=today):
        raise DomainError(problem, field="service", code="not_renewable")
    invoice = issue_renewal(service, today=today, now=now, actor=actor, force=True)
    if invoice is None:
        # Another run issued it a moment ago (the unique key held): show that one.
        existing = _open_renewal(service)
        if existing is None:
            raise DomainError(_("the renewal invoice could not be issued"), field="service", code="not_renewable")
        return ManualRenewal(existing, created=False)
    audit(
        actor=actor,
        action="service_manual_renew",
        obj=service,
        now=now,
        message=f"Renewal invoice {invoice.display_number} issued",
        data={"invoice": invoice.pk},
    )
    return ManualRenewal(invoice, created=True)
