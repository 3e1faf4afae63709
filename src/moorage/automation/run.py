"""One automation run for one business date: plan each step, apply each item in its own transaction."""

from __future__ import annotations

import datetime as dt
import logging
import queue
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
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


def _apply_one(step, ctx: Context, pk: int, run: AutomationRun) -> tuple[bool, str | None]:  # noqa: ANN001
    """Apply one item in its own transaction; record what it did. Returns (done, failure text)."""
    try:
        with transaction.atomic(durable=True):
            outcome = step.apply(ctx, pk)
            if outcome is not None:
                AutomationRunItem.objects.create(
                    run=run,
                    step=step.name,
                    object_type=step.object_type,
                    object_id=pk,
                    outcome=AutomationRunItem.Outcome.DONE,
                    message=outcome[:2000],
                    created_at=ctx.now,
                )
    except Exception as exc:  # recorded, and the run goes on with the rest
        log.warning("automation %s %s #%s failed: %s", step.name, step.object_type, pk, exc)
        message = f"{type(exc).__name__}: {exc}"
        AutomationRunItem.objects.create(
            run=run,
            step=step.name,
            object_type=step.object_type,
            object_id=pk,
            outcome=AutomationRunItem.Outcome.FAILED,
            message=message[:2000],
            created_at=ctx.now,
        )
        return False, f"{step.name} {step.object_type} #{pk}: {message}"
    return outcome is not None, None


def _apply_parallel(step, ctx: Context, pks: Iterator[int], run: AutomationRun, workers: int) -> list:  # noqa: ANN001
    """Apply a step's items with several database connections at once (each item is independent and
    locks only its own rows, so this is as safe as two runs at once); half the time of an item is a
    wait for the database, which the other threads use."""
    jobs: queue.Queue = queue.Queue(maxsize=workers * 64)  # bounded: the plan is read as it is consumed
    results: list = []
    lock = threading.Lock()

    def worker() -> None:
        try:
            while (pk := jobs.get()) is not None:
                outcome = _apply_one(step, ctx, pk, run)
                with lock:
                    results.append(outcome)
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=worker, name=f"cron-{step.name}-{i}") for i in range(workers)]
    for thread in threads:
        thread.start()
    try:
        for pk in pks:
            jobs.put(pk)
    finally:
        for _ in threads:
            jobs.put(None)
        for thread in threads:
            thread.join()
    return results


def _workers() -> int:
    if connection.vendor == "sqlite":
        return 1  # one writer at a time: threads would only queue for the lock
    if connection.in_atomic_block:
        return 1  # the caller's open transaction holds rows other connections cannot see yet
    return max(1, int(getattr(settings, "MOORAGE_CRON_WORKERS", 3)))


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
    workers = _workers()
    for step in STEPS:
        step_started = time.perf_counter()
        if dry_run:
            planned = [f"{step.name}: {step.object_type} #{pk}" for pk in step.plan(ctx)]
            result.planned.extend(planned)
            say(f"{step.name}: {len(planned)} (dry run)")
            continue
        if getattr(step, "parallel", False) and workers > 1:
            outcomes = _apply_parallel(step, ctx, step.plan(ctx), result.run, workers)
        else:
            outcomes = [_apply_one(step, ctx, pk, result.run) for pk in step.plan(ctx)]
        done = sum(1 for ok, _failure in outcomes if ok)
        result.failures.extend(failure for _ok, failure in outcomes if failure)
        result.counts[step.counter] += done
        say(f"{step.name}: {done} ({time.perf_counter() - step_started:.1f} s)")
    if not dry_run:
        extra = _housekeeping(now)
        result.counts.update(extra)
        result.counts["failures"] = len(result.failures)
        result.run.summary = result.counts
        result.run.status = AutomationRun.Status.FINISHED
        result.run.finished_at = timezone.now()
        result.run.save(update_fields=["summary", "status", "finished_at"])
    return result
