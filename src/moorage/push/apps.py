"""Web Push: the client's devices (push subscriptions), the VAPID keys, and sending to them."""

from django.apps import AppConfig


class PushConfig(AppConfig):
    name = "moorage.push"
    label = "push"
    verbose_name = "Mobile notifications"

    def ready(self) -> None:
        from moorage.push import checks  # noqa: F401  (registers the deploy check)
