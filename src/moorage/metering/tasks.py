"""Background entry point of the usage job: one task per app connection, queued by the automation."""

from __future__ import annotations

import logging

from django_tasks import task

from moorage.core import clock
from moorage.core.errors import DomainError

log = logging.getLogger(__name__)


@task()
def collect_usage(connection_id: int) -> str:
    from moorage.metering.actions import usage_collect

    try:
        result = usage_collect(connection_id=connection_id, now=clock.now())
    except DomainError as exc:  # recorded on the connection's UsageSync row; the next run tries again
        log.warning("usage job for connection %s: %s", connection_id, exc)
        return f"failed: {exc}"
    return f"{result.accounts} accounts, {result.samples} samples"


def enqueue_usage_collect(connection_id: int) -> None:
    """Wake a worker for the connection's usage job; a failure to enqueue only delays the figures."""
    try:
        collect_usage.enqueue(connection_id)
    except Exception:
        log.exception("could not enqueue the usage job of connection %s", connection_id)
