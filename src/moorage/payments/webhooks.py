"""The providers' webhook endpoint: POST /payments/webhooks/<code>/, signed by the provider.

No login and no CSRF token (the provider cannot have either): the module checks the provider's
signature on the raw body, and only then is anything recorded. Each event is applied once
(`gateway_event_apply`). Answers: 404 unknown or disabled gateway, 413 body too large, 400 bad
signature or unreadable event (nothing recorded), 503 when the module could not ask the provider
or the invoice changed meanwhile (nothing recorded; the provider delivers again), 200 applied (or
already applied).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from moorage.core import clock
from moorage.core.errors import DomainError, NotFound
from moorage.payments import registry
from moorage.payments.interface import PERMANENT, BadSignature, GatewayError
from moorage.payments.online import gateway_event_apply

log = logging.getLogger(__name__)


def _max_bytes() -> int:
    return int(getattr(settings, "MOORAGE_WEBHOOK_MAX_BYTES", 256 * 1024))


@csrf_exempt
@require_POST
def webhook(request: HttpRequest, code: str) -> HttpResponse:
    try:
        module = registry.gateway(code)
    except NotFound:
        return JsonResponse({"error": "unknown gateway"}, status=404)
    if not module.online:
        return JsonResponse({"error": "unknown gateway"}, status=404)
    limit = _max_bytes()
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        return JsonResponse({"error": "body too large"}, status=413)
    body = request.read(limit + 1)
    if len(body) > limit:
        return JsonResponse({"error": "body too large"}, status=413)
    try:
        events = module.parse_webhook(body, request.headers)
    except BadSignature as exc:
        log.warning("webhook of %s refused: %s", code, exc.message)
        return JsonResponse({"error": "bad signature"}, status=400)
    except GatewayError as exc:
        if exc.kind != PERMANENT:
            # The module had to ask the provider (a certificate, a capture) and could not: nothing is
            # recorded, and 503 tells the provider to deliver the event again later.
            log.warning("webhook of %s not processed now: %s", code, exc.message)
            return JsonResponse({"error": "try again later"}, status=503)
        log.warning("webhook of %s unreadable: %s", code, exc.message)
        return JsonResponse({"error": "unreadable event"}, status=400)
    now = clock.now()
    try:
        outcomes = [gateway_event_apply(gateway=code, event=event, now=now) for event in events]
    except DomainError as exc:
        log.warning("webhook of %s not applied: %s", code, exc.message)
        # "retry": a concurrent change; nothing was recorded and the provider delivers the event again.
        return JsonResponse({"error": exc.message}, status=503 if exc.code == "retry" else 400)
    return JsonResponse({"received": len(outcomes), "outcomes": outcomes})
