"""Client area: the emails Moorage sent the client (Related Emails), their delivery, and Resend."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from moorage.clientarea.functions import function_service
from moorage.clientarea.views import acting_user, client_required
from moorage.core import clock
from moorage.core.errors import DomainError, NotFound
from moorage.notifications.delivery import RESENDABLE, notification_resend
from moorage.notifications.models import Notification

S = Notification.Status
SHOWN = [S.QUEUED, S.SENDING, S.SENT, S.FAILED, S.UNKNOWN]


def _mine(request: HttpRequest):  # noqa: ANN202
    return Notification.objects.filter(
        client=request.client,  # type: ignore[attr-defined]
        audience=Notification.Audience.CLIENT,
        channel=Notification.Channel.EMAIL,
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
    attempts = list(email.delivery_attempts.order_by("number"))
    return render(
        request,
        "clientarea/email_detail.html",
        {"email": email, "attempts": attempts, "resendable": email.status in RESENDABLE},
    )


@require_POST
@client_required
def email_resend(request: HttpRequest, pk: int) -> HttpResponse:
    """Send one of the client's own emails again (rate limited); the new attempt joins its history."""
    get_object_or_404(_mine(request), pk=pk)
    try:
        notification_resend(
            notification_id=pk,
            now=clock.now(),
            actor=acting_user(request),
            client=request.client,  # type: ignore[attr-defined]
        )
    except NotFound:
        return HttpResponse(status=404)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("clientarea:email", pk=pk)
    messages.success(request, _("The email is queued to be sent again."))
    return redirect("clientarea:email", pk=pk)
