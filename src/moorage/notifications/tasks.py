"""Background entry point: send one queued notification."""

from django.utils import timezone
from django_tasks import task


@task()
def send_notification(notification_id: int) -> str:
    from moorage.notifications.delivery import deliver

    # Real time, not the test clock: it drives the backoff, which must elapse even when the
    # business clock is fixed.
    return deliver(notification_id, now=timezone.now())
