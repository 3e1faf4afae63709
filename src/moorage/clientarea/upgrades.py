"""Client-area pages to change a service: Upgrade / Downgrade and Change Billing Cycle.

Each lists the price rows the service may change to with what the change costs now (pro-rata for
the rest of the paid period); choosing one shows the confirmation, confirming creates the request.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

from moorage.clientarea.functions import function_service
from moorage.clientarea.views import acting_user, client_required
from moorage.core import clock
from moorage.core.errors import DomainError
from moorage.upgrades.actions import cycle_targets, service_change_package, upgrade_quote, upgrade_targets
from moorage.upgrades.models import UpgradeRequest

TITLES = {"upgrade": "Upgrade / Downgrade", "cycle": "Change Billing Cycle"}


@client_required
def service_upgrade(request: HttpRequest, pk: int) -> HttpResponse:
    return _change_page(request, pk, mode="upgrade")


@client_required
def service_cycle(request: HttpRequest, pk: int) -> HttpResponse:
    return _change_page(request, pk, mode="cycle")


def _change_page(request: HttpRequest, pk: int, *, mode: str) -> HttpResponse:
    service = function_service(request, pk, "upgrades" if mode == "upgrade" else "change_billing_cycle")
    now = clock.now()
    options = []
    for price in upgrade_targets(service) if mode == "upgrade" else cycle_targets(service):
        quote, error = None, ""
        try:
            quote = upgrade_quote(service=service, product=price.product, cycle=price.cycle, now=now)
        except DomainError as exc:
            error = exc.message
        options.append({"price": price, "quote": quote, "error": error, "value": f"{price.product_id}:{price.cycle}"})
    pending = (
        service.upgrade_requests.filter(status=UpgradeRequest.Status.PENDING_PAYMENT).select_related("invoice").first()
    )
    selected = None
    if request.method == "POST":
        chosen = next((o for o in options if o["value"] == request.POST.get("target") and o["quote"]), None)
        if chosen is None:
            messages.error(request, "Choose one of the available options.")
        elif request.POST.get("confirm") != "yes":
            selected = chosen
        else:
            try:
                req = service_change_package(
                    service_id=service.pk,
                    product_id=chosen["price"].product_id,
                    cycle=chosen["price"].cycle,
                    now=now,
                    actor=acting_user(request),
                )
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                return _done(request, req)
    return render(
        request,
        "clientarea/service_change.html",
        {
            "service": service,
            "mode": mode,
            "title": TITLES[mode],
            "options": options,
            "selected": selected,
            "pending": pending,
        },
    )


def _done(request: HttpRequest, req: UpgradeRequest) -> HttpResponse:
    if req.status == UpgradeRequest.Status.PENDING_PAYMENT and req.invoice:
        messages.success(
            request,
            f"Invoice {req.invoice.display_number} for {req.charge} was issued; "
            f"your service changes to {req.to_product.name} once it is paid.",
        )
        return HttpResponseRedirect(reverse("clientarea:invoice", args=[req.invoice.number]))
    text = f"Your service now runs on {req.to_product.name} ({req.get_to_cycle_display()})."
    if req.charge > 0 and req.invoice:
        text += f" Invoice {req.invoice.display_number} for {req.charge} was issued."
    elif req.charge > 0:
        text += f" {req.charge} will be added to your next renewal invoice."
    elif req.charge < 0 and req.settlement == UpgradeRequest.Settlement.CREDIT:
        text += f" {req.credit_amount} was credited to your account."
    elif req.charge < 0 and req.settlement == UpgradeRequest.Settlement.CREDIT_QUEUE:
        text += (
            f" {req.credit_amount} was credited to your account."
            if req.status == UpgradeRequest.Status.APPLIED
            else f" {req.credit_amount} will be credited once no invoice of yours is unpaid."
        )
    messages.success(request, text)
    return HttpResponseRedirect(reverse("clientarea:service", args=[req.service_id]))
