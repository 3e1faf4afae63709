"""Client-area pages to change a service: Upgrade / Downgrade and Change Billing Cycle.

Each lists the price rows the service may change to with what the change costs now (pro-rata for
the rest of the paid period); choosing one shows the confirmation, confirming creates the request.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from moorage.clientarea.functions import function_service
from moorage.clientarea.views import acting_user, client_required
from moorage.core import clock
from moorage.core.errors import DomainError
from moorage.upgrades.actions import cycle_targets, service_change_package, upgrade_quote, upgrade_targets
from moorage.upgrades.models import UpgradeRequest

TITLES = {"upgrade": _("Upgrade / Downgrade"), "cycle": _("Change Billing Cycle")}


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
            messages.error(request, _("Choose one of the available options."))
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
            _("Invoice %(display_number)s for %(charge)s was issued; your service changes to %(name)s once it is paid.")
            % {"display_number": req.invoice.display_number, "charge": req.charge, "name": req.to_product.name},
        )
        return HttpResponseRedirect(reverse("clientarea:invoice", args=[req.invoice.number]))
    text = _("Your service now runs on %(product)s (%(cycle)s).") % {
        "product": req.to_product.name,
        "cycle": req.get_to_cycle_display(),
    }
    amount = {"charge": req.charge, "credit": req.credit_amount}
    if req.charge > 0 and req.invoice:
        more = _("Invoice %(number)s for %(charge)s was issued.") % {**amount, "number": req.invoice.display_number}
    elif req.charge > 0:
        more = _("%(charge)s will be added to your next renewal invoice.") % amount
    elif req.charge < 0 and req.settlement == UpgradeRequest.Settlement.CREDIT:
        more = _("%(credit)s was credited to your account.") % amount
    elif req.charge < 0 and req.settlement == UpgradeRequest.Settlement.CREDIT_QUEUE:
        more = (
            _("%(credit)s was credited to your account.") % amount
            if req.status == UpgradeRequest.Status.APPLIED
            else _("%(credit)s will be credited once no invoice of yours is unpaid.") % amount
        )
    else:
        more = ""
    if more:
        text = f"{text} {more}"
    messages.success(request, text)
    return HttpResponseRedirect(reverse("clientarea:service", args=[req.service_id]))
