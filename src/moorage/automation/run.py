"""One automation run for one business date: plan each step, apply each item in its own transaction."""

from __future__ import annotations

import datetime as dt
import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from moorage.automation.models import AutomationRun, AutomationRunItem
from moorage.automation.steps import STEPS, Context
from moorage.catalog.models import BillingDefaults

log = logging.getLogger(__name__)
COUNTERS = [step.counter for step in STEPS]


@dataclass
class RunResult:
    run: AutomationRun | None
    counts: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    planned: list[str] = field(default_factory=list)


def _housekeeping(now: dt.datetime) -> dict[str, int]:
    """Wake workers for job and notification rows that lost their wake-up; finish order deletions."""
    from moorage.notifications.actions import _enqueue
    from moorage.notifications.models import Notification
    from moorage.orders.deletion import order_finish_deletions
    from moorage.provisioning.runner import _due
    from moorage.provisioning.tasks import enqueue_job

    real_now = timezone.now()
    jobs = list(
        _due(real_now)
        .filter(next_attempt_at__lt=real_now - dt.timedelta(minutes=5))
        .values_list("pk", flat=True)[:5000]
    )
    for pk in jobs:
        enqueue_job(pk, None)
    stale = real_now - dt.timedelta(minutes=5)
    mails = list(
        Notification.objects.filter(status=Notification.Status.QUEUED, queued_at__lt=stale).values_list(
            "pk", flat=True
        )[:5000]
    )
    for pk in mails:
        _enqueue(pk)
    return {
        "jobs_requeued": len(jobs),
        "emails_requeued": len(mails),
        "orders_deleted": order_finish_deletions(now=now),
    }


def automation_run(
    *, today: dt.date, now: dt.datetime, dry_run: bool = False, progress: Callable[[str], None] | None = None
) -> RunResult:
    """Perform (or, with `dry_run`, list) the steps of billing-semantics §3 for `today`.

    One item's failure is recorded with its reason and the run goes on. The same date run twice
    does nothing the second time; two runs at once do the work once (row locks and unique keys).
    """
    say = progress or (lambda _msg: None)
    ctx = Context(today=today, now=now, defaults=BillingDefaults.load())
    result = RunResult(run=None, counts=dict.fromkeys(COUNTERS, 0))
    if not dry_run:
        result.run = AutomationRun.objects.create(
            run_date=today, started_at=timezone.now(), host=socket.gethostname()[:200]
        )
    for step in STEPS:
        done = 0
        for pk in step.plan(ctx):
            if dry_run:
                result.planned.append(f"{step.name}: {step.object_type} #{pk}")
                continue
            try:
                with transaction.atomic(durable=True):
                    outcome = step.apply(ctx, pk)
                    if outcome is not None:
                        AutomationRunItem.objects.create(
                            run=result.run,
                            step=step.name,
                            object_type=step.object_type,
                            object_id=pk,
                            outcome=AutomationRunItem.Outcome.DONE,
                            message=outcome[:2000],
                            created_at=now,
                        )
            except Exception as exc:  # recorded, and the run goes on with the rest
                log.warning("automation %s %s #%s failed: %s", step.name, step.object_type, pk, exc)
                message = f"{type(exc).__name__}: {exc}"
                result.failures.append(f"{step.name} {step.object_type} #{pk}: {message}")
                AutomationRunItem.objects.create(
                    run=result.run,
                    step=step.name,
                    object_type=step.object_type,
                    object_id=pk,
                    outcome=AutomationRunItem.Outcome.FAILED,
                    message=message[:2000],
                    created_at=now,
                )
                continue
            if outcome is not None:
                done += 1
        result.counts[step.counter] += done
        say(f"{step.name}: {done}" + (" (dry run)" if dry_run else ""))
    if not dry_run:
        extra = _housekeeping(now)
        result.counts.update(extra)
        result.counts["failures"] = len(result.failures)
        result.run.summary = result.counts
        result.run.status = AutomationRun.Status.FINISHED
        result.run.finished_at = timezone.now()
        result.run.save(update_fields=["summary", "status", "finished_at"])
    return result
