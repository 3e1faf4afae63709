"""Client area: pay an invoice online (Pay with …), come back from the provider, saved cards."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from moorage.billing.models import Invoice
from moorage.clientarea.views import _own_invoice, acting_user, client_required
from moorage.core import clock
from moorage.core.errors import DomainError, NotFound
from moorage.customers.models import Client
from moorage.payments import registry
from moorage.payments.models import Checkout, SavedPaymentMethod
from moorage.payments.online import checkout_cancel, checkout_return, checkout_start, payment_method_remove


@client_required
@require_POST
def invoice_pay_online(request: HttpRequest, number: int, gateway: str) -> HttpResponse:
    invoice = _own_invoice(request, number)
    client: Client = request.client  # type: ignore[attr-defined]
    try:
        _checkout, url = checkout_start(
            client_id=client.pk,
            invoice_id=invoice.pk,
            gateway=gateway,
            save_method=request.POST.get("save_method") == "1",
            now=clock.now(),
            base_url=request.build_absolute_uri("/"),
        )
    except NotFound:
        messages.error(request, _("This payment method is not available."))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        return HttpResponseRedirect(url)
    return redirect("clientarea:invoice", number=invoice.number)


def _back_to_invoice(checkout: Checkout) -> HttpResponse:
    return HttpResponseRedirect(reverse("clientarea:invoice", args=[checkout.invoice.number]))


@client_required
def pay_return(request: HttpRequest, reference: str) -> HttpResponse:
    """Back from the provider: the provider is asked server to server; the URL's parameters are ignored."""
    client: Client = request.client  # type: ignore[attr-defined]
    try:
        checkout = checkout_return(client_id=client.pk, reference=reference, now=clock.now())
    except NotFound:
        return HttpResponse(status=404)
    invoice = checkout.invoice
    invoice.refresh_from_db()
    if checkout.status == Checkout.Status.PAID:
        if invoice.status == Invoice.Status.PAID:
            messages.success(request, _("Thank you: invoice %(number)s is paid.") % {"number": invoice.display_number})
        else:
            messages.success(request, _("Thank you: your payment was received."))
    elif checkout.status == Checkout.Status.FAILED:
        messages.error(
            request,
            _("The payment was declined: %(reason)s") % {"reason": checkout.message or _("no reason given")},
        )
    elif checkout.status == Checkout.Status.HELD:
        messages.warning(request, _("Your payment was received and is being checked by our staff."))
    elif checkout.status == Checkout.Status.ACTION_REQUIRED:
        messages.warning(request, _("Your bank asks you to confirm the payment; please try again."))
    elif checkout.status == Checkout.Status.CANCELLED:
        messages.info(request, _("The payment was cancelled; nothing was charged."))
    else:
        messages.info(request, _("Your payment is still being processed; this page will show it once it is confirmed."))
    return _back_to_invoice(checkout)


@client_required
def pay_cancel(request: HttpRequest, reference: str) -> HttpResponse:
    client: Client = request.client  # type: ignore[attr-defined]
    try:
        checkout = checkout_cancel(client_id=client.pk, reference=reference, now=clock.now())
    except NotFound:
        return HttpResponse(status=404)
    messages.info(request, _("The payment was cancelled; nothing was charged."))
    return _back_to_invoice(checkout)


@client_required
def payment_methods(request: HttpRequest) -> HttpResponse:
    client: Client = request.client  # type: ignore[attr-defined]
    methods = SavedPaymentMethod.objects.filter(client=client, active=True).order_by("-created_at", "-id")
    rows = [{"method": m, "gateway": registry.display_name(m.gateway)} for m in methods]
    return render(request, "clientarea/payment_methods.html", {"rows": rows})


@client_required
@require_POST
def payment_method_delete(request: HttpRequest, pk: int) -> HttpResponse:
    client: Client = request.client  # type: ignore[attr-defined]
    try:
        payment_method_remove(client_id=client.pk, method_id=pk, now=clock.now(), actor=acting_user(request))
    except NotFound:
        return HttpResponse(status=404)
    messages.success(request, _("The card was removed; it will not be charged again."))
    return redirect("clientarea:payment_methods")
