"""REST API v1 for a service's changes: upgrade options and upgrades (Change package, Change Billing
Cycle), cancellation requests and their withdrawal, and the usage of the period so far.

These are the staff screens' operations over the API: the same actions with the same rules (staff
may use either cancellation type; the Client Functions tab, which is about the client area, does not
apply) and the same staff permissions."""

from __future__ import annotations

from decimal import Decimal

from django.http import HttpRequest
from ninja import Status

from moorage.api import schemas as s
from moorage.api.endpoints import ERRORS, _get
from moorage.api.urls import StaffToken, api
from moorage.cancellations.actions import cancellation_request, cancellation_withdraw
from moorage.cancellations.queries import pending_request
from moorage.core import clock
from moorage.core.errors import DomainError, NotFound
from moorage.core.money import round_money
from moorage.metering.queries import current_period, latest_samples, period_charges
from moorage.metering.resources import RESOURCES
from moorage.services.models import CancellationRequest, Service
from moorage.upgrades.actions import cycle_targets, service_change_package, upgrade_quote, upgrade_targets
from moorage.upgrades.models import UpgradeRequest

# The staff screens' permissions (upgrades/admin.py, cancellations/admin.py).
PERM_CHANGE_PACKAGE = "services.change_service"
PERM_REQUEST_CANCELLATION = "services.add_cancellationrequest"
PERM_WITHDRAW_CANCELLATION = "services.change_cancellationrequest"


def _service(service_id: int, *functions: str) -> Service:
    """The service (404), refused with 403 `function_disabled` unless its product enables one of the
    named Client Functions: the API follows the same enablement rules as the client area."""
    service = _get(Service.objects.select_related("product", "client"), service_id, "service")
    if functions and all(service.product.client_function_refusal(f) for f in functions):
        service.product.require_client_function(functions[0])
    return service


def upgrade_request_out(req: UpgradeRequest) -> dict:
    return {
        "id": req.pk,
        "service_id": req.service_id,
        "kind": req.kind,
        "status": req.status,
        "settlement": req.settlement,
        "from_product_id": req.from_product_id,
        "from_cycle": req.from_cycle,
        "to_product_id": req.to_product_id,
        "to_cycle": req.to_cycle,
        "charge": str(req.charge),
        "invoice_id": req.invoice_id,
        "created_at": req.created_at,
        "applied_at": req.applied_at,
    }


def cancellation_out(req: CancellationRequest) -> dict:
    return {
        "id": req.pk,
        "service_id": req.service_id,
        "type": req.type,
        "reason": req.reason,
        "status": req.status,
        "created_at": req.created_at,
        "processed_at": req.processed_at,
    }


@api.get(
    "/services/{service_id}/upgrade-options",
    response={200: list[s.UpgradeOptionOut], **ERRORS},
    tags=["services"],
    auth=StaffToken("services.view_service", area="services"),
)
def list_upgrade_options(request: HttpRequest, service_id: s.Id):  # noqa: ANN201
    """Every product and billing cycle the service may change to (its product's Available Upgrades and
    its other cycles), with what the change costs now (pro-rata for the rest of the paid period) or
    why it is not possible."""
    service = _service(service_id, "upgrades", "change_billing_cycle")
    now = clock.now()
    options = []
    for price in upgrade_targets(service) + cycle_targets(service):
        option = {
            "product_id": price.product_id,
            "product": price.product.name,
            "cycle": price.cycle,
            "price": str(price.amount),
            "upgrade_fee": str(price.upgrade_fee),
            "possible": True,
            "refusal": None,
            "kind": None,
            "charge": None,
            "settlement": None,
            "applies_now": None,
            "period_start": None,
            "period_end": None,
        }
        try:
            quote = upgrade_quote(service=service, product=price.product, cycle=price.cycle, now=now)
        except DomainError as exc:
            option.update(possible=False, refusal=exc.message)
        else:
            option.update(
                kind=quote.kind,
                charge=str(quote.charge),
                settlement=quote.settlement,
                applies_now=quote.applies_now,
                period_start=quote.period_start,
                period_end=quote.period_end,
            )
        options.append(option)
    return options


@api.post(
    "/services/{service_id}/upgrades",
    response={201: s.UpgradeRequestOut, **ERRORS},
    tags=["services"],
    auth=StaffToken(PERM_CHANGE_PACKAGE, area="services"),
)
def create_upgrade(request: HttpRequest, service_id: s.Id, payload: s.UpgradeIn):  # noqa: ANN201
    """Change the service's product or billing cycle, as the staff area's Change package does: an
    upgrade invoice is issued (or the charge queued, or the credit given) per the product's settings.
    A change waiting for payment must be paid or its invoice cancelled first (409 change_pending); a
    retried request finds the change made and is refused, so it never charges twice."""
    service = _service(service_id)
    # A change of product is Upgrade / Downgrade; the same product in another cycle is Change Billing Cycle.
    service.product.require_client_function(
        "upgrades" if payload.product_id != service.product_id else "change_billing_cycle"
    )
    req = service_change_package(
        service_id=service.pk, product_id=payload.product_id, cycle=payload.cycle, now=clock.now(), actor=request.user
    )
    return Status(201, upgrade_request_out(req))


@api.post(
    "/services/{service_id}/cancellation",
    response={201: s.CancellationOut, **ERRORS},
    tags=["services"],
    auth=StaffToken(PERM_REQUEST_CANCELLATION, area="services"),
)
def create_cancellation(request: HttpRequest, service_id: s.Id, payload: s.CancellationIn):  # noqa: ANN201
    """Request cancellation on behalf of the client (staff may use either type). With Automatic
    Cancellation Requests Processing on, an immediate request is processed at once (status
    `processed`); an end-of-period one waits for the day after the paid period."""
    service = _service(service_id, "cancellation")
    req = cancellation_request(
        service_id=service.pk,
        type=payload.type,
        reason=payload.reason,
        now=clock.now(),
        actor=request.user,
        by_staff=True,
    )
    req.refresh_from_db()
    return Status(201, cancellation_out(req))


@api.delete(
    "/services/{service_id}/cancellation",
    response={200: s.CancellationOut, **ERRORS},
    tags=["services"],
    auth=StaffToken(PERM_WITHDRAW_CANCELLATION, area="services"),
)
def withdraw_cancellation(request: HttpRequest, service_id: s.Id):  # noqa: ANN201
    """Withdraw the service's pending cancellation request; the service continues to renew."""
    service = _service(service_id)
    pending = pending_request(service)
    if pending is None:
        raise NotFound("this service has no pending cancellation request", field="service", code="no_pending_request")
    return cancellation_out(cancellation_withdraw(request_id=pending.pk, now=clock.now(), actor=request.user))


@api.get(
    "/services/{service_id}/usage",
    response={200: s.UsageOut, **ERRORS},
    tags=["services"],
    auth=StaffToken("services.view_service", area="services"),
)
def get_usage(request: HttpRequest, service_id: s.Id):  # noqa: ANN201
    """The billing period containing today so far: per metered resource the usage, what is included,
    what is billable and the estimated charge (from the samples the usage job stored, never the
    panel); and the newest reading of every resource, metered or not (Disk & Bandwidth Usage)."""
    service = _service(service_id, "usage", "metered_billing")
    start, end = current_period(service, clock.today())
    resources = []
    total = round_money(service.recurring_amount)
    for item in period_charges(service, start, end):
        estimate = round_money(item.charge.amount)
        total += estimate
        resources.append(
            {
                "resource": item.price.resource,
                "label": item.label,
                "basis": item.basis,
                "unit": item.price.billing_unit,
                "measured": item.measured,
                "usage": _number(item.charge.usage),
                "included": _number(item.charge.included),
                "billable": _number(item.charge.billable),
                "unit_price": str(item.price.unit_price),
                "estimate": str(estimate),
            }
        )
    latest = [
        {
            "resource": resource,
            "label": RESOURCES[resource].label,
            "unit": RESOURCES[resource].unit,
            "value": _number(sample.value),
            "taken_at": sample.taken_at,
        }
        for resource, sample in latest_samples(service).items()
    ]
    return {
        "service_id": service.pk,
        "period_start": start,
        "period_end": end,
        "recurring_amount": str(service.recurring_amount),
        "estimate": str(total),
        "metered": resources,
        "latest": latest,
    }


def _number(value: Decimal) -> str:
    """A quantity as a plain decimal string (no exponent)."""
    return format(Decimal(value).normalize(), "f")
