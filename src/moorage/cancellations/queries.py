"""What a client may do about cancelling a service today, and when a request falls due."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from moorage.billing.renewal import is_postpaid, period_of
from moorage.catalog.models import BillingDefaults, product_setting
from moorage.core.clock import local_date
from moorage.services.models import CancellationRequest, Service

T = CancellationRequest.Type
CANCELLABLE = (Service.Status.ACTIVE, Service.Status.SUSPENDED)


@dataclass(frozen=True)
class CancellationPolicy:
    """Allow Cancellations and Allowed Cancellation Types applied to one service on one day."""

    allowed: bool
    types: tuple[str, ...] = ()
    refusal: str = ""
    code: str = ""
    available_from: dt.date | None = None

    @property
    def type_choices(self) -> list[tuple[str, str]]:
        return [(t, T(t).label) for t in self.types]


def account_created_on(service: Service) -> dt.date:
    """The day the account was created: the service's start date, else its order date."""
    return service.start_date or local_date(service.created_at)


def cancellation_policy(
    service: Service, *, today: dt.date, by_staff: bool = False, defaults: BillingDefaults | None = None
) -> CancellationPolicy:
    """May this service be cancelled today, and with which types.

    Allow Cancellations "after X days since account creation" reads as a minimum term: the client
    may ask from the day `account created + X days` on (created 1 March, X = 30 → from 31 March).
    Staff may always ask, with either type; the status rule holds for everyone.
    """
    defaults = defaults or BillingDefaults.load()
    product = service.product
    if service.status not in CANCELLABLE:
        return CancellationPolicy(
            False,
            refusal=f"a {service.get_status_display().lower()} service cannot be cancelled",
            code="service_not_cancellable",
        )
    # A service without a billing period (one-time) has no end of period to wait for.
    periodic = service.next_due_date is not None
    if by_staff:
        return CancellationPolicy(True, (T.IMMEDIATE, T.END_OF_PERIOD) if periodic else (T.IMMEDIATE,))
    allow = product_setting(product, "allow_cancellations", defaults)
    if allow == "no":
        return CancellationPolicy(
            False, refusal=f"{product.name} cannot be cancelled by the client; please contact us", code="not_allowed"
        )
    if allow == "after_days":
        days = int(product_setting(product, "cancellation_after_days", defaults) or 0)
        since = account_created_on(service) + dt.timedelta(days=days)
        if today < since:
            return CancellationPolicy(
                False,
                refusal=f"{product.name} can be cancelled from {since.isoformat()} ({days} days after the account "
                "was created)",
                code="too_early",
                available_from=since,
            )
    types = []
    if product_setting(product, "cancellation_immediate", defaults):
        types.append(T.IMMEDIATE)
    if periodic and product_setting(product, "cancellation_end_of_period", defaults):
        types.append(T.END_OF_PERIOD)
    if not types:
        return CancellationPolicy(
            False, refusal=f"no cancellation type is allowed for {product.name}", code="type_not_allowed"
        )
    return CancellationPolicy(True, tuple(types))


def pending_request(service: Service) -> CancellationRequest | None:
    return service.cancellation_requests.filter(status=CancellationRequest.Status.PENDING).first()


def processing_date(request: CancellationRequest, service: Service) -> dt.date | None:
    """The first day the request is carried out; None = at once.

    End of billing period: pre-paid, the day after the paid period (the next due date); post-paid,
    the day after the running period, which starts at the next due date and is billed when it ends.
    """
    if request.type == T.IMMEDIATE or service.next_due_date is None:
        return None
    if is_postpaid(service):
        return period_of(service, service.next_due_date)[1] + dt.timedelta(days=1)
    return service.next_due_date
