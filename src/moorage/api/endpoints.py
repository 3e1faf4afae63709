"""REST API v1 endpoints: each reads through the ORM or calls one action."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Status

from moorage.api import schemas as s
from moorage.api.actions import api_order_place, request_fingerprint
from moorage.api.ordering import cart_items, payload_path
from moorage.api.urls import StaffToken, api
from moorage.billing.models import Invoice, Payment
from moorage.billing.queries import ZERO, client_credit_balance, invoice_outstanding, invoice_paid_amount
from moorage.catalog.models import OrderPage, Product
from moorage.core import clock
from moorage.core.errors import DomainError, NotFound
from moorage.customers.actions import client_register
from moorage.customers.models import Client, ClientGroup
from moorage.orders.models import Order
from moorage.payments.actions import payment_record
from moorage.services.models import Service

# Every refusal an operation can answer, documented for each (403 and 429: token scopes and rate
# limits; 413: a body over DATA_UPLOAD_MAX_MEMORY_SIZE).
ERRORS = dict.fromkeys((400, 401, 403, 404, 409, 413, 422, 429), s.ErrorOut)
LIST_ERRORS = dict.fromkeys((401, 403, 422, 429), s.ErrorOut)


def _get(model_or_qs, pk: int, label: str):  # noqa: ANN001, ANN202
    qs = model_or_qs.objects.all() if hasattr(model_or_qs, "objects") else model_or_qs
    obj = qs.filter(pk=pk).first()
    if obj is None:
        raise NotFound(f"no {label} with id {pk}", field="id")
    return obj


# The client's own fields, as every client answer of the API shows them.
CLIENT_FIELDS = (
    "first_name",
    "last_name",
    "organization",
    "address1",
    "address2",
    "city",
    "state",
    "zip_code",
    "country",
    "phone",
    "account_type",
    "language",
    "custom_fields",
    "created_at",
)


def client_out(client: Client) -> dict:
    return {
        "id": client.pk,
        "email": client.user.email,
        "status": client.status,
        "group": client.group.name if client.group_id else None,
        **{f: getattr(client, f) for f in CLIENT_FIELDS},
        "credit_balance": str(client_credit_balance(client)),
    }


def service_out(service: Service) -> dict:
    return {
        "id": service.pk,
        "client_id": service.client_id,
        "product_id": service.product_id,
        "product": service.product.name,
        "status": service.status,
        "status_reason": service.status_reason,
        "cycle": service.cycle,
        "recurring_amount": str(service.recurring_amount),
        "hostname": service.hostname,
        "created_at": service.created_at,
        "start_date": service.start_date,
        "next_due_date": service.next_due_date,
        "expiry_date": service.expiry_date,
        "anchor_day": service.anchor_day,
    }


def invoice_out(invoice: Invoice) -> dict:
    due = invoice_outstanding(invoice) if invoice.status == Invoice.Status.UNPAID else ZERO
    return {
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
        "amount_paid": str(invoice_paid_amount(invoice)),
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
            for ln in invoice.lines.order_by("pk")
        ],
    }


def order_out(order: Order) -> dict:
    """An order and the orders of other services placed with it (each with its own invoice)."""
    others = order.separate_orders.filter(client_id=order.client_id).order_by("number")
    return {**placed_order_out(order), "other_orders": [placed_order_out(o) for o in others]}


def placed_order_out(order: Order) -> dict:
    return {
        "id": order.pk,
        "number": order.display_number,
        "client_id": order.client_id,
        "status": order.status,
        "created_at": order.created_at,
        "items": [
            {
                "id": it.pk,
                "product_id": it.product_id,
                "cycle": it.cycle,
                "hostname": it.hostname,
                "amount": str(it.amount),
                "setup_fee": str(it.setup_fee),
                "service": service_out(it.service),
            }
            for it in order.items.select_related("service__product").order_by("pk")
        ],
        "invoice": invoice_out(order.invoice) if order.invoice_id else None,
    }


@api.post(
    "/clients",
    response={201: s.ClientOut, **ERRORS},
    tags=["clients"],
    auth=StaffToken("customers.add_client", area="clients"),
)
def create_client(request: HttpRequest, payload: s.ClientIn):  # noqa: ANN201
    """Register a client; the registration field configuration applies (required and custom fields)."""
    data = payload.dict()
    group = None
    if data.get("group"):
        group = ClientGroup.objects.filter(name=data["group"]).first()
        if group is None:
            raise NotFound(f"no client group named {data['group']!r}", field="group")
    profile = {
        k: v for k, v in data.items() if k not in ("email", "password", "status", "group", "language", "custom_fields")
    }
    profile.update(data.get("custom_fields") or {})
    client = client_register(
        email=data["email"],
        password=data.get("password"),
        profile=profile,
        status=data["status"],
        group=group,
        now=clock.now(),
        actor=request.user,
        by_staff=True,
        enforce_required=True,
        language=data["language"],
    )
    return Status(201, client_out(client))


@api.get(
    "/clients/{client_id}",
    response={200: s.ClientOut, **ERRORS},
    tags=["clients"],
    auth=StaffToken("customers.view_client", area="clients"),
)
def get_client(request: HttpRequest, client_id: s.Id):  # noqa: ANN201
    return client_out(_get(Client.objects.select_related("user", "group"), client_id, "client"))


@api.get(
    "/order-pages",
    response={200: list[s.OrderPageOut], **LIST_ERRORS},
    tags=["catalog"],
    auth=StaffToken("catalog.view_orderpage", area="catalog"),
)
def list_order_pages(request: HttpRequest, visible: bool | None = None):  # noqa: ANN201
    qs = OrderPage.objects.all()
    if visible is not None:
        qs = qs.filter(visible=visible)
    return list(qs)


@api.get(
    "/products",
    response={200: list[s.ProductOut], **LIST_ERRORS},
    tags=["catalog"],
    auth=StaffToken("catalog.view_product", area="catalog"),
)
def list_products(request: HttpRequest, order_page_id: s.Id | None = None, visible: bool | None = None):  # noqa: ANN201
    qs = Product.objects.prefetch_related("prices").order_by("order_page_id", "sort_order", "name")
    if order_page_id is not None:
        qs = qs.filter(order_page_id=order_page_id)
    if visible is not None:
        qs = qs.filter(visible=visible)
    return [
        {
            **{
                f: getattr(p, f)
                for f in (
                    "id",
                    "order_page_id",
                    "name",
                    "code",
                    "description",
                    "visible",
                    "price_type",
                    "billing_type",
                    "stock_enabled",
                    "stock",
                    "limit_per_customer",
                    "hostname_required",
                    "hostname_validation",
                )
            },
            "tags": p.tag_list,
            "prices": [
                {
                    "cycle": r.cycle,
                    "amount": str(r.amount),
                    "setup_fee": str(r.setup_fee),
                    "upgrade_fee": str(r.upgrade_fee),
                }
                for r in p.prices.all()
            ],
        }
        for p in qs
    ]


@api.post(
    "/orders",
    response={201: s.OrderOut, **ERRORS},
    tags=["orders"],
    auth=StaffToken("orders.add_order", area="orders"),
)
def create_order(
    request: HttpRequest,
    payload: s.OrderIn,
    response: HttpResponse,
    idempotency_key: s.IdempotencyKeyHeader = None,
):  # noqa: ANN201
    """Place an order for a client: its services (pending) and first invoice are created at once.

    Send an `Idempotency-Key` header to make retries safe: the same key with the same request returns
    the first order (with `Idempotent-Replayed: true`); the same key with another request is a 409
    `idempotency_key_reused`. Keys belong to the token's user.
    """
    client = _get(Client, payload.client_id, "client")
    items, paths = cart_items(payload.items)
    try:
        order, replayed = api_order_place(
            user=request.user,
            client=client,
            items=items,
            now=clock.now(),
            notes=payload.notes,
            idempotency_key=idempotency_key,
            request_hash=request_fingerprint(
                method=request.method, path=request.path, user=request.user, body=payload.model_dump(mode="json")
            ),
            promo_code=payload.promo_code,
            accept_contracts=payload.accept_contracts,
        )
    except DomainError as exc:
        exc.field = payload_path(exc.field, paths)
        raise
    if replayed:
        response["Idempotent-Replayed"] = "true"
    return Status(201, order_out(order))


@api.get(
    "/orders/{order_id}",
    response={200: s.OrderOut, **ERRORS},
    tags=["orders"],
    auth=StaffToken("orders.view_order", area="orders"),
)
def get_order(request: HttpRequest, order_id: s.Id):  # noqa: ANN201
    return order_out(_get(Order, order_id, "order"))


@api.get(
    "/invoices/{invoice_id}",
    response={200: s.InvoiceOut, **ERRORS},
    tags=["invoices"],
    auth=StaffToken("billing.view_invoice", area="billing"),
)
def get_invoice(request: HttpRequest, invoice_id: s.Id):  # noqa: ANN201
    return invoice_out(_get(Invoice, invoice_id, "invoice"))


@api.post(
    "/invoices/{invoice_id}/payments",
    response={200: s.PaymentOut, 201: s.PaymentOut, **ERRORS},
    tags=["invoices"],
    # Record payment in the staff area is an invoice action (billing.change_invoice).
    auth=StaffToken("billing.add_payment", "billing.change_invoice", area="billing"),
)
def create_payment(request: HttpRequest, invoice_id: s.Id, payload: s.PaymentIn):  # noqa: ANN201
    """Record a payment. Sending the same (gateway, transaction_id) again returns the first one (200).

    `received_at` (a date or a date-time, default now) is when the money arrived: not in the future and
    not before the invoice's issue date (422 naming `received_at`). Its date becomes the invoice's paid
    date, and with it the start of a new service's first period when the product adjusts it to the
    payment date. Ledger entries keep the moment of recording; a late fee the automation run already
    added stays (cancel its line in the staff area if the money was in time)."""
    _get(Invoice, invoice_id, "invoice")
    payment, created = payment_record(
        invoice_id=invoice_id,
        amount=payload.amount,
        gateway=payload.gateway,
        transaction_id=payload.transaction_id,
        now=clock.now(),
        actor=request.user,
        note=payload.note,
        currency=payload.currency,
        received_at=payload.received_at,
    )
    payment = Payment.objects.select_related("invoice").get(pk=payment.pk)
    body = {
        "id": payment.pk,
        "invoice_id": payment.invoice_id,
        "gateway": payment.gateway,
        "transaction_id": payment.transaction_id,
        "amount": str(payment.amount),
        "currency": payment.currency,
        "received_at": payment.received_at,
        "created": created,
        "invoice": invoice_out(payment.invoice),
    }
    return Status(201 if created else 200, body)


@api.get(
    "/services/{service_id}",
    response={200: s.ServiceOut, **ERRORS},
    tags=["services"],
    auth=StaffToken("services.view_service", area="services"),
)
def get_service(request: HttpRequest, service_id: s.Id):  # noqa: ANN201
    return service_out(_get(Service.objects.select_related("product"), service_id, "service"))
