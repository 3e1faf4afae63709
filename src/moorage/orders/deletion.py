"""Delete order: remove an order and all its related data, terminating its panel accounts first."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from moorage.billing.models import Invoice, InvoiceLine, LedgerEntry, Payment
from moorage.core.actions import audit
from moorage.core.errors import DomainError
from moorage.core.models import User
from moorage.orders.models import Order
from moorage.provisioning.actions import request_job
from moorage.provisioning.models import JobAttempt, PanelAccount, ProvisioningJob
from moorage.services.models import Service, ServiceStatusChange

KEY = "order-delete"


def _live_accounts(order: Order) -> list[PanelAccount]:
    return list(
        PanelAccount.objects.filter(service__order_item__order=order, exists_on_panel=True).select_related(
            "service__product"
        )
    )


def _purge(order: Order, *, now: dt.datetime, actor: User | None) -> dict:
    services = list(Service.objects.filter(order_item__order=order).order_by("pk"))
    invoice_ids = set(InvoiceLine.objects.filter(service__in=services).values_list("invoice_id", flat=True))
    if order.invoice_id:
        invoice_ids.add(order.invoice_id)
    foreign = InvoiceLine.objects.filter(invoice_id__in=invoice_ids).exclude(service__in=services)
    foreign = foreign.exclude(service__isnull=True)
    if foreign.exists():
        raise DomainError(
            "an invoice of this order also bills services of other orders; cancel instead",
            field="order",
            code="shared_invoice",
        )
    snapshot = {
        "order": order.display_number,
        "client": order.client_id,
        "services": [s.pk for s in services],
        "invoices": sorted(Invoice.objects.filter(pk__in=invoice_ids).values_list("number", flat=True)),
        "payments": [
            [p.gateway, p.transaction_id, str(p.amount)] for p in Payment.objects.filter(invoice_id__in=invoice_ids)
        ],
    }
    audit(
        actor=actor,
        action="order_delete",
        obj=order,
        now=now,
        message=f"order {order.display_number} deleted",
        data=snapshot,
    )
    order.invoice = None
    order.save(update_fields=["invoice"])
    LedgerEntry.objects.filter(invoice_id__in=invoice_ids).delete()
    LedgerEntry.objects.filter(payment__invoice_id__in=invoice_ids).delete()
    Payment.objects.filter(invoice_id__in=invoice_ids).delete()
    InvoiceLine.objects.filter(invoice_id__in=invoice_ids).delete()
    Invoice.objects.filter(pk__in=invoice_ids).delete()
    order.items.all().delete()
    JobAttempt.objects.filter(job__service__in=services).delete()
    ProvisioningJob.objects.filter(service__in=services).delete()
    PanelAccount.objects.filter(service__in=services).delete()
    ServiceStatusChange.objects.filter(service__in=services).delete()
    Service.objects.filter(pk__in=[s.pk for s in services]).delete()
    order.delete()
    return snapshot


@transaction.atomic(durable=True)
def order_delete(*, order_id: int, terminate_accounts: bool, now: dt.datetime, actor: User | None) -> str:
    """Delete an order with its services, invoices, payments and ledger rows.

    With `terminate_accounts`, accounts still on a panel are terminated first (provisioning jobs);
    the order is removed when they are done ("pending"), else at once ("deleted"). Without it, an
    order whose accounts exist on a panel is refused: that would leave accounts billing forgets.
    """
    order = Order.objects.select_for_update().filter(pk=order_id).first()
    if order is None:
        raise DomainError(f"no order with id {order_id}", field="order", code="not_found")
    accounts = _live_accounts(order)
    if accounts and not terminate_accounts:
        names = ", ".join(a.username for a in accounts)
        raise DomainError(
            f"the order's accounts still exist on the panel ({names}); choose "
            "'Delete all order related data and terminate accounts'",
            field="terminate_accounts",
            code="accounts_exist",
        )
    if accounts:
        for account in accounts:
            request_job(
                service=account.service,
                operation=ProvisioningJob.Operation.TERMINATE,
                now=now,
                actor=actor,
                key=KEY,
                reason=f"order {order.display_number} deleted",
            )
        if order.delete_requested_at is None:
            order.delete_requested_at = now
            order.save(update_fields=["delete_requested_at"])
            audit(actor=actor, action="order_delete_requested", obj=order, now=now)
        return "pending"
    failed = ProvisioningJob.objects.filter(
        service__order_item__order=order, operation="terminate", idempotency_key=KEY, status="failed"
    )
    if failed.exists():
        raise DomainError(
            "terminating an account failed; see the service's provisioning jobs", field="order", code="terminate_failed"
        )
    _purge(order, now=now, actor=actor)
    return "deleted"


def order_finish_deletions(*, now: dt.datetime) -> int:
    """Complete deletions whose accounts are now terminated (run by the worker and by cron)."""
    done = 0
    for order_id in Order.objects.filter(delete_requested_at__isnull=False).values_list("pk", flat=True):
        if not PanelAccount.objects.filter(service__order_item__order_id=order_id, exists_on_panel=True).exists():
            try:
                if order_delete(order_id=order_id, terminate_accounts=True, now=now, actor=None) == "deleted":
                    done += 1
            except DomainError:
                continue
    return done
