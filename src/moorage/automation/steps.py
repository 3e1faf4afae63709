"""The steps of an automation run (billing-semantics §3), each a planner and an applier.

`plan(ctx)` yields the ids of the objects that may need work today, from set-based queries, in
batches (it never loads all services). `apply(ctx, pk)` locks the row, checks again, and does the
work in the caller's transaction through the same inner steps the actions use; it returns a short
text of what it did, or None when there was nothing to do (another run did it, or it is not time).
Every "never twice" is held by a unique key or a row lock, so runs may repeat or overlap.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import CharField, Exists, OuterRef, Q, Sum, Value
from django.db.models.functions import Cast, Concat

from moorage.billing.actions import LineSpec, add_line
from moorage.billing.models import Invoice, InvoiceLine, LedgerEntry
from moorage.billing.renewal import invoice_date_for, issue_renewal
from moorage.cancellations.actions import cancel_service_invoices, process_cancellation
from moorage.cancellations.queries import processing_date
from moorage.catalog.models import BillingDefaults, Product, product_setting
from moorage.core.clock import business_tz, local_date
from moorage.core.cycles import Cycle
from moorage.core.money import round_money
from moorage.domains.renewal import STEPS as DOMAIN_STEPS
from moorage.metering.actions import SYNC_EVERY, usage_sync_queue
from moorage.metering.invoicing import usage_lines
from moorage.notifications.actions import notify
from moorage.notifications.models import Notification
from moorage.orders.actions import cancel_order
from moorage.orders.models import Order
from moorage.payments.actions import OVERDUE, apply_client_credit, overdue_invoices, unsuspend_if_settled
from moorage.provisioning.actions import request_create, request_job
from moorage.provisioning.models import AppConnection, PanelAccount, ProvisioningJob
from moorage.provisioning.notices import notify_service
from moorage.provisioning.registry import is_active
from moorage.servicefunctions.actions import autopay_renewals
from moorage.services import lifecycle
from moorage.services.actions import lock_service
from moorage.services.locks import lock_row
from moorage.services.models import CancellationRequest, Service
from moorage.upgrades.actions import release_queued_credit
from moorage.upgrades.models import UpgradeRequest

S = Service.Status
Op = ProvisioningJob.Operation
BATCH = 2000
LIVE = (S.ACTIVE, S.SUSPENDED)
POSTPAID = Q(product__billing_type=Product.BillingType.POSTPAID) | Q(product__price_type=Product.PriceType.METERED)


@dataclass
class Context:
    today: dt.date
    now: dt.datetime
    defaults: BillingDefaults
    products: dict[int, Product] = field(default_factory=dict)

    def product(self, pk: int) -> Product:
        if pk not in self.products:
            self.products[pk] = Product.objects.get(pk=pk)
        return self.products[pk]

    def setting(self, product_id: int, name: str):  # noqa: ANN201
        return product_setting(self.product(product_id), name, self.defaults)

    def setting_values(self, name: str) -> set:
        """Every value a setting takes today: the default and each product's override."""
        values = {getattr(self.defaults, name)}
        values |= set(Product.objects.exclude(**{f"{name}__isnull": True}).values_list(name, flat=True).distinct())
        return values


def _ids(qs) -> Iterator[int]:  # noqa: ANN001
    yield from qs.values_list("pk", flat=True).order_by("pk").iterator(chunk_size=BATCH)


def _invoice_product(invoice: Invoice) -> int | None:
    line = invoice.lines.filter(service__isnull=False).order_by("pk").values_list("service__product_id", flat=True)
    return line.first()


def _has_account(service: Service) -> bool:
    return PanelAccount.objects.filter(service=service, exists_on_panel=True).exists()


class Step:
    name = ""
    object_type = "service"
    counter = ""

    def plan(self, ctx: Context) -> Iterator[int]:
        raise NotImplementedError

    def apply(self, ctx: Context, pk: int) -> str | None:
        raise NotImplementedError


class AutoCreate(Step):
    """1. Create accounts of paid services whose product says "after payment, process by cron"."""

    name, counter = "auto_create", "accounts_queued"

    def plan(self, ctx: Context) -> Iterator[int]:
        return _ids(
            Service.objects.filter(
                status=S.PENDING,
                product__auto_create=Product.AutoCreate.CRON,
                start_date__isnull=False,
                panel_account__isnull=True,
            ).exclude(product__module="")
        )

    def apply(self, ctx: Context, pk: int) -> str | None:
        service = lock_service(pk)
        if service.status != S.PENDING or PanelAccount.objects.filter(service=service).exists():
            return None
        if not is_active(service.product.module):
            raise RuntimeError(f"the {service.product.module} module is not active")
        job = request_create(service=service, now=ctx.now)
        return f"create job #{job.pk} queued"


class GenerateInvoices(Step):
    """2. Renewal invoices X days before the due date (pre-paid), after the period (post-paid)."""

    name, counter = "generate_invoices", "invoices_created"
    parallel = True  # one service per item: items never touch each other's rows

    def plan(self, ctx: Context) -> Iterator[int]:
        billed = InvoiceLine.objects.filter(
            service=OuterRef("pk"), kind=InvoiceLine.Kind.SERVICE, period_start=OuterRef("next_due_date")
        )
        pending_cancel = CancellationRequest.objects.filter(
            service=OuterRef("pk"), status=CancellationRequest.Status.PENDING
        )
        base = (
            Service.objects.filter(status__in=LIVE, auto_renew=True, next_due_date__isnull=False)
            .exclude(cycle=Cycle.ONE_TIME)
            .exclude(Exists(billed))
            .exclude(Exists(pending_cancel))
        )
        for days in sorted(ctx.setting_values("invoice_generate_days")):
            # Services whose product uses this lead time (its own or, without one, the default).
            uses = Q(product__invoice_generate_days=days)
            if days == ctx.defaults.invoice_generate_days:
                uses |= Q(product__invoice_generate_days__isnull=True)
            yield from _ids(base.filter(uses, next_due_date__lte=ctx.today + dt.timedelta(days=days)).exclude(POSTPAID))
        # Post-paid (and metered) periods are billed after they end; the exact day is checked when applying.
        yield from _ids(base.filter(POSTPAID, next_due_date__lte=ctx.today))

    def apply(self, ctx: Context, pk: int) -> str | None:
        service = lock_service(pk)
        if service.status not in LIVE or not service.auto_renew:
            return None
        issued, invoices = [], []
        # With "renew when the invoice is issued" a missed month is caught up, one period at a time.
        metered = usage_lines if service.product.price_type == Product.PriceType.METERED else None
        for _ in range(36):
            due_before = service.next_due_date
            invoice = issue_renewal(
                service, today=ctx.today, now=ctx.now, defaults=ctx.defaults, usage_lines=metered, planned=not issued
            )
            if invoice is None:
                break
            issued.append(invoice.display_number)
            invoices.append(invoice)
            if service.next_due_date is None or service.next_due_date == due_before:
                break  # renewed on payment: the next period waits for this invoice to be paid
            if invoice_date_for(service, ctx.defaults) > ctx.today:
                break
        # Service Auto Payment: the client's credit pays what was just issued (after the loop: the
        # invoices and the client's row come after the service in the money lock order).
        paid = autopay_renewals(service=service, invoices=invoices, now=ctx.now, today=ctx.today)
        if paid > 0:
            issued.append(f"({paid} paid from credit)")
        return f"invoice {', '.join(issued)}" if issued else None


class ApplyCredit(Step):
    """3. Where enabled, the client's credit pays open invoices, oldest first."""

    name, counter, object_type = "apply_credit", "credit_applied", "client"

    def plan(self, ctx: Context) -> Iterator[int]:
        if not ctx.defaults.apply_credit_automatically:
            return iter(())
        with_unpaid = Invoice.objects.filter(status=Invoice.Status.UNPAID).values("client_id")
        rows = (
            LedgerEntry.objects.filter(account=LedgerEntry.Account.CREDIT, client_id__in=with_unpaid)
            .values("client_id")
            .annotate(s=Sum("amount"))
            .filter(s__gt=0)
            .order_by("client_id")
        )
        return (row["client_id"] for row in rows.iterator(chunk_size=BATCH))

    def apply(self, ctx: Context, pk: int) -> str | None:
        # Locks in the money order (services → changes → invoices → client): payments' inner step.
        used = apply_client_credit(client_id=pk, now=ctx.now, today=ctx.today)
        return f"{used} applied" if used > 0 else None


class PaymentReminders(Step):
    """4. Unpaid invoice reminder before due; overdue reminders 1st/2nd/3rd; custom ones. Once each."""

    name, counter, object_type = "payment_reminders", "reminders_sent", "invoice"
    parallel = True

    def plan(self, ctx: Context) -> Iterator[int]:
        """Unpaid invoices with a reminder stage reached today that has not been recorded yet.

        The thresholds are the earliest any product uses, so this is a tight superset; `apply`
        checks the invoice's own product settings."""
        if not ({True} & ctx.setting_values("reminders_enabled")):
            return iter(())

        def recorded(template: str):  # noqa: ANN202
            return Exists(Notification.objects.filter(invoice_id=OuterRef("pk"), template=template))

        today = ctx.today
        needs = Q(pk__in=[])
        lead = max(ctx.setting_values("reminder_before_days"))
        if lead:
            needs |= Q(due_date__gt=today, due_date__lte=today + dt.timedelta(days=lead)) & ~recorded(
                "invoice_reminder"
            )
        for n in (1, 2, 3):
            days = [d for d in ctx.setting_values(f"overdue_reminder_{n}_days") if d]
            if days:
                needs |= Q(due_date__lte=today - dt.timedelta(days=min(days))) & ~recorded(f"invoice_overdue_{n}")
        customs = _custom_reminders(ctx)
        for i, (days, when) in enumerate(customs):
            key = Concat(Value(f"reminder:custom{i}:"), Cast(OuterRef("pk"), CharField()))
            sent = Exists(Notification.objects.filter(dedupe_key=key))
            window = (
                Q(due_date__gt=today, due_date__lte=today + dt.timedelta(days=days))
                if when == "before"
                else Q(due_date__lte=today - dt.timedelta(days=days))
            )
            needs |= window & ~sent
        return _ids(Invoice.objects.filter(status=Invoice.Status.UNPAID).filter(needs))

    def apply(self, ctx: Context, pk: int) -> str | None:
        invoice = Invoice.objects.select_for_update().select_related("client__user").get(pk=pk)
        if invoice.status != Invoice.Status.UNPAID:
            return None
        product_id = _invoice_product(invoice)

        def get(name: str):  # noqa: ANN202
            return ctx.setting(product_id, name) if product_id else getattr(ctx.defaults, name)

        if not get("reminders_enabled"):
            return None
        days_to_due = (invoice.due_date - ctx.today).days
        stages: list[tuple[str, str]] = []  # (key, template) reached today, in order
        before = int(get("reminder_before_days") or 0)
        if before and 0 < days_to_due <= before:
            stages.append(("before", "invoice_reminder"))
        for n in (1, 2, 3):
            after = int(get(f"overdue_reminder_{n}_days") or 0)
            if after and -days_to_due >= after:
                stages.append((f"overdue{n}", f"invoice_overdue_{n}"))
        for i, custom in enumerate(get("custom_reminders") or []):
            days, when = int(custom.get("days", 0)), custom.get("when", "after")
            if days and ((when == "before" and 0 < days_to_due <= days) or (when == "after" and -days_to_due >= days)):
                stages.append((f"custom{i}", "invoice_custom_reminder"))
        sent = []
        overdue = [s for s in stages if s[0].startswith("overdue")]
        latest_overdue = overdue[-1] if overdue else None
        for key, template in stages:
            # A run that missed days sends only the latest overdue stage; the earlier ones are
            # recorded as skipped, so they are never sent late.
            skip = key.startswith("overdue") and (key, template) != latest_overdue
            row = notify(
                template=template,
                client=invoice.client,
                dedupe_key=f"reminder:{key}:{invoice.pk}",
                now=ctx.now,
                context={"invoice": invoice},
                invoice_id=invoice.pk,
                skip=skip,
            )
            if row is not None and not skip:
                sent.append(key)
        return f"reminder {', '.join(sent)}" if sent else None


def _custom_reminders(ctx: Context) -> list[tuple[int, str]]:
    """Every custom reminder any product (or the default) has, by position: (days, when)."""
    lists = [ctx.defaults.custom_reminders or []]
    lists += list(Product.objects.exclude(custom_reminders__isnull=True).values_list("custom_reminders", flat=True))
    found: dict[int, tuple[int, str]] = {}
    for reminders in lists:
        for i, r in enumerate(reminders or []):
            days, when = int(r.get("days", 0)), r.get("when", "after")
            if days and (i not in found or days < found[i][0]):
                found[i] = (days, when)
    return [found[i] for i in sorted(found)]


class LateFees(Step):
    """5. Add X% late fee Y days after the due date: once per invoice, as a line on it."""

    name, counter, object_type = "late_fees", "late_fees_added", "invoice"

    def plan(self, ctx: Context) -> Iterator[int]:
        if not ({True} & ctx.setting_values("late_fee_enabled")):
            return iter(())
        first_day = min(ctx.setting_values("late_fee_days"))
        has_fee = InvoiceLine.objects.filter(invoice=OuterRef("pk"), kind=InvoiceLine.Kind.LATE_FEE)
        return _ids(
            Invoice.objects.filter(
                status=Invoice.Status.UNPAID, due_date__lte=ctx.today - dt.timedelta(days=first_day)
            ).exclude(Exists(has_fee))
        )

    def apply(self, ctx: Context, pk: int) -> str | None:
        invoice = lock_row(Invoice.objects.select_related("client__user"), pk)  # the money lock order
        product_id = _invoice_product(invoice)
        if invoice.status != Invoice.Status.UNPAID or product_id is None:
            return None
        if not ctx.setting(product_id, "late_fee_enabled"):
            return None
        if (ctx.today - invoice.due_date).days < int(ctx.setting(product_id, "late_fee_days")):
            return None
        if invoice.lines.filter(kind=InvoiceLine.Kind.LATE_FEE).exists():
            return None
        percent = Decimal(ctx.setting(product_id, "late_fee_percent"))
        fee = round_money(invoice.total * percent / Decimal(100))
        if fee <= 0:
            return None
        try:
            with transaction.atomic():
                add_line(
                    invoice=invoice,
                    now=ctx.now,
                    spec=LineSpec(
                        kind=InvoiceLine.Kind.LATE_FEE, description=f"Late fee ({percent.normalize()}%)", amount=fee
                    ),
                )
        except IntegrityError:
            return None
        notify(
            template="late_fee_added",
            client=invoice.client,
            dedupe_key=f"late_fee:{invoice.pk}",
            now=ctx.now,
            context={"invoice": invoice, "fee": fee},
            invoice_id=invoice.pk,
        )
        return f"late fee {fee}"


def _overdue_since(service: Service, ctx: Context) -> Invoice | None:
    """The oldest unpaid invoice billing this service whose due date has passed."""
    return overdue_invoices(service, today=ctx.today).order_by("due_date", "number").first()


def _service_candidates(ctx: Context, statuses: tuple[str, ...], setting: str) -> Iterator[int]:
    first_day = min(ctx.setting_values(setting))
    overdue = InvoiceLine.objects.filter(
        service=OuterRef("pk"),
        invoice__status=Invoice.Status.UNPAID,
        invoice__due_date__lte=ctx.today - dt.timedelta(days=first_day),
    )
    return _ids(Service.objects.filter(status__in=statuses).filter(Exists(overdue)))


class AutoSuspend(Step):
    """6a. Suspend a service X days past the due date of its oldest unpaid invoice (reason overdue)."""

    name, counter = "auto_suspend", "suspensions"

    def plan(self, ctx: Context) -> Iterator[int]:
        if not ({True} & ctx.setting_values("suspend_enabled")):
            return iter(())
        return _service_candidates(ctx, (S.ACTIVE,), "suspend_days")

    def apply(self, ctx: Context, pk: int) -> str | None:
        service = lock_service(pk)
        if service.status != S.ACTIVE or not ctx.setting(service.product_id, "suspend_enabled"):
            return None
        invoice = _overdue_since(service, ctx)
        if invoice is None or (ctx.today - invoice.due_date).days < int(
            ctx.setting(service.product_id, "suspend_days")
        ):
            return None
        if _has_account(service):
            job = request_job(
                service=service, operation=Op.SUSPEND, now=ctx.now, key=f"overdue:{invoice.pk}", reason=OVERDUE
            )
            if job.status != ProvisioningJob.Status.QUEUED or job.attempts:
                return None  # asked before; the job is on its way
            return f"suspend job #{job.pk} (invoice {invoice.display_number})"
        lifecycle.transition(service, S.SUSPENDED, now=ctx.now, reason=OVERDUE)
        notify_service(
            service,
            "account_suspended",
            now=ctx.now,
            key=f"overdue:{invoice.pk}",
            context={"reason": "unpaid invoice " + invoice.display_number},
        )
        return f"suspended (invoice {invoice.display_number})"


class AutoUnsuspend(Step):
    """6b. Unsuspend a service suspended for non-payment once none of its invoices is overdue."""

    name, counter = "auto_unsuspend", "unsuspensions"

    def plan(self, ctx: Context) -> Iterator[int]:
        overdue = InvoiceLine.objects.filter(
            service=OuterRef("pk"), invoice__status=Invoice.Status.UNPAID, invoice__due_date__lt=ctx.today
        )
        return _ids(Service.objects.filter(status=S.SUSPENDED, status_reason=OVERDUE).exclude(Exists(overdue)))

    def apply(self, ctx: Context, pk: int) -> str | None:
        service = lock_service(pk)
        if ProvisioningJob.objects.filter(
            service=service, operation=Op.UNSUSPEND, status__in=ProvisioningJob.OPEN
        ).exists():
            return None
        return (
            "unsuspend"
            if unsuspend_if_settled(service, today=ctx.today, now=ctx.now, actor=None, defaults=ctx.defaults)
            else None
        )


class AutoTerminate(Step):
    """7. Terminate a service X days past the due date; optionally cancel its unpaid invoices."""

    name, counter = "auto_terminate", "terminations"

    def plan(self, ctx: Context) -> Iterator[int]:
        if not ({True} & ctx.setting_values("terminate_enabled")):
            return iter(())
        return _service_candidates(ctx, LIVE, "terminate_days")

    def apply(self, ctx: Context, pk: int) -> str | None:
        service = lock_service(pk)
        if service.status not in LIVE or not ctx.setting(service.product_id, "terminate_enabled"):
            return None
        invoice = _overdue_since(service, ctx)
        if invoice is None or (ctx.today - invoice.due_date).days < int(
            ctx.setting(service.product_id, "terminate_days")
        ):
            return None
        if _has_account(service):
            job = request_job(
                service=service,
                operation=Op.TERMINATE,
                now=ctx.now,
                key=f"overdue-terminate:{invoice.pk}",
                reason=OVERDUE,
            )
            if job.status != ProvisioningJob.Status.QUEUED or job.attempts:
                return None
            done = f"terminate job #{job.pk}"
        else:
            lifecycle.transition(service, S.TERMINATED, now=ctx.now, reason=OVERDUE)
            notify_service(
                service,
                "account_terminated",
                now=ctx.now,
                key=f"overdue:{invoice.pk}",
                context={"reason": "unpaid invoice " + invoice.display_number},
            )
            done = "terminated"
        if ctx.setting(service.product_id, "terminate_cancel_invoices"):
            cancelled = cancel_service_invoices(
                service, now=ctx.now, today=ctx.today, reason="service terminated for non-payment"
            )
            if cancelled:
                done += f"; cancelled invoice {', '.join(cancelled)}"
        return done


class CancelUnpaidOrders(Step):
    """8. Cancel pending orders unpaid X days after creation, with their services and invoice."""

    name, counter, object_type = "cancel_unpaid_orders", "orders_cancelled", "order"

    def plan(self, ctx: Context) -> Iterator[int]:
        if not ({True} & ctx.setting_values("cancel_unpaid_orders_enabled")):
            return iter(())
        first_day = min(ctx.setting_values("cancel_unpaid_orders_days"))
        # Orders placed on or before today − X (business dates): created before the next midnight.
        cutoff = dt.datetime.combine(ctx.today - dt.timedelta(days=first_day - 1), dt.time(0), tzinfo=business_tz())
        return _ids(
            Order.objects.filter(status=Order.Status.PENDING, created_at__lt=cutoff).filter(
                Q(invoice__isnull=True) | Q(invoice__status=Invoice.Status.UNPAID)
            )
        )

    def apply(self, ctx: Context, pk: int) -> str | None:
        order = lock_row(Order.objects.select_related("client__user"), pk)  # the money lock order
        if order.status != Order.Status.PENDING:
            return None
        item = order.items.order_by("pk").first()
        if item is None or not ctx.setting(item.product_id, "cancel_unpaid_orders_enabled"):
            return None
        if (ctx.today - local_date(order.created_at)).days < int(
            ctx.setting(item.product_id, "cancel_unpaid_orders_days")
        ):
            return None
        for account in PanelAccount.objects.filter(service__order_item__order=order, exists_on_panel=True):
            request_job(
                service=account.service,
                operation=Op.TERMINATE,
                now=ctx.now,
                key="order-unpaid",
                reason="unpaid order cancelled",
            )
        cancel_order(order, now=ctx.now, actor=None, reason="unpaid order cancelled automatically")
        notify(
            template="order_cancelled",
            client=order.client,
            dedupe_key=f"order_cancelled:{order.pk}",
            now=ctx.now,
            context={"order": order},
        )
        return f"order {order.display_number} cancelled"


class CancellationRequests(Step):
    """9. Process cancellation requests: immediate ones now, end-of-period ones at expiry."""

    name, counter, object_type = "cancellation_requests", "cancellations", "cancellation_request"

    def plan(self, ctx: Context) -> Iterator[int]:
        return _ids(
            CancellationRequest.objects.filter(status=CancellationRequest.Status.PENDING).filter(
                Q(type=CancellationRequest.Type.IMMEDIATE)
                | Q(service__next_due_date__lte=ctx.today)
                | Q(service__next_due_date__isnull=True)
            )
        )

    def apply(self, ctx: Context, pk: int) -> str | None:
        request = CancellationRequest.objects.select_related("service").get(pk=pk)
        service = lock_service(request.service_id)
        request = lock_row(CancellationRequest, pk)  # after its service: the money lock order
        if request.status != CancellationRequest.Status.PENDING:
            return None
        if not ctx.setting(service.product_id, "process_cancellation_requests"):
            return None
        due = processing_date(request, service)
        if due is not None and due > ctx.today:
            return None
        return process_cancellation(request, service, now=ctx.now, today=ctx.today, defaults=ctx.defaults)


class ExpirationNotices(Step):
    """10. Send NOTIFICATION X days before/after the expire date, each once per period."""

    name, counter = "expiration_notices", "expiration_notices"

    def _notices(self, ctx: Context, product_id: int) -> list[dict]:
        return list(ctx.setting(product_id, "expiration_notices") or [])

    def plan(self, ctx: Context) -> Iterator[int]:
        lists = [ctx.defaults.expiration_notices or []]
        lists += list(
            Product.objects.exclude(expiration_notices__isnull=True).values_list("expiration_notices", flat=True)
        )
        notices = [n for notices in lists for n in (notices or [])]
        if not notices:
            return iter(())
        before = max([int(n.get("days", 0)) for n in notices if n.get("when", "before") == "before"] or [-1])
        after = max([int(n.get("days", 0)) for n in notices if n.get("when") == "after"] or [-1])
        window = Q(pk__in=[])
        if before >= 0:  # expiry = next due − 1 day; "X days before" → next due within X + 1 days
            window |= Q(next_due_date__gt=ctx.today, next_due_date__lte=ctx.today + dt.timedelta(days=before + 1))
        if after >= 0:
            window |= Q(
                next_due_date__lte=ctx.today + dt.timedelta(days=1),
                next_due_date__gte=ctx.today - dt.timedelta(days=after + 31),
            )
        return _ids(Service.objects.filter(status__in=LIVE, next_due_date__isnull=False).filter(window))

    def apply(self, ctx: Context, pk: int) -> str | None:
        service = Service.objects.select_related("client__user", "product").get(pk=pk)
        expiry = service.expiry_date
        sent = []
        for i, notice in enumerate(self._notices(ctx, service.product_id)):
            days, when = int(notice.get("days", 0)), notice.get("when", "before")
            template = notice.get("template") or "service_expiration"
            due_day = expiry - dt.timedelta(days=days) if when == "before" else expiry + dt.timedelta(days=days)
            # Sent on its day, or later in the same period if a run was missed (never before).
            if not (due_day <= ctx.today and (when == "after" or ctx.today <= expiry)):
                continue
            row = notify(
                template=template,
                client=service.client,
                now=ctx.now,
                service_id=service.pk,
                dedupe_key=f"expiry:{i}:{when}{days}:{service.pk}:{service.next_due_date}",
                context={"service": service, "expiry": expiry},
                variant=notice.get("variant"),  # "Change": the template staff picked for this notice
            )
            if row is not None:
                sent.append(f"{days} days {when}")
        return f"expiration notice {', '.join(sent)}" if sent else None


class UsageSync(Step):
    """Queue the usage job (metered billing, Disk & Bandwidth Usage) of each connection with accounts,
    at most once an hour; the panel is read by a worker, never inside this run's transaction."""

    name, counter, object_type = "usage_sync", "usage_syncs_queued", "connection"

    def plan(self, ctx: Context) -> Iterator[int]:
        recent = Q(usage_sync__queued_at__gt=ctx.now - SYNC_EVERY)
        return _ids(AppConnection.objects.filter(accounts__exists_on_panel=True).exclude(recent).distinct())

    def apply(self, ctx: Context, pk: int) -> str | None:
        connection = AppConnection.objects.get(pk=pk)
        return "usage job queued" if usage_sync_queue(connection, now=ctx.now) else None


class DowngradeCredits(Step):
    """Credit on Downgrade "only after client doesn't have unpaid invoices": release the queued credits
    of clients with no unpaid invoice left."""

    name, counter, object_type = "downgrade_credits", "downgrade_credits", "upgrade_request"

    def plan(self, ctx: Context) -> Iterator[int]:
        unpaid = Invoice.objects.filter(client=OuterRef("service__client"), status=Invoice.Status.UNPAID)
        return _ids(
            UpgradeRequest.objects.filter(
                status=UpgradeRequest.Status.QUEUED, settlement=UpgradeRequest.Settlement.CREDIT_QUEUE
            ).exclude(Exists(unpaid))
        )

    def apply(self, ctx: Context, pk: int) -> str | None:
        return release_queued_credit(request_id=pk, now=ctx.now)


STEPS: tuple[Step, ...] = (
    AutoCreate(),
    GenerateInvoices(),
    ApplyCredit(),
    PaymentReminders(),
    LateFees(),
    AutoSuspend(),
    AutoUnsuspend(),
    AutoTerminate(),
    CancelUnpaidOrders(),
    CancellationRequests(),
    ExpirationNotices(),
    UsageSync(),
    DowngradeCredits(),
    *DOMAIN_STEPS,
)
