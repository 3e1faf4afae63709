"""A client's device that allowed mobile notifications: a Web Push subscription."""

from __future__ import annotations

from django.db import models

from moorage.customers.models import Client


class PushSubscription(models.Model):
    """One browser or installed client area that allowed notifications (its push service endpoint
    and the keys its messages are encrypted to). Set up by the client; deactivated when the push
    service says it is gone (404/410) or removed by the client."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="push_subscriptions")
    # The push service's URL for this device: a capability (whoever knows it can push), never shown.
    endpoint = models.URLField(max_length=1000, unique=True)
    p256dh = models.CharField(max_length=100)  # the device's P-256 public key, base64url
    auth = models.CharField(max_length=50)  # the device's auth secret, base64url
    user_agent = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    last_success_at = models.DateTimeField(null=True, blank=True)
    failures = models.PositiveIntegerField(default=0)  # failed sends since the last success
    last_error = models.TextField(blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.device_name} of {self.client_id}"

    @property
    def device_name(self) -> str:
        """A short name for the device list, from its user agent."""
        ua = self.user_agent
        browser = next((b for b in ("Edg", "Firefox", "Chrome", "Safari") if b in ua), "Browser")
        system = next((s for s in ("Android", "iPhone", "iPad", "Windows", "Mac OS", "Linux") if s in ua), "")
        browser = {"Edg": "Edge"}.get(browser, browser)
        return f"{browser} on {system}" if system else browser
