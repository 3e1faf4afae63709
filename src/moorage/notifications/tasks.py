"""Background entry point: send one queued notification."""

from django_tasks import task

from moorage.core import clock


@task()
def send_notification(notification_id: int) -> str:
    from moorage.notifications.actions import deliver

    return deliver(notification_id, now=clock.now())
