"""Client-area pages for cancelling a service (Request cancellation, Withdraw) and for credit notes.

Rows are looked up through the signed-in client, so another client's service or credit note is a
404. The rules (Allow Cancellations, types, one pending request) are the action's; the page only
shows what the policy allows and the action's errors.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from moorage.billing.models import CreditNote
from moorage.billing.pdf import render_credit_note_pdf
from moorage.billing.queries import client_credit_balance
from moorage.cancellations.actions import MAX_REASON, cancellation_request, cancellation_withdraw
from moorage.cancellations.queries import cancellation_policy, pending_request, processing_date
from moorage.clientarea.forms import add_domain_error
from moorage.clientarea.functions import function_service
from moorage.clientarea.views import acting_user, client_required
from moorage.core import clock
from moorage.core.errors import DomainError
from moorage.customers.models import Client
from moorage.services.models import CancellationRequest, Service


class CancellationForm(forms.Form):
    type = forms.ChoiceField(label=_("Cancellation type"), widget=forms.RadioSelect)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Tell us why you are leaving; it helps us improve."),
    )

    def __init__(self, *args, types: list[tuple[str, str]], **kwargs) -> None:  # noqa: ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.fields["type"].choices = types
        if len(types) == 1:
            self.fields["type"].initial = types[0][0]


def _own_service(request: HttpRequest, pk: int) -> Service:
    client: Client = request.client  # type: ignore[attr-defined]
    return get_object_or_404(Service.objects.select_related("product", "client"), pk=pk, client=client)


def cancellation_ends_on(cancellation: CancellationRequest, service: Service) -> dt.date | None:
    """The last day of service of an end-of-period request (None: immediate)."""
    day = processing_date(cancellation, service)
    return day - dt.timedelta(days=1) if day else None


@client_required
def service_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Request cancellation: the types the product allows and a reason."""
    function_service(request, pk, "cancellation")
    service = _own_service(request, pk)
    pending = pending_request(service)
    if pending is not None:
        messages.info(request, _("A cancellation of this service is already requested."))
        return redirect("clientarea:service", pk=service.pk)
    policy = cancellation_policy(service, today=clock.today())
    form = CancellationForm(request.POST if request.method == "POST" else None, types=policy.type_choices)
    if request.method == "POST" and policy.allowed and form.is_valid():
        try:
            cancellation = cancellation_request(
                service_id=service.pk,
                type=form.cleaned_data["type"],
                reason=form.cleaned_data["reason"],
                now=clock.now(),
                actor=acting_user(request),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            service.refresh_from_db()
            if cancellation.status == CancellationRequest.Status.PROCESSED:
                messages.success(request, _("Your service was cancelled."))
            elif cancellation.type == CancellationRequest.Type.IMMEDIATE:
                messages.success(request, _("Your cancellation request was received; we will process it shortly."))
            else:
                ends = cancellation_ends_on(cancellation, service)
                messages.success(
                    request,
                    _("Your service will be cancelled at the end of its billing period, on %(date)s.")
                    % {"date": f"{ends:%Y-%m-%d}"}
                    if ends
                    else _("Your service will be cancelled at the end of its billing period."),
                )
            return redirect("clientarea:service", pk=service.pk)
    return render(request, "clientarea/service_cancel.html", {"service": service, "policy": policy, "form": form})


@client_required
@require_POST
def service_cancel_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """Withdraw the pending cancellation request of the service."""
    service = _own_service(request, pk)
    pending = pending_request(service)
    if pending is None:
        messages.info(request, _("There is no pending cancellation request for this service."))
        return redirect("clientarea:service", pk=service.pk)
    try:
        cancellation_withdraw(
            request_id=pending.pk,
            now=clock.now(),
            actor=acting_user(request),
            client_id=request.client.pk,  # type: ignore[attr-defined]
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Your cancellation request was withdrawn; the service continues."))
    return redirect("clientarea:service", pk=service.pk)


# --- credit notes ---------------------------------------------------------------------------------


def _own_credit_note(request: HttpRequest, number: int) -> CreditNote:
    client: Client = request.client  # type: ignore[attr-defined]
    return get_object_or_404(
        CreditNote.objects.select_related("client__user", "invoice", "service__product"), number=number, client=client
    )


@client_required
def credit_note_list(request: HttpRequest) -> HttpResponse:
    client: Client = request.client  # type: ignore[attr-defined]
    notes = client.credit_notes.select_related("invoice", "service__product").order_by("-number")
    return render(request, "clientarea/credit_notes.html", {"notes": notes, "credit": client_credit_balance(client)})


@client_required
def credit_note_detail(request: HttpRequest, number: int) -> HttpResponse:
    note = _own_credit_note(request, number)
    return render(request, "clientarea/credit_note_detail.html", {"note": note, "client": note.client})


@client_required
def credit_note_pdf(request: HttpRequest, number: int) -> HttpResponse:
    note = _own_credit_note(request, number)
    response = HttpResponse(render_credit_note_pdf(note), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="credit-note-{note.display_number}.pdf"'
    return response
