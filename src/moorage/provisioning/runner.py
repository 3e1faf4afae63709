"""Running provisioning jobs: claim a due job, call the module outside any transaction, record the outcome.

`now` drives scheduling (leases, backoff) and is the real time in production; `business_now` is the
business clock (test clock aware) used for the dates the outcome writes (service start date).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import time
from typing import Any

from django.db import transaction
from django.db.models import Q

from moorage.core.actions import audit
from moorage.core.clock import local_date
from moorage.core.crypto import require
from moorage.notifications.actions import notify_staff
from moorage.provisioning.accounts import connection_info, generate_username
from moorage.provisioning.interface import (
    ABSENT,
    OURS,
    PERMANENT,
    TRANSIENT,
    UNKNOWN,
    AccountSpec,
    ModuleError,
)
from moorage.provisioning.models import JobAttempt, PanelAccount, ProductApp, ProvisioningJob
from moorage.provisioning.notices import notify_service
from moorage.provisioning.registry import get_module
from moorage.services import actions as service_steps
from moorage.services import lifecycle
from moorage.services.models import Service
from moorage.services.queries import limit_additions

log = logging.getLogger(__name__)
Op = ProvisioningJob.Operation
J = ProvisioningJob.Status
LEASE = dt.timedelta(minutes=5)
RUNNABLE = (J.QUEUED, J.ERRORED, J.UNKNOWN, J.RUNNING)
RENAMES = 3  # other names tried in one attempt when the panel holds the reserved one


def backoff(attempt: int) -> dt.timedelta:
    """Wait before the next try: 15 s, 30 s, 1 min … capped at one hour."""
    return dt.timedelta(seconds=min(15 * 2 ** max(attempt - 1, 0), 3600))


def _due(now: dt.datetime):  # noqa: ANN202
    return ProvisioningJob.objects.filter(status__in=RUNNABLE, next_attempt_at__lte=now).filter(
        Q(locked_until__isnull=True) | Q(locked_until__lt=now)
    )


def claim(job_id: int | None, *, now: dt.datetime) -> ProvisioningJob | None:
    """Take a due job for this worker (a lease): the given one, or the next due one when `job_id` is
    None. Returns None if nothing is due or another worker holds it (rows locked by others are
    skipped, so workers never wait for each other)."""
    with transaction.atomic():
        due = _due(now).select_for_update(skip_locked=True)
        job = due.filter(pk=job_id).first() if job_id is not None else due.order_by("next_attempt_at", "pk").first()
        if job is None:
            return None
        # A lease that ran out (worker died mid-call) means the last request may have been applied.
        sent_before = bool(job.params.get("sent"))
        job.status = J.RUNNING
        job.attempts += 1
        job.locked_until = now + LEASE
        job.params = {**job.params, "sent": True, "adopt": sent_before}
        job.save(update_fields=["status", "attempts", "locked_until", "params"])
        return job


def _perform(job: ProvisioningJob, account: PanelAccount, service: Service) -> dict[str, Any]:
    module = get_module(account.connection.module)
    conn = connection_info(account.connection, module, lang=service.client.language)
    # A password no configured key opens reads as "": say so instead of sending it to the panel.
    require(conn.password, f"the password of app connection {account.connection.name}")
    if job.operation in (Op.CREATE, Op.CHANGE_PASSWORD):
        require(account.password, f"the panel password of {account.username}")
    app = ProductApp.objects.filter(product_id=service.product_id).first()
    options = dict(app.options) if app else {}
    additions = limit_additions(service)
    if additions:
        # Add-ons and form answers raise the package's limits: the module adds these to the preset's
        # (or the product override's) value; an unlimited limit stays unlimited.
        options["limit_additions"] = additions
    if job.operation == Op.CREATE:
        spec = AccountSpec(
            username=account.username,
            password=account.password,
            options=options,
            email=service.client.user.email,
            fullname=service.client.display_name,
            domain=service.hostname,
            marker=account.panel_marker,
            adopt_existing=bool(job.params.get("adopt")),
        )
        for _rename in range(RENAMES):
            try:
                return module.create(conn, spec)
            except ModuleError as exc:
                if exc.panel_type != "exists" or exc.panel_object != "user":
                    raise
            # Someone else's account holds the name (the module proved it is not ours): take another
            # name, never theirs. The new name is saved before its create is sent.
            account.username = generate_username(
                pattern=str(options.get("username_pattern") or ""),
                service=service,
                connection=account.connection,
                module=module,
                taken_on_panel=module.list_usernames(conn) | {spec.username},
            )
            account.save(update_fields=["username"])
            spec = dataclasses.replace(spec, username=account.username)
        return module.create(conn, spec)
    # Every other operation changes an existing account: only one that is provably ours.
    whose = module.ownership(conn, account.username, account.panel_marker)
    if whose == ABSENT and job.operation == Op.TERMINATE:
        return {}  # already gone
    if whose == ABSENT:
        raise ModuleError(f"the account {account.username} is not on the panel", kind=PERMANENT, panel_type="missed")
    if whose != OURS:
        raise ModuleError(
            f"the panel's account {account.username} was not created by this billing (its marker is missing); "
            "nothing was changed",
            kind=PERMANENT,
            panel_type="not_ours",
            panel_object="user",
        )
    if job.operation == Op.SUSPEND:
        module.suspend(conn, account.username)
    elif job.operation == Op.UNSUSPEND:
        module.unsuspend(conn, account.username)
    elif job.operation == Op.TERMINATE:
        module.terminate(conn, account.username)
    elif job.operation == Op.CHANGE_PACKAGE:
        wanted = job.params.get("options") or options
        if additions and "limit_additions" not in wanted:
            wanted = {**wanted, "limit_additions": additions}
        module.change_package(conn, account.username, wanted)
    elif job.operation == Op.CHANGE_PASSWORD:
        module.change_password(conn, account.username, account.password)
    return {}


def _apply_effect(job: ProvisioningJob, *, business_now: dt.datetime) -> None:
    """What a done job means for billing: the account exists, the status follows the panel."""
    service = service_steps.lock_service(job.service_id)
    account = PanelAccount.objects.select_for_update().get(service=service)
    S = Service.Status
    if job.operation == Op.CREATE:
        account.exists_on_panel, account.panel_state = True, "active"
        account.save(update_fields=["exists_on_panel", "panel_state"])
        if service.status == S.PENDING:
            if service.start_date is None:
                service_steps.set_initial_dates(service, paid_on=local_date(business_now))
            service_steps.activate(service, now=business_now, reason="account created on the panel")
        from moorage.provisioning.actions import login_details

        notify_service(
            service,
            "account_created",
            now=business_now,
            key=f"job{job.pk}",
            context={"login": login_details(service=service)},
        )
    elif job.operation == Op.SUSPEND:
        account.panel_state = "suspended"
        account.save(update_fields=["panel_state"])
        if lifecycle.can_transition(service.status, S.SUSPENDED):
            lifecycle.transition(
                service,
                S.SUSPENDED,
                now=business_now,
                reason=job.reason or "suspended by staff",
                actor=job.requested_by,
            )
            notify_service(
                service, "account_suspended", now=business_now, key=f"job{job.pk}", context={"reason": job.reason}
            )
    elif job.operation == Op.UNSUSPEND:
        account.panel_state = "active"
        account.save(update_fields=["panel_state"])
        if service.status == S.SUSPENDED:
            lifecycle.transition(
                service, S.ACTIVE, now=business_now, reason=job.reason or "unsuspended", actor=job.requested_by
            )
            notify_service(service, "account_unsuspended", now=business_now, key=f"job{job.pk}")
    elif job.operation == Op.TERMINATE:
        account.exists_on_panel, account.panel_state = False, "deleted"
        account.save(update_fields=["exists_on_panel", "panel_state"])
        final = job.params.get("final_status") or S.TERMINATED  # a cancellation request ends "cancelled"
        if lifecycle.can_transition(service.status, final):
            lifecycle.transition(
                service, final, now=business_now, reason=job.reason or "terminated", actor=job.requested_by
            )
            notify_service(
                service, "account_terminated", now=business_now, key=f"job{job.pk}", context={"reason": job.reason}
            )
    elif job.operation == Op.CHANGE_PACKAGE and job.params.get("upgrade"):
        _tell_staff_upgrade(job, service, "staff_upgrade_success", now=business_now)


def _tell_staff_upgrade(job: ProvisioningJob, service: Service, template: str, *, now: dt.datetime) -> None:
    """Staff: Success Upgrade / Failed Upgrade, once per change-package job."""
    notify_staff(
        template=template,
        dedupe_key=f"{template}:job{job.pk}",
        now=now,
        context={
            "service": service,
            "client": service.client,
            "upgrade": job.params.get("upgrade"),
            "error": job.last_error,
        },
        service_id=service.pk,
    )


def _record(
    job_id: int,
    *,
    outcome: str,
    message: str,
    panel_type: str,
    started: dt.datetime,
    duration_ms: int,
    now: dt.datetime,
    business_now: dt.datetime,
    result: dict[str, Any],
) -> ProvisioningJob:
    with transaction.atomic():
        job = ProvisioningJob.objects.select_for_update().get(pk=job_id)
        JobAttempt.objects.create(
            job=job,
            number=job.attempts,
            started_at=started,
            duration_ms=duration_ms,
            outcome=outcome,
            message=message[:2000],
        )
        job.locked_until = None
        job.panel_error_type = panel_type
        if outcome == "done":
            job.status, job.finished_at, job.last_error = J.DONE, now, ""
            if result.get("adopted"):
                job.params = {**job.params, "adopted": True}
            _apply_effect(job, business_now=business_now)
        elif outcome == PERMANENT or job.attempts >= job.max_attempts:
            job.status, job.finished_at = J.FAILED, now
            job.last_error = message if outcome == PERMANENT else f"gave up after {job.attempts} attempts: {message}"
            audit(
                actor=None,
                action="provisioning_failed",
                obj=job.service,
                now=business_now,
                message=f"{job.get_operation_display()} failed: {job.last_error}",
                data={"job": job.pk},
            )
            if job.operation == Op.CHANGE_PACKAGE:
                _tell_staff_upgrade(job, job.service, "staff_upgrade_failed", now=business_now)
            else:
                notify_staff(
                    template="staff_provisioning_failed",
                    dedupe_key=f"provisioning_failed:job{job.pk}:{job.attempts}",
                    now=business_now,
                    context={
                        "service": job.service,
                        "client": job.service.client,
                        "error": job.last_error,
                        "operation": job.get_operation_display(),
                    },
                    service_id=job.service_id,
                )
        else:
            job.status = J.UNKNOWN if outcome == UNKNOWN else J.ERRORED
            job.last_error = message
            job.next_attempt_at = now + backoff(job.attempts)
        job.save()
        if job.status in (J.ERRORED, J.UNKNOWN):
            from moorage.provisioning.tasks import enqueue_job

            when = job.next_attempt_at
            transaction.on_commit(lambda: enqueue_job(job.pk, when, scheduled_from=now))
        return job


def run_job(job_id: int | None, *, now: dt.datetime, business_now: dt.datetime | None = None) -> ProvisioningJob | None:
    """Run one due job once (the given one, or the next due); returns it with its new status, or
    None if there was nothing to claim."""
    business_now = business_now or now
    job = claim(job_id, now=now)
    if job is None:
        return None
    service = Service.objects.select_related("product", "client__user").get(pk=job.service_id)
    account = PanelAccount.objects.select_related("connection").filter(service=service).first()
    started = time.monotonic()
    result: dict[str, Any] = {}
    outcome, message, panel_type = "done", "", ""
    if account is None:
        outcome, message = PERMANENT, "the service has no reserved panel account"
    else:
        try:
            result = _perform(job, account, service) or {}
            message = "adopted the existing account" if result.get("adopted") else "ok"
        except ModuleError as exc:
            outcome, message, panel_type = exc.kind, exc.message, exc.panel_type
        except Exception as exc:  # a bug or an unexpected reply: keep the job visible and retryable
            log.exception("provisioning job %s crashed", job.pk)
            outcome, message, panel_type = TRANSIENT, f"internal error: {type(exc).__name__}: {exc}", "internal"
    duration_ms = int((time.monotonic() - started) * 1000)
    return _record(
        job.pk,
        outcome=outcome,
        message=message,
        panel_type=panel_type,
        started=now,
        duration_ms=duration_ms,
        now=now,
        business_now=business_now,
        result=result,
    )


def run_due_jobs(*, now: dt.datetime, business_now: dt.datetime | None = None, limit: int = 1000) -> int:
    """Run jobs due at `now` until none is left (or `limit`); returns how many ran. Several workers
    may run this at once: each claims the next unlocked job."""
    ran = 0
    while ran < limit and run_job(None, now=now, business_now=business_now) is not None:
        ran += 1
    return ran
