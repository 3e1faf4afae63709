"""The profile's "Mobile notifications" section: the client's devices and recent mobile notifications."""

from __future__ import annotations

from typing import Any

from django import template

from moorage.notifications.models import Notification
from moorage.push import vapid
from moorage.push.models import PushSubscription

register = template.Library()


@register.simple_tag(takes_context=True)
def mobile_notifications(context: dict[str, Any]) -> dict[str, Any]:
    request = context["request"]
    client = getattr(request, "client", None)
    if client is None:
        return {"devices": [], "recent": [], "public_key": ""}
    return {
        "devices": list(PushSubscription.objects.filter(client=client, active=True).order_by("-created_at")),
        "recent": list(
            Notification.objects.filter(client=client, channel=Notification.Channel.PUSH).order_by(
                "-created_at", "-pk"
            )[:5]
        ),
        "public_key": vapid.keys().public_key,
    }
