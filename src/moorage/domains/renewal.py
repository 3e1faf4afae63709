"""The domains' steps of the automation run: renewal invoices before expiry, expiry reminders, expiry,
and waking workers for domain jobs that lost their wake-up.

Each step has the shape of `automation.steps.Step` (plan yields ids, apply works on one in the run's
transaction and says what it did, or None); the automation lists them in its STEPS (this app sits
below automation and never imports it). "Never twice": one renewal invoice per (domain, expiry date)
is a unique key (DomainInvoice), each reminder a notification dedupe key.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import transaction

from moorage.billing.actions import LineSpec, cancel_invoice, issue_invoice, lock_invoice
from moorage.billing.models import Invoice, InvoiceLine
from moorage.domains.actions import domain_line
from moorage.domains.jobs import _due, domain_data, lock_domain
from moorage.domains.models import Domain, DomainInvoice, DomainJob
from moorage.notifications.actions import notify

BATCH = 2000


def renew_days() -> int:
    """Issue the renewal invoice this many days before expiry (MOORAGE_DOMAIN_RENEW_DAYS, 30)."""
    return int(getattr(settings, "MOORAGE_DOMAIN_RENEW_DAYS", 30))


def reminder_days() -> tuple[int, ...]:
    """Expiry reminders this many days before (MOORAGE_DOMAIN_REMINDER_DAYS, 30, 7 and 1)."""
    return tuple(sorted(int(d) for d in getattr(settings, "MOORAGE_DOMAIN_REMINDER_DAYS", (30, 7, 1))))


def grace_days() -> int:
    """An expired domain's renewal invoice may still be paid this long (MOORAGE_DOMAIN_GRACE_DAYS, 30)."""
    return int(getattr(settings, "MOORAGE_DOMAIN_GRACE_DAYS", 30))


def _ids(qs) -> Iterator[int]:  # noqa: ANN001
    yield from qs.values_list("pk", flat=True).order_by("pk").iterator(chunk_size=BATCH)


def issue_renewal(domain: Domain, *, today: dt.date, now: dt.datetime) -> Invoice | None:
    """Inner step: the renewal invoice of the domain's current period (one year), once per expiry date."""
    if domain.expires_on is None:
        return None
    key = domain.expires_on.isoformat()
    if DomainInvoice.objects.filter(domain=domain, kind=DomainInvoice.Kind.RENEW, period_key=key).exists():
        return None
    years = 1
    amount = domain.tld.renew_price * years
    start = domain.expires_on
    invoice = issue_invoice(
        client=domain.client,
        kind=Invoice.Kind.RENEWAL,
        lines=[
            LineSpec(
                kind=InvoiceLine.Kind.DOMAIN,
                description=domain_line("renew", domain.name, years, amount),
                amount=amount,
                period_start=start,
                period_end=start + relativedelta(years=years) - dt.timedelta(days=1),
            )
        ],
        issue_date=today,
        due_date=max(today, domain.expires_on),
        now=now,
    )
    # The unique key: another run invoicing this period at the same moment fails here, undoing its invoice.
    DomainInvoice.objects.create(
        domain=domain, invoice=invoice, kind=DomainInvoice.Kind.RENEW, years=years, period_key=key, created_at=now
    )
    return invoice


class DomainRenewals:
    """Domains: a renewal invoice N days before expiry, for domains that renew automatically."""

    name, counter, object_type = "domain_renewals", "domain_renewals", "domain"

    def plan(self, ctx: Any) -> Iterator[int]:
        return _ids(
            Domain.objects.filter(
                status__in=(Domain.Status.ACTIVE, Domain.Status.EXPIRED),
                auto_renew=True,
                expires_on__isnull=False,
                expires_on__lte=ctx.today + dt.timedelta(days=renew_days()),
                expires_on__gte=ctx.today - dt.timedelta(days=grace_days()),
            )
        )

    def apply(self, ctx: Any, pk: int) -> str | None:
        domain = lock_domain(pk)
        if domain.status not in (Domain.Status.ACTIVE, Domain.Status.EXPIRED) or not domain.auto_renew:
            return None
        if domain.expires_on is None or domain.expires_on > ctx.today + dt.timedelta(days=renew_days()):
            return None
        invoice = issue_renewal(domain, today=ctx.today, now=ctx.now)
        return f"renewal invoice {invoice.number}" if invoice else None


class DomainExpiry:
    """Domains: expiry reminders (30/7/1 days before), expired on the expiry day when not renewed, and
    after the grace period the unpaid renewal invoice is cancelled and the domain let go."""

    name, counter, object_type = "domain_expiry", "domain_expiry", "domain"

    def plan(self, ctx: Any) -> Iterator[int]:
        window = ctx.today + dt.timedelta(days=max(reminder_days() or (0,)))
        return _ids(
            Domain.objects.filter(
                status__in=(Domain.Status.ACTIVE, Domain.Status.EXPIRED),
                expires_on__isnull=False,
                expires_on__lte=window,
            )
        )

    def apply(self, ctx: Any, pk: int) -> str | None:
        # Invoices before the domain: the order a payment of its renewal invoice takes them in.
        renewals = DomainInvoice.objects.filter(
            domain_id=pk, kind=DomainInvoice.Kind.RENEW, invoice__status=Invoice.Status.UNPAID
        )
        unpaid = [lock_invoice(i) for i in sorted(renewals.values_list("invoice_id", flat=True))]
        domain = lock_domain(pk)
        today = ctx.today
        if domain.expires_on is None or domain.status not in (Domain.Status.ACTIVE, Domain.Status.EXPIRED):
            return None
        if domain.status == Domain.Status.ACTIVE and domain.expires_on <= today:
            domain.status = Domain.Status.EXPIRED
            domain.save(update_fields=["status"])
            notify(
                template="domain_expired",
                client=domain.client,
                dedupe_key=f"domain_expired:{domain.pk}:{domain.expires_on}",
                now=ctx.now,
                context={"domain": domain_data(domain)},
                service_id=domain.service_id,
            )
            return f"expired on {domain.expires_on}"
        if domain.status == Domain.Status.EXPIRED:
            if domain.expires_on + dt.timedelta(days=grace_days()) >= today:
                return None
            for invoice in unpaid:
                if invoice.status == Invoice.Status.UNPAID:
                    cancel_invoice(
                        invoice=invoice, now=ctx.now, cancelled_on=today, reason="domain expired and not renewed"
                    )
            domain.status = Domain.Status.CANCELLED
            domain.save(update_fields=["status"])
            return "let go after the grace period"
        due = [d for d in reminder_days() if domain.expires_on - dt.timedelta(days=d) <= today < domain.expires_on]
        if not due:
            return None
        nearest = min(due)
        sent = None
        for days in due:  # a missed run sends only the nearest reminder; the others are recorded skipped
            row = notify(
                template="domain_expiry",
                client=domain.client,
                dedupe_key=f"domain_expiry:{domain.pk}:{domain.expires_on}:{days}",
                now=ctx.now,
                context={"domain": domain_data(domain), "days": (domain.expires_on - today).days},
                service_id=domain.service_id,
                skip=days != nearest,
            )
            if row is not None and days == nearest:
                sent = days
        return f"expiry reminder {sent} days before" if sent is not None else None


class DomainJobsWake:
    """Domains: wake a worker for each due domain job that lost its wake-up (the task queue failed)."""

    name, counter, object_type = "domain_jobs", "domain_jobs_requeued", "domain_job"

    def plan(self, ctx: Any) -> Iterator[int]:
        from django.utils import timezone

        real_now = timezone.now()
        return _ids(_due(real_now).filter(next_attempt_at__lt=real_now - dt.timedelta(minutes=5)))

    def apply(self, ctx: Any, pk: int) -> str | None:
        from moorage.domains.tasks import enqueue_job

        if not DomainJob.objects.filter(pk=pk, status__in=DomainJob.OPEN).exists():
            return None
        transaction.on_commit(lambda: enqueue_job(pk))
        return "worker woken"


STEPS = (DomainRenewals(), DomainExpiry(), DomainJobsWake())
