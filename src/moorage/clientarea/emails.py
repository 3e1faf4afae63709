"""Client area: the emails Moorage sent the client (Related Emails)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from moorage.clientarea.functions import function_service
from moorage.clientarea.views import client_required
from moorage.notifications.models import Notification

SHOWN = [Notification.Status.QUEUED, Notification.Status.SENT, Notification.Status.FAILED]


def _mine(request: HttpRequest):  # noqa: ANN202
    return Notification.objects.filter(
        client=request.client,
        audience=Notification.Audience.CLIENT,  # type: ignore[attr-defined]
        status__in=SHOWN,
    )


@client_required
def email_list(request: HttpRequest) -> HttpResponse:
    rows = _mine(request).order_by("-created_at", "-pk")
    service_id = request.GET.get("service")
    # Related Emails of one service: the client's own service (404), with the function enabled (403).
    # A value that is not a plain ASCII id (Arabic-Indic digits int() would accept, "-1") filters nothing.
    if service_id and service_id.isascii() and service_id.isdigit():
        service = function_service(request, int(service_id), "related_emails")
        rows = rows.filter(service_id=service.pk)
    page = Paginator(rows, 25).get_page(request.GET.get("page"))
    return render(request, "clientarea/emails.html", {"page": page, "service_id": service_id})


@client_required
def email_detail(request: HttpRequest, pk: int) -> HttpResponse:
    email = get_object_or_404(_mine(request), pk=pk)
    return render(request, "clientarea/email_detail.html", {"email": email})
