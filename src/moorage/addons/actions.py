"""Add-on use cases after checkout: order one for a running service (pro-rated invoice), its payment,
cancel it (ends from the next renewal), end the cancelled ones when their day comes, staff tasks.

Money rules: an add-on bought later costs its price × the unused share of each period of the parent
already billed (the running one pro-rated in the product's Upgrade pro-rata unit, a period billed in
advance in full) plus its setup fee, on its own invoice; it becomes active (billed with the parent's
renewals, its limits sent to the panel by a change-package job) when that invoice is paid. Every
action locks the service first, so two requests for the same service run one after the other.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from moorage.addons.checkout import describe
from moorage.addons.models import Addon, AddonPrice, ServiceAddon
from moorage.addons.queries import offered_price
from moorage.billing.actions import LineSpec, cancel_invoice, issue_invoice, lock_invoice
from moorage.billing.models import Invoice, InvoiceLine
from moorage.billing.proration import remaining_units
from moorage.catalog.models import BillingDefaults, product_setting
from moorage.core.actions import audit
from moorage.core.clock import business_tz, local_date
from moorage.core.errors import Conflict, DomainError, NotFound
from moorage.core.models import User
from moorage.core.money import ZERO, round_money
from moorage.provisioning.actions import request_job
from moorage.provisioning.models import PanelAccount, ProvisioningJob
from moorage.services.actions import lock_service
from moorage.services.models import Service, ServiceComponent

C = ServiceComponent.Status


def midnight(day: dt.date) -> dt.datetime:
    """The start of a calendar day in the business time zone."""
    return dt.datetime.combine(day, dt.time(0), tzinfo=business_tz())


@dataclass(frozen=True)
class Quote:
    """What adding `addon` to a running service costs now (nothing is written)."""

    addon: Addon
    price: AddonPrice
    lines: tuple[LineSpec, ...]

    @property
    def total(self) -> Decimal:
        return sum((round_money(line.amount) for line in self.lines), ZERO)


def _billed_periods(service: Service, today: dt.date) -> list[tuple[dt.date, dt.date]]:
    """The parent's periods already invoiced (not cancelled) that have not ended: (first day, last day)."""
    rows = (
        InvoiceLine.objects.filter(
            service=service,
            kind=InvoiceLine.Kind.SERVICE,
            period_start__isnull=False,
            period_end__gte=today,
        )
        .exclude(invoice__status=Invoice.Status.CANCELLED)
        .values_list("period_start", "period_end")
        .distinct()
        .order_by("period_start")
    )
    return list(rows)


def _check_service(service: Service) -> None:
    if service.status != Service.Status.ACTIVE:
        raise DomainError(
            _("add-ons can be added to an active service only; this one is %(status)s")
            % {"status": service.get_status_display().lower()},
            field="service",
            code="not_active",
        )


def addon_quote(*, service: Service, addon: Addon, now: dt.datetime) -> Quote:
    """The lines of the invoice for adding `addon` to `service` at `now`, or a DomainError saying why not."""
    _check_service(service)
    price = offered_price(addon, service.cycle)
    if price is None:
        raise DomainError(
            _("%(addon)s is not offered with this service's billing cycle") % {"addon": addon.name},
            field="addon",
            code="addon_no_price",
        )
    today = local_date(now)
    lines: list[LineSpec] = []
    name = describe(addon)
    if price.recurring:
        if service.product.is_postpaid:
            raise DomainError(
                _("add-ons cannot be added to a post-paid service during its period"),
                field="service",
                code="postpaid",
            )
        periods = _billed_periods(service, today)
        if not periods:
            raise DomainError(
                _("the service has no paid period to add the add-on to"), field="service", code="no_period"
            )
        unit = str(product_setting(service.product, "upgrade_proration", BillingDefaults.load()))
        for start, last in periods:
            left, total = remaining_units(
                period_start=midnight(start), period_end=midnight(last + dt.timedelta(days=1)), moment=now, unit=unit
            )
            if left <= 0:
                continue
            share = Decimal(left) / Decimal(total)
            first = max(start, today)
            label = name
            if share < 1:
                label = gettext("%(name)s, pro-rata %(share)s%% of %(start)s – %(end)s") % {
                    "name": name,
                    "share": f"{share * 100:.2f}",
                    "start": start,
                    "end": last,
                }
            lines.append(
                LineSpec(
                    kind=InvoiceLine.Kind.ADDON,
                    description=label[:300],
                    amount=price.amount * share,
                    service=service,
                    cycle=service.cycle,
                    period_start=first,
                    period_end=last,
                )
            )
    else:
        lines.append(LineSpec(kind=InvoiceLine.Kind.ADDON, description=name, amount=price.amount, service=service))
    if price.setup_fee:
        lines.append(
            LineSpec(
                kind=InvoiceLine.Kind.SETUP,
                description=gettext("Setup fee: add-on %(name)s") % {"name": addon.name},
                amount=price.setup_fee,
                service=service,
            )
        )
    return Quote(addon=addon, price=price, lines=tuple(lines))


def _find_addon(service: Service, addon_id: int, *, staff: bool) -> Addon:
    addon = Addon.objects.filter(pk=addon_id, products=service.product_id).first()
    if addon is None or (not staff and not addon.visible):
        raise NotFound(_("no such add-on for this service"), field="addon")
    return addon


def _close_stale(service: Service, *, now: dt.datetime) -> None:
    """An add-on waiting for an invoice that was cancelled meanwhile ends (so it may be ordered again)."""
    stale = ServiceAddon.objects.filter(
        service=service, component__status=C.PENDING, invoice__status=Invoice.Status.CANCELLED
    )
    ServiceComponent.objects.filter(service_addon__in=stale).update(status=C.ENDED, ended_at=now)


@transaction.atomic(durable=True)
def service_addon_order(
    *, service_id: int, addon_id: int, now: dt.datetime, actor: User | None, staff: bool = False
) -> ServiceAddon:
    """Add an add-on to a running service (client or staff): its own pro-rated invoice; active when paid."""
    service = lock_service(service_id)
    _close_stale(service, now=now)
    addon = _find_addon(service, addon_id, staff=staff)
    quote = addon_quote(service=service, addon=addon, now=now)
    total = quote.total
    try:
        with transaction.atomic():
            component = ServiceComponent.objects.create(
                service=service,
                kind=ServiceComponent.Kind.ADDON,
                source=addon.source,
                description=describe(addon)[:300],
                recurring_amount=quote.price.amount if quote.price.recurring else ZERO,
                limits=dict(addon.limits or {}),
                status=C.PENDING if total > 0 else C.ACTIVE,
                created_at=now,
            )
    except IntegrityError as exc:
        raise Conflict(
            _("the service already has the add-on %(name)s") % {"name": addon.name}, field="addon", code="addon_exists"
        ) from exc
    row = ServiceAddon.objects.create(
        service=service,
        addon=addon,
        component=component,
        origin=ServiceAddon.Origin.LATER,
        recurring_amount=component.recurring_amount,
        amount_charged=total,
        created_at=now,
    )
    if total > 0:
        today = local_date(now)
        row.invoice = issue_invoice(
            client=service.client,
            kind=Invoice.Kind.UPGRADE,
            lines=list(quote.lines),
            issue_date=today,
            due_date=today,
            now=now,
            actor=actor,
        )
        row.save(update_fields=["invoice"])
    audit(
        actor=actor,
        action="service_addon_order",
        obj=service,
        now=now,
        message=f"Add-on {addon.name} ordered" + (f", invoice {row.invoice.display_number}" if row.invoice else ""),
        data={"service_addon": row.pk, "addon": addon.pk, "charge": str(total)},
    )
    if total <= 0:
        _start(row, service, now=now, actor=actor)
    return row


def _panel_job(service: Service, row: ServiceAddon, *, key: str, reason: str, now: dt.datetime, actor: User | None):  # noqa: ANN202
    """A change-package job that sends the package's limits with the active add-ons' additions."""
    if not service.product.module or not row.component.limits:
        return None
    if not PanelAccount.objects.filter(service=service, exists_on_panel=True).exists():
        return None  # the account's creation will carry the limits
    return request_job(
        service=service,
        operation=ProvisioningJob.Operation.CHANGE_PACKAGE,
        now=now,
        actor=actor,
        key=key,
        reason=reason[:200],
        params={"addon": {"service_addon": row.pk, "name": row.addon.name}},
    )


def _start(row: ServiceAddon, service: Service, *, now: dt.datetime, actor: User | None) -> None:
    """Inner step (service locked): the add-on is active; its limits go to the panel by a job."""
    component = row.component
    component.status = C.ACTIVE
    component.save(update_fields=["status"])
    _panel_job(service, row, key=f"addon:{row.pk}", reason=f"Add-on {row.addon.name} added", now=now, actor=actor)
    audit(actor=actor, action="service_addon_start", obj=service, now=now, message=f"Add-on {row.addon.name} active")


def apply_paid_addons(invoice: Invoice, *, now: dt.datetime, actor: User | None) -> None:
    """Inner step of the payment-received flow (services and the invoice locked by it): an add-on
    waiting for this invoice starts; if its service ended meanwhile it ends (the money stays paid:
    staff decide on a refund)."""
    rows = ServiceAddon.objects.filter(invoice=invoice, component__status=C.PENDING).values_list("pk", "service_id")
    for row_id, service_id in list(rows):
        service = lock_service(service_id)  # held already: the payment flow locked it
        row = ServiceAddon.objects.select_related("addon", "component").get(pk=row_id)
        if row.component.status != C.PENDING:
            continue
        if service.status not in (Service.Status.ACTIVE, Service.Status.SUSPENDED):
            row.component.status, row.component.ended_at = C.ENDED, now
            row.component.save(update_fields=["status", "ended_at"])
            audit(
                actor=actor,
                action="service_addon_void",
                obj=service,
                now=now,
                message=f"Add-on {row.addon.name} paid after the service was {service.get_status_display().lower()}",
            )
            continue
        _start(row, service, now=now, actor=actor)


def _end_day(row: ServiceAddon, service: Service) -> dt.date | None:
    """The first day not paid for: the day after the last billed period of the add-on (its own lines
    or the parent's renewal lines that carried it), at least the parent's next due date."""
    candidates = [service.next_due_date] if service.next_due_date else []
    last = (
        InvoiceLine.objects.filter(
            service=service,
            kind=InvoiceLine.Kind.ADDON,
            period_end__isnull=False,
        )
        .filter(Q(description=row.component.description) | Q(description__startswith=row.component.description + ","))
        .exclude(invoice__status=Invoice.Status.CANCELLED)
        .order_by("-period_end")
        .values_list("period_end", flat=True)
        .first()
    )
    if last is not None:
        candidates.append(last + dt.timedelta(days=1))
    return max(candidates) if candidates else None


def _end(row: ServiceAddon, service: Service, *, now: dt.datetime, actor: User | None, reason: str) -> None:
    component = row.component
    was_active = component.status == C.ACTIVE
    component.status, component.ended_at, component.recurring_amount = C.ENDED, now, ZERO
    component.save(update_fields=["status", "ended_at", "recurring_amount"])
    if was_active and service.status in (Service.Status.ACTIVE, Service.Status.SUSPENDED):
        _panel_job(
            service, row, key=f"addon-end:{row.pk}", reason=f"Add-on {row.addon.name} ended", now=now, actor=actor
        )
    audit(actor=actor, action="service_addon_end", obj=service, now=now, message=f"Add-on {row.addon.name}: {reason}")


@transaction.atomic(durable=True)
def service_addon_cancel(
    *, service_addon_id: int, now: dt.datetime, actor: User | None, client_id: int | None = None
) -> ServiceAddon:
    """Cancel an add-on (client or staff; `client_id` set: only that client's). One waiting for payment
    ends now and its unpaid invoice is cancelled; an active one is no longer renewed and ends on the
    first day not paid for (a one-time add-on ends now)."""
    found = ServiceAddon.objects.filter(pk=service_addon_id)
    if client_id is not None:
        found = found.filter(service__client_id=client_id)
    service_id = found.values_list("service_id", flat=True).first()
    if service_id is None:
        raise NotFound(_("no such add-on"), field="service_addon")
    service = lock_service(service_id)
    row = ServiceAddon.objects.select_related("addon", "component").get(pk=service_addon_id)
    component = row.component
    if component.status == C.ENDED or row.ends_on:
        raise DomainError(_("this add-on is already cancelled"), field="service_addon", code="already_cancelled")
    row.cancelled_at, row.cancelled_by = now, actor if actor is not None and actor.pk else None
    if component.status == C.PENDING:
        if row.invoice_id:
            invoice = lock_invoice(row.invoice_id)
            if invoice.status == Invoice.Status.UNPAID:
                cancel_invoice(
                    invoice=invoice, now=now, cancelled_on=local_date(now), actor=actor, reason="add-on cancelled"
                )
        row.save(update_fields=["cancelled_at", "cancelled_by"])
        _end(row, service, now=now, actor=actor, reason="cancelled before payment")
        return row
    ends_on = _end_day(row, service) if component.recurring_amount else None
    if ends_on is None or ends_on <= local_date(now):
        row.save(update_fields=["cancelled_at", "cancelled_by"])
        _end(row, service, now=now, actor=actor, reason="cancelled")
        return row
    row.ends_on = ends_on
    row.save(update_fields=["cancelled_at", "cancelled_by", "ends_on"])
    # No longer billed by renewals (billing bills a component's recurring amount); the limits stay
    # until the paid time runs out (`end_due_addons`).
    component.recurring_amount, component.ended_at = ZERO, midnight(ends_on)
    component.save(update_fields=["recurring_amount", "ended_at"])
    audit(
        actor=actor,
        action="service_addon_cancel",
        obj=service,
        now=now,
        message=f"Add-on {row.addon.name} cancelled; ends on {ends_on}",
    )
    return row


def end_due_addons(*, now: dt.datetime) -> int:
    """Automation housekeeping: cancelled add-ons whose last paid day is over end (limits removed by a
    job). Each in its own transaction; safe to run any number of times. Returns how many ended."""
    today = local_date(now)
    done = 0
    due = ServiceAddon.objects.filter(ends_on__lte=today, component__status=C.ACTIVE).values_list("pk", "service_id")
    for row_id, service_id in list(due):
        with transaction.atomic(durable=True):
            service = lock_service(service_id)
            row = ServiceAddon.objects.select_related("addon", "component").get(pk=row_id)
            if row.component.status != C.ACTIVE:
                continue
            _end(row, service, now=now, actor=None, reason=f"cancelled, ended on {row.ends_on}")
            done += 1
    return done


@transaction.atomic(durable=True)
def service_addon_staff_task_done(*, service_addon_id: int, now: dt.datetime, actor: User | None) -> ServiceAddon:
    """Staff mark the add-on's manual task (e.g. assign the dedicated IP) as done."""
    row = ServiceAddon.objects.select_related("addon").filter(pk=service_addon_id).first()
    if row is None:
        raise NotFound(_("no such add-on"), field="service_addon")
    if row.staff_task_done_at is None:
        row.staff_task_done_at = now
        row.save(update_fields=["staff_task_done_at"])
        audit(actor=actor, action="service_addon_task_done", obj=row.service, now=now, message=row.addon.staff_task)
    return row
