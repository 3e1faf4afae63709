"""Client area: the installable web app (manifest, service worker) and mobile notifications (allow a
device, remove it, send a test notification)."""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from moorage.clientarea.views import IMPERSONATOR_KEY, acting_user, client_required
from moorage.core import clock
from moorage.core.errors import DomainError, NotFound
from moorage.notifications.delivery import notification_push_test
from moorage.push.actions import push_subscribe, push_unsubscribe

SUBSCRIPTION_MAX_BYTES = 4096  # a browser's subscription JSON is a few hundred bytes


@require_GET
def manifest(request: HttpRequest) -> HttpResponse:
    """The web app manifest: the client area installs on a phone's home screen."""
    name = settings.MOORAGE_COMPANY_NAME
    data = {
        "name": name,
        "short_name": name[:12],
        "description": _("Your services, invoices and notifications"),
        "lang": get_language() or settings.LANGUAGE_CODE,
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#2563eb",
        "icons": [
            {"src": static("clientarea/icon-192.png"), "sizes": "192x192", "type": "image/png", "purpose": "any"},
            {"src": static("clientarea/icon-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "any"},
        ],
    }
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    return response


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker, served at /sw.js so its scope is the whole client area."""
    response = render(request, "clientarea/sw.js", content_type="application/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"  # browsers then pick up a new version at once
    return response


def _refuse_impersonation(request: HttpRequest) -> bool:
    # Staff logged in as the client must not attach their own browser to the client's notifications.
    return bool(request.session.get(IMPERSONATOR_KEY))


@require_POST
@client_required
def push_subscribe_view(request: HttpRequest) -> HttpResponse:
    """The browser's PushSubscription JSON (sent by clientarea/push.js, CSRF header) → the client's device."""
    if _refuse_impersonation(request):
        return JsonResponse({"error": "forbidden", "message": _("Not while logged in as the client.")}, status=403)
    if len(request.body) > SUBSCRIPTION_MAX_BYTES:
        return JsonResponse({"error": "invalid", "message": _("The subscription is too large.")}, status=400)
    try:
        data = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return JsonResponse({"error": "invalid", "message": _("Send the subscription as JSON.")}, status=400)
    try:
        sub = push_subscribe(
            client=request.client,  # type: ignore[attr-defined]
            data=data,
            user_agent=request.headers.get("User-Agent", ""),
            now=clock.now(),
            actor=acting_user(request),
        )
    except DomainError as exc:
        return JsonResponse({"error": exc.code, "message": exc.message, "field": exc.field}, status=400)
    return JsonResponse({"id": sub.pk, "device": sub.device_name}, status=201)


@require_POST
@client_required
def push_remove(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        push_unsubscribe(
            client=request.client,  # type: ignore[attr-defined]
            subscription_id=pk,
            now=clock.now(),
            actor=acting_user(request),
        )
    except NotFound:
        return HttpResponse(status=404)
    messages.success(request, _("The device will no longer receive notifications."))
    return redirect(_account_section())


@require_POST
@client_required
def push_test(request: HttpRequest) -> HttpResponse:
    """Send a test notification to each of the client's devices (rate limited)."""
    try:
        notification_push_test(client=request.client, now=clock.now())  # type: ignore[attr-defined]
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("A test notification is on its way to your devices."))
    return redirect(_account_section())


def _account_section() -> str:
    from django.urls import reverse

    return reverse("clientarea:account") + "#mobile-notifications"
