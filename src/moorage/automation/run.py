"""One automation run for one business date: plan each step, apply each item in its own transaction."""

from __future__ import annotations

import datetime as dt
import logging
import os
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
# A running run writes its heartbeat at least this often ...
HEARTBEAT_EVERY = dt.timedelta(seconds=60)
# ... so one silent for this long has stopped (or hangs), even when it ran on another machine.
STALE_AFTER = dt.timedelta(minutes=30)


def _host() -> str:
    return socket.gethostname()[:200]


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process holds that pid
    return True


def automation_runs_mark_interrupted(*, now: dt.datetime | None = None) -> int:
    """Mark "running" runs that can no longer end as interrupted; returns how many.

    A run is over when its process on this machine is gone (kill -9, OOM killer, a crash) or, on
    any machine, when its heartbeat is older than STALE_AFTER. Nothing a run did is undone: each
    item was its own transaction, and the next run for the same date does the rest.
    """
    now = now or timezone.now()
    host, marked = _host(), 0
    for run in AutomationRun.objects.filter(status=AutomationRun.Status.RUNNING).exclude(pid=os.getpid(), host=host):
        last_sign = run.heartbeat_at or run.started_at
        if run.host == host and run.pid and not _process_alive(run.pid):
            reason = f"process {run.pid} on {host} is gone"
        elif last_sign < now - STALE_AFTER:
            reason = f"no heartbeat since {last_sign.isoformat(timespec='seconds')}"
        else:
            continue
        summary = {**run.summary, "interrupted": f"the run stopped half way: {reason}"}
        marked += AutomationRun.objects.filter(pk=run.pk, status=AutomationRun.Status.RUNNING).update(
            status=AutomationRun.Status.INTERRUPTED, finished_at=now, summary=summary
        )
        log.warning("automation run #%s for %s marked interrupted: %s", run.pk, run.run_date, reason)
    return marked


class _Heartbeat:
    """Writes the run's heartbeat (and its counts so far) at most every HEARTBEAT_EVERY."""

    def __init__(self, run: AutomationRun | None, counts: dict[str, int]) -> None:
        self.run, self.counts, self.last = run, counts, time.monotonic()

    def beat(self, *, force: bool = False) -> None:
        if self.run is None or not force and time.monotonic() - self.last < HEARTBEAT_EVERY.total_seconds():
            return
        self.last = time.monotonic()
        AutomationRun.objects.filter(pk=self.run.pk).update(heartbeat_at=timezone.now(), summary=dict(self.counts))

    def each(self, pks: Iterator[int]) -> Iterator[int]:
        for pk in pks:
            yield pk
            self.beat()


@dataclass
class RunResult:
    run: AutomationRun | None
    counts: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    planned: list[str] = field(default_factory=list)


def _housekeeping(now: dt.datetime) -> dict[str, int]:
    """Wake workers for job and notification rows that lost their wake-up; finish order deletions;
    end the cancelled add-ons whose paid time is over; close Edit Forms changes whose invoice was
    cancelled."""
    from moorage.addons.actions import end_due_addons
    from moorage.notifications.delivery import mark_stale_sending, requeue_lost
    from moorage.orderforms.actions import close_cancelled_form_edits
    from moorage.orders.deletion import order_finish_deletions
    from moorage.payments.autopay import auto_charge_requeue
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
    # Notifications: wake workers for due rows that lost their wake-up; rows a stopped worker left
    # `sending` become `unknown` (never re-sent by themselves: they may have arrived).
    mails = requeue_lost(now=real_now)
    unknown = mark_stale_sending(now=real_now)
    return {
        "auto_charges_requeued": auto_charge_requeue(real_now=real_now),
        "jobs_requeued": len(jobs),
        "emails_requeued": mails,
        "emails_unknown": unknown,
        "orders_deleted": order_finish_deletions(now=now),
        "addons_ended": end_due_addons(now=now),
        "form_edits_closed": close_cancelled_form_edits(now=now),
    }


def _daily_reconciliation(today: dt.date, now: dt.datetime) -> dict[str, int]:
    """Compare the panels with billing once per date and tell staff what is new; a panel that
    cannot be read is a finding of the report, and nothing here ends the run."""
    from moorage.reconciliation.daily import reconcile_daily

    try:
        return reconcile_daily(today=today, now=now)
    except Exception:
        log.exception("daily reconciliation for %s failed", today)
        return {"reconcile_failed": 1}


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


def _run_steps(ctx: Context, result: RunResult, heartbeat: _Heartbeat, *, dry_run: bool, say) -> None:  # noqa: ANN001
    workers = _workers()
    for step in STEPS:
        step_started = time.perf_counter()
        if dry_run:
            planned = [f"{step.name}: {step.object_type} #{pk}" for pk in step.plan(ctx)]
            result.planned.extend(planned)
            say(f"{step.name}: {len(planned)} (dry run)")
            continue
        pks = heartbeat.each(step.plan(ctx))
        if getattr(step, "parallel", False) and workers > 1:
            outcomes = _apply_parallel(step, ctx, pks, result.run, workers)
        else:
            outcomes = [_apply_one(step, ctx, pk, result.run) for pk in pks]
        done = sum(1 for ok, _failure in outcomes if ok)
        result.failures.extend(failure for _ok, failure in outcomes if failure)
        result.counts[step.counter] += done
        heartbeat.beat(force=True)
        say(f"{step.name}: {done} ({time.perf_counter() - step_started:.1f} s)")


def _record_stop(result: RunResult, exc: BaseException) -> None:
    stopped = isinstance(exc, KeyboardInterrupt | SystemExit)
    status = AutomationRun.Status.INTERRUPTED if stopped else AutomationRun.Status.FAILED
    summary = {**result.counts, "error": f"{type(exc).__name__}: {exc}"[:2000]}
    try:
        ended = timezone.now()
        AutomationRun.objects.filter(pk=result.run.pk).update(status=status, finished_at=ended, summary=summary)
    except Exception:  # the database itself may be what failed; the next run marks it then
        log.exception("could not record the end of automation run #%s", result.run.pk)


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
        automation_runs_mark_interrupted()
        started = timezone.now()
        result.run = AutomationRun.objects.create(
            run_date=today, started_at=started, host=_host(), pid=os.getpid(), heartbeat_at=started
        )
    heartbeat = _Heartbeat(result.run, result.counts)
    try:
        _run_steps(ctx, result, heartbeat, dry_run=dry_run, say=say)
        if not dry_run:
            result.counts.update(_housekeeping(now))
            result.counts.update(_daily_reconciliation(today, now))
    except BaseException as exc:
        # A crash or a stop (Ctrl-C, SIGTERM) ends the run here; kill -9 is caught by the next run.
        if result.run is not None:
            _record_stop(result, exc)
        raise
    if not dry_run:
        result.counts["failures"] = len(result.failures)
        result.run.summary = result.counts
        result.run.status = AutomationRun.Status.FINISHED
        result.run.finished_at = result.run.heartbeat_at = timezone.now()
        result.run.save(update_fields=["summary", "status", "finished_at", "heartbeat_at"])
    return result
