"""REST API v1 lists: clients, services, invoices, notifications and automation runs, filtered and
cursor-paginated (`moorage.api.pagination`). Each page costs a fixed number of queries, whatever its
size: related rows are joined or prefetched and the ledger amounts summed in one query per page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Q, Sum
from django.http import HttpRequest

from moorage.api import schemas as s
from moorage.api.endpoints import CLIENT_FIELDS, LIST_ERRORS, _get, service_out
from moorage.api.pagination import Cursor, Limit, page
from moorage.api.urls import StaffToken, api
from moorage.automation.models import AutomationRun
from moorage.billing.models import Invoice, LedgerEntry
from moorage.core.money import round_money
from moorage.customers.models import Client
from moorage.notifications.models import Notification
from moorage.services.models import Service

ZERO = Decimal("0.00")
NESTED_ERRORS = {**LIST_ERRORS, 404: s.ErrorOut}


def _money(value: Decimal | None) -> Decimal:
    # SQLite sums decimals as floats; every stored amount has cents, so rounding the sum is exact.
    return round_money(Decimal(value or 0))


def _clients_page(rows: list[Client]) -> list[dict]:
    """Each client as GET /clients/{id} shows it; the credit balances in one query."""
    credit = {
        row["client_id"]: _money(row["total"])
        for row in LedgerEntry.objects.filter(client_id__in=[c.pk for c in rows], account=LedgerEntry.Account.CREDIT)
        .values("client_id")
        .annotate(total=Sum("amount"))
    }
    return [
        {
            "id": c.pk,
            "email": c.user.email,
            "status": c.status,
            "group": c.group.name if c.group_id else None,
            **{f: getattr(c, f) for f in CLIENT_FIELDS},
            "credit_balance": str(credit.get(c.pk, ZERO)),
        }
        for c in rows
    ]


def _invoices_page(rows: list[Invoice]) -> list[dict]:
    """Each invoice as GET /invoices/{id} shows it: its lines prefetched, what is paid and due summed
    in one query (the same ledger sums as billing's queries)."""
    paid_kinds = [LedgerEntry.Kind.PAYMENT, LedgerEntry.Kind.CREDIT_APPLIED]
    sums = {
        row["invoice_id"]: row
        for row in LedgerEntry.objects.filter(
            invoice_id__in=[i.pk for i in rows], account=LedgerEntry.Account.RECEIVABLE
        )
        .values("invoice_id")
        .annotate(outstanding=Sum("amount"), paid=Sum("amount", filter=Q(kind__in=paid_kinds)))
    }
    items = []
    for invoice in rows:
        row = sums.get(invoice.pk, {})
        due = _money(row.get("outstanding")) if invoice.status == Invoice.Status.UNPAID else ZERO
        items.append(
            {
                "id": invoice.pk,
                "number": invoice.display_number,
                "client_id": invoice.client_id,
                "kind": invoice.kind,
                "status": invoice.status,
                "currency": invoice.currency,
                "issue_date": invoice.issue_date,
                "due_date": invoice.due_date,
                "paid_date": invoice.paid_date,
                "total": str(invoice.total),
                "amount_paid": str(-_money(row.get("paid")) + ZERO),
                "amount_due": str(due),
                "lines": [
                    {
                        "id": ln.pk,
                        "kind": ln.kind,
                        "description": ln.description,
                        "amount": str(ln.amount),
                        "service_id": ln.service_id,
                        "cycle": ln.cycle,
                        "period_start": ln.period_start,
                        "period_end": ln.period_end,
                    }
                    for ln in sorted(invoice.lines.all(), key=lambda ln: ln.pk)
                ],
            }
        )
    return items


def _services(client_id: int | None, status: str | None, product_id: int | None):  # noqa: ANN202
    qs = Service.objects.select_related("product")
    if client_id is not None:
        qs = qs.filter(client_id=client_id)
    if status is not None:
        qs = qs.filter(status=status)
    if product_id is not None:
        qs = qs.filter(product_id=product_id)
    return qs


def _invoices(client_id: int | None, status: str | None, issued_from: dt.date | None, issued_to: dt.date | None):  # noqa: ANN202
    qs = Invoice.objects.prefetch_related("lines")
    if client_id is not None:
        qs = qs.filter(client_id=client_id)
    if status is not None:
        qs = qs.filter(status=status)
    if issued_from is not None:
        qs = qs.filter(issue_date__gte=issued_from)
    if issued_to is not None:
        qs = qs.filter(issue_date__lte=issued_to)
    return qs


@api.get(
    "/clients",
    response={200: s.ClientPage, **LIST_ERRORS},
    tags=["clients"],
    auth=StaffToken("customers.view_client", area="clients"),
)
def list_clients(
    request: HttpRequest,
    status: s.ClientStatus | None = None,
    email: s.EmailFilter | None = None,
    cursor: Cursor = None,
    limit: Limit = 50,
):  # noqa: ANN201
    """Clients, newest first; `email` matches the whole address, in any letter case."""
    qs = Client.objects.select_related("user", "group")
    if status is not None:
        qs = qs.filter(status=status)
    if email is not None:
        qs = qs.filter(user__email__iexact=email.strip())
    rows, next_cursor = page(qs, list_name="clients", cursor=cursor, limit=limit)
    return {"items": _clients_page(rows), "next_cursor": next_cursor}


@api.get(
    "/services",
    response={200: s.ServicePage, **LIST_ERRORS},
    tags=["services"],
    auth=StaffToken("services.view_service", area="services"),
)
def list_services(
    request: HttpRequest,
    client_id: s.Id | None = None,
    status: s.ServiceStatus | None = None,
    product_id: s.Id | None = None,
    cursor: Cursor = None,
    limit: Limit = 50,
):  # noqa: ANN201
    """Services, newest first."""
    rows, next_cursor = page(_services(client_id, status, product_id), list_name="services", cursor=cursor, limit=limit)
    return {"items": [service_out(x) for x in rows], "next_cursor": next_cursor}


@api.get(
    "/clients/{client_id}/services",
    response={200: s.ServicePage, **NESTED_ERRORS},
    tags=["clients"],
    auth=StaffToken("services.view_service", area="services"),
)
def list_client_services(
    request: HttpRequest,
    client_id: s.Id,
    status: s.ServiceStatus | None = None,
    product_id: s.Id | None = None,
    cursor: Cursor = None,
    limit: Limit = 50,
):  # noqa: ANN201
    """One client's services, newest first (404 if there is no such client)."""
    _get(Client, client_id, "client")
    qs = _services(client_id, status, product_id)
    rows, next_cursor = page(qs, list_name=f"clients/{client_id}/services", cursor=cursor, limit=limit)
    return {"items": [service_out(x) for x in rows], "next_cursor": next_cursor}


@api.get(
    "/invoices",
    response={200: s.InvoicePage, **LIST_ERRORS},
    tags=["invoices"],
    auth=StaffToken("billing.view_invoice", area="billing"),
)
def list_invoices(
    request: HttpRequest,
    client_id: s.Id | None = None,
    status: s.InvoiceStatus | None = None,
    issued_from: dt.date | None = None,
    issued_to: dt.date | None = None,
    cursor: Cursor = None,
    limit: Limit = 50,
):  # noqa: ANN201
    """Invoices, newest first; `issued_from` and `issued_to` bound the issue date (both included)."""
    qs = _invoices(client_id, status, issued_from, issued_to)
    rows, next_cursor = page(qs, list_name="invoices", cursor=cursor, limit=limit)
    return {"items": _invoices_page(rows), "next_cursor": next_cursor}


@api.get(
    "/clients/{client_id}/invoices",
    response={200: s.InvoicePage, **NESTED_ERRORS},
    tags=["clients"],
    auth=StaffToken("billing.view_invoice", area="billing"),
)
def list_client_invoices(
    request: HttpRequest,
    client_id: s.Id,
    status: s.InvoiceStatus | None = None,
    issued_from: dt.date | None = None,
    issued_to: dt.date | None = None,
    cursor: Cursor = None,
    limit: Limit = 50,
):  # noqa: ANN201
    """One client's invoices, newest first (404 if there is no such client)."""
    _get(Client, client_id, "client")
    qs = _invoices(client_id, status, issued_from, issued_to)
    rows, next_cursor = page(qs, list_name=f"clients/{client_id}/invoices", cursor=cursor, limit=limit)
    return {"items": _invoices_page(rows), "next_cursor": next_cursor}


@api.get(
    "/notifications",
    response={200: s.NotificationPage, **LIST_ERRORS},
    tags=["notifications"],
    auth=StaffToken("notifications.view_notification", area="clients"),
)
def list_notifications(
    request: HttpRequest,
    client_id: s.Id | None = None,
    status: s.NotificationStatus | None = None,
    event: s.EventFilter | None = None,
    cursor: Cursor = None,
    limit: Limit = 50,
):  # noqa: ANN201
    """Emails Moorage sent or queued, newest first; `event` is the template's name (`invoice_created` …).
    The body is left out: some carry sign-in links or login details."""
    qs = Notification.objects.all()
    if client_id is not None:
        qs = qs.filter(client_id=client_id)
    if status is not None:
        qs = qs.filter(status=status)
    if event is not None:
        qs = qs.filter(template=event)
    rows, next_cursor = page(qs, list_name="notifications", cursor=cursor, limit=limit)
    items = [
        {
            "id": n.pk,
            "client_id": n.client_id,
            "audience": n.audience,
            "event": n.template,
            "to_email": n.to_email,
            "subject": n.subject,
            "status": n.status,
            "attempts": n.attempts,
            "last_error": n.last_error,
            "service_id": n.service_id,
            "invoice_id": n.invoice_id,
            "created_at": n.created_at,
            "sent_at": n.sent_at,
        }
        for n in rows
    ]
    return {"items": items, "next_cursor": next_cursor}


@api.get(
    "/automation-runs",
    response={200: s.AutomationRunPage, **LIST_ERRORS},
    tags=["automation"],
    auth=StaffToken("automation.view_automationrun", area="billing"),
)
def list_automation_runs(
    request: HttpRequest,
    status: s.AutomationRunStatus | None = None,
    date: dt.date | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    cursor: Cursor = None,
    limit: Limit = 50,
):  # noqa: ANN201
    """Runs of `moorage cron`, newest first; `date` (or `date_from`/`date_to`) is the run's business date."""
    qs = AutomationRun.objects.all()
    if status is not None:
        qs = qs.filter(status=status)
    if date is not None:
        qs = qs.filter(run_date=date)
    if date_from is not None:
        qs = qs.filter(run_date__gte=date_from)
    if date_to is not None:
        qs = qs.filter(run_date__lte=date_to)
    rows, next_cursor = page(qs, list_name="automation-runs", cursor=cursor, limit=limit)
    items = [
        {
            "id": r.pk,
            "run_date": r.run_date,
            "status": r.status,
            "started_at": r.started_at,
            "finished_at": r.finished_at,
            "summary": r.summary,
            "host": r.host,
        }
        for r in rows
    ]
    return {"items": items, "next_cursor": next_cursor}
