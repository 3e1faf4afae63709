"""The Contracts client function: the agreements the client accepted when ordering the service (each
with its exact version, time and address), and the terms accepted when registering."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from moorage.clientarea.functions import function_service
from moorage.clientarea.views import client_required
from moorage.contracts.models import Acceptance, ProductContract
from moorage.orders.models import OrderItem
from moorage.services.models import Service


def service_acceptances(service: Service):  # noqa: ANN201
    """The contract acceptances of the orders that placed the service, by its owner."""
    order_ids = OrderItem.objects.filter(service=service).values("order_id")
    return (
        Acceptance.objects.filter(client_id=service.client_id, order_id__in=order_ids, kind=Acceptance.Kind.CONTRACT)
        .select_related("version__template")
        .order_by("version__template__name", "-accepted_at")
    )


def has_contracts(service: Service) -> bool:
    """Whether the Contracts page has something to show (the menu offers it only then)."""
    return (
        ProductContract.objects.filter(product_id=service.product_id).exists() or service_acceptances(service).exists()
    )


@client_required
def service_contracts(request: HttpRequest, pk: int) -> HttpResponse:
    service = function_service(request, pk, "contracts")
    terms = (
        Acceptance.objects.filter(client=request.client, kind=Acceptance.Kind.TERMS)  # type: ignore[attr-defined]
        .select_related("version__template")
        .order_by("version__template__name", "-accepted_at")
    )
    return render(
        request,
        "clientarea/fn_contracts.html",
        {"service": service, "acceptances": service_acceptances(service), "terms": terms},
    )
