"""Reads of the billing-side Client Functions that the client area, the API and the automation share."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from moorage.core.cycles import Cycle
from moorage.provisioning.models import PanelAccount
from moorage.servicefunctions.models import ProductDownload, ServiceNote, ServiceOptions, StatusUpdate
from moorage.services.models import CancellationRequest, Service

S = Service.Status
RENEWABLE = (S.ACTIVE, S.SUSPENDED)
# Services whose clients see status updates (an open service: not ended).
OPEN = (S.PENDING, S.ACTIVE, S.SUSPENDED)


def options_of(service: Service) -> ServiceOptions | None:
    return ServiceOptions.objects.filter(service=service).select_related("renewal_off_request").first()


def auto_payment_on(service: Service) -> bool:
    return ServiceOptions.objects.filter(service=service, auto_payment=True).exists()


@dataclass(frozen=True)
class RenewalState:
    """Service Auto Renewal as the client sees it: `on`, and whether (and why not) they may switch."""

    on: bool
    can_change: bool
    refusal: str = ""
    ends_on: dt.date | None = None  # with renewal off: the last paid day


def renewal_refusal(service: Service) -> str:
    """Why Service Auto Renewal cannot apply to this service at all, or ""."""
    if service.cycle == Cycle.ONE_TIME or service.next_due_date is None:
        return "this service has no billing period to renew"
    if service.product.is_postpaid:
        return "post-paid services are billed after each period and cannot stop renewing this way"
    if service.status not in RENEWABLE:
        return f"a {service.get_status_display().lower()} service does not renew"
    return ""


def renewal_state(service: Service) -> RenewalState:
    refusal = renewal_refusal(service)
    if refusal:
        return RenewalState(on=service.auto_renew, can_change=False, refusal=refusal)
    options = options_of(service)
    mine = options.renewal_off_request if options is not None else None
    if mine is not None and mine.status == CancellationRequest.Status.PENDING:
        return RenewalState(on=False, can_change=True, ends_on=service.expiry_date)
    other = service.cancellation_requests.filter(status=CancellationRequest.Status.PENDING).exists()
    if other:
        return RenewalState(
            on=False, can_change=False, refusal="a cancellation request is pending; withdraw it to renew again"
        )
    if not service.auto_renew:
        return RenewalState(on=False, can_change=False, refusal="renewal of this service was turned off by our staff")
    return RenewalState(on=True, can_change=True)


def visible_notes(service: Service) -> QuerySet[ServiceNote]:
    """The notes the client may read, newest first."""
    return ServiceNote.objects.filter(service=service, visible_to_client=True).order_by("-created_at", "-id")


def _current(now: dt.datetime) -> Q:
    return Q(starts_at__lte=now) & (Q(ends_at__isnull=True) | Q(ends_at__gt=now))


def service_updates(service: Service, *, now: dt.datetime, current_only: bool = True) -> QuerySet[StatusUpdate]:
    """The status updates that concern one service: posted to its product, or to the server group
    of the app connection its panel account is on."""
    group_id = PanelAccount.objects.filter(service=service).values_list("connection__group_id", flat=True).first()
    concerns = Q(products=service.product_id)
    if group_id is not None:
        concerns |= Q(server_groups=group_id)
    qs = StatusUpdate.objects.filter(concerns)
    if current_only:
        qs = qs.filter(_current(now))
    return qs.distinct().order_by("-starts_at", "-id")


def client_updates(client_id: int, *, now: dt.datetime) -> list[tuple[StatusUpdate, list[Service]]]:
    """The current status updates for a client's open services (for the dashboard), each with the
    services it concerns."""
    rows = Service.objects.filter(client_id=client_id, status__in=OPEN)
    services = list(rows.select_related("product", "panel_account__connection"))
    services = [s for s in services if s.product.client_function_refusal("status_updates") is None]
    if not services:
        return []
    by_product: dict[int, list[Service]] = {}
    by_group: dict[int, list[Service]] = {}
    for service in services:
        by_product.setdefault(service.product_id, []).append(service)
        account = getattr(service, "panel_account", None)
        if account is not None and account.connection.group_id is not None:
            by_group.setdefault(account.connection.group_id, []).append(service)
    updates = (
        StatusUpdate.objects.filter(_current(now))
        .filter(Q(products__in=list(by_product)) | Q(server_groups__in=list(by_group)))
        .distinct()
        .prefetch_related("products", "server_groups")
        .order_by("-starts_at", "-id")
    )
    out = []
    for update in updates:
        hit: dict[int, Service] = {}
        for product in update.products.all():
            hit.update({s.pk: s for s in by_product.get(product.pk, [])})
        for group in update.server_groups.all():
            hit.update({s.pk: s for s in by_group.get(group.pk, [])})
        out.append((update, sorted(hit.values(), key=lambda s: s.pk)))
    return out


def downloads_of(service: Service) -> QuerySet[ProductDownload]:
    return ProductDownload.objects.filter(product_id=service.product_id).order_by("title", "id")


def may_download(service: Service) -> bool:
    """Only an active service of the product gives access to its files."""
    return service.status == S.ACTIVE
