"""Client area pages of the billing-side Client Functions: Service Auto Renewal, Service Auto Payment,
Service Notes, Status Updates, Downloads and Related Invoices. Each starts with `function_service`
(the client's own service whose product enables the function; 404 / 403 otherwise)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from moorage.billing.models import Invoice
from moorage.clientarea.functions import function_service
from moorage.clientarea.views import acting_user, client_required
from moorage.core import clock
from moorage.core.errors import DomainError
from moorage.servicefunctions.actions import auto_payment_set, auto_renewal_set
from moorage.servicefunctions.queries import (
    auto_payment_on,
    downloads_of,
    may_download,
    renewal_state,
    service_updates,
    visible_notes,
)


def _switch(request: HttpRequest) -> bool | None:
    value = request.POST.get("on")
    return {"1": True, "0": False}.get(value or "")


def _set_switch(request: HttpRequest, service, action, *, url_name: str, label: str) -> HttpResponse | None:  # noqa: ANN001
    """POST of an on/off switch of the service: the action, a message saying the outcome, and back to the page."""
    on = _switch(request)
    if on is None:
        messages.error(request, _("Choose on or off."))
    else:
        try:
            client_id = request.client.pk  # type: ignore[attr-defined]
            action(service_id=service.pk, on=on, now=clock.now(), actor=acting_user(request), client_id=client_id)
        except DomainError as exc:
            messages.error(request, exc.message[:1].upper() + exc.message[1:] + ".")
        else:
            messages.success(
                request, _("%(label)s is on.") % {"label": label} if on else _("%(label)s is off.") % {"label": label}
            )
        return HttpResponseRedirect(reverse(url_name, args=[service.pk]))
    return None


@client_required
@require_http_methods(["GET", "POST"])
def service_auto_renewal(request: HttpRequest, pk: int) -> HttpResponse:
    service = function_service(request, pk, "auto_renewal")
    if request.method == "POST":
        response = _set_switch(
            request, service, auto_renewal_set, url_name="clientarea:service_auto_renewal", label=_("Auto renewal")
        )
        if response is not None:
            return response
    service.refresh_from_db()
    return render(request, "clientarea/fn_auto_renewal.html", {"service": service, "state": renewal_state(service)})


@client_required
@require_http_methods(["GET", "POST"])
def service_auto_payment(request: HttpRequest, pk: int) -> HttpResponse:
    service = function_service(request, pk, "auto_payment")
    if request.method == "POST":
        response = _set_switch(
            request, service, auto_payment_set, url_name="clientarea:service_auto_payment", label=_("Auto payment")
        )
        if response is not None:
            return response
    return render(request, "clientarea/fn_auto_payment.html", {"service": service, "on": auto_payment_on(service)})


@client_required
def service_notes(request: HttpRequest, pk: int) -> HttpResponse:
    service = function_service(request, pk, "service_notes")
    return render(request, "clientarea/fn_notes.html", {"service": service, "notes": visible_notes(service)})


@client_required
def service_status_updates(request: HttpRequest, pk: int) -> HttpResponse:
    service = function_service(request, pk, "status_updates")
    now = clock.now()
    current = list(service_updates(service, now=now))
    earlier = service_updates(service, now=now, current_only=False)[:50]
    past = [u for u in earlier if u not in current and u.starts_at <= now]
    return render(request, "clientarea/fn_status_updates.html", {"service": service, "current": current, "past": past})


@client_required
def service_downloads(request: HttpRequest, pk: int) -> HttpResponse:
    service = function_service(request, pk, "downloads")
    allowed = may_download(service)
    return render(
        request,
        "clientarea/fn_downloads.html",
        {"service": service, "allowed": allowed, "downloads": downloads_of(service) if allowed else []},
    )


@client_required
def service_download(request: HttpRequest, pk: int, download_id: int) -> FileResponse:
    """One file, through Django: the client's own active service of the file's product, or 404."""
    service = function_service(request, pk, "downloads")
    if not may_download(service):
        raise Http404("no such file")
    download = downloads_of(service).filter(pk=download_id).first()
    if download is None:
        raise Http404("no such file")
    try:
        handle = download.file.open("rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404("the file is missing; please contact us") from exc
    response = FileResponse(
        handle, as_attachment=True, filename=download.filename, content_type="application/octet-stream"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@client_required
def service_related_invoices(request: HttpRequest, pk: int) -> HttpResponse:
    service = function_service(request, pk, "related_invoices")
    rows = (
        Invoice.objects.filter(client=request.client, lines__service=service)  # type: ignore[attr-defined]
        .distinct()
        .order_by("-number")
    )
    page = Paginator(rows, 25).get_page(request.GET.get("page"))
    return render(request, "clientarea/fn_related_invoices.html", {"service": service, "page": page})
