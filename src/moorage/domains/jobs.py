"""Domain jobs: queue a registrar call inside an action's transaction, run it outside any transaction,
record the answer after (the shape of provisioning jobs).

"Never twice": one job per (domain, operation, key); a register or transfer retried after an attempt
that may have reached the registry first asks `info()` whether the name is already ours, and a renewal
retried first checks whether the expiry already moved.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from dateutil.relativedelta import relativedelta
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from moorage.core.actions import audit
from moorage.core.clock import local_date
from moorage.core.models import User
from moorage.domains.models import Domain, DomainJob
from moorage.domains.registrar import (
    PERMANENT,
    Contact,
    DomainInfo,
    RegistrarError,
    RegistrarModule,
    get_registrar,
)
from moorage.notifications.actions import notify, notify_staff

log = logging.getLogger(__name__)
J = DomainJob.Status
Op = DomainJob.Operation
LEASE = dt.timedelta(minutes=5)
RUNNABLE = (J.QUEUED, J.ERRORED, J.RUNNING)
# A transfer the registry acknowledged waits for the losing registrar: asked again this often.
TRANSFER_POLL = dt.timedelta(hours=6)
TRANSFER_POLLS = 60  # about 15 days, more than the 5-day window registries give the losing registrar


def backoff(attempt: int) -> dt.timedelta:
    """Wait before the next try: 1 min, 2 min, 4 min … capped at six hours."""
    return dt.timedelta(seconds=min(60 * 2 ** max(attempt - 1, 0), 6 * 3600))


def lock_domain(pk: int) -> Domain:
    """Lock one domain row (by pk alone: a join would lock the client's row too, or fail on PostgreSQL
    for a nullable one), then read it with what its callers need."""
    list(Domain.objects.select_for_update().filter(pk=pk).values_list("pk", flat=True))
    return Domain.objects.select_related("tld", "client__user", "service").get(pk=pk)


def registrar_for(domain: Domain) -> RegistrarModule:
    return get_registrar(domain.tld.registrar, domain.tld.get_settings())


def contact_for(domain: Domain) -> Contact:
    c = domain.client
    address = ", ".join(part for part in (c.address1, c.address2) if part)
    return Contact(
        handle=f"MOO-{c.pk}",
        name=f"{c.first_name} {c.last_name}".strip() or c.organization or c.user.email,
        email=c.user.email,
        organization=c.organization,
        address=address,
        city=c.city,
        state=c.state,
        postal_code=c.zip_code,
        country=c.country,
        phone=c.phone,
    )


def default_nameservers(domain: Domain) -> tuple[str, ...]:
    """The name servers a new domain gets: those of the app connection of its hosting service (its
    panel account's, else its product's), else the registrar settings' `nameservers` list."""
    from moorage.provisioning.models import PanelAccount, ProductApp

    entries: list[Any] = []
    if domain.service_id:
        account = PanelAccount.objects.select_related("connection").filter(service_id=domain.service_id).first()
        if account is not None:
            entries = list(account.connection.nameservers or [])
        if not entries:
            app = ProductApp.objects.select_related("connection").filter(product_id=domain.service.product_id).first()
            if app is not None and app.connection is not None:
                entries = list(app.connection.nameservers or [])
    if not entries:
        configured = domain.tld.get_settings().get("nameservers") or []
        entries = configured.replace(",", " ").split() if isinstance(configured, str) else list(configured)
    names = [(e.get("name", "") if isinstance(e, dict) else str(e)).strip().lower() for e in entries]
    return tuple(n for n in names if n)


def queue_job(
    domain: Domain,
    operation: str,
    *,
    key: str,
    now: dt.datetime,
    params: dict[str, Any] | None = None,
    actor: User | None = None,
) -> DomainJob | None:
    """Inner step: write the job row (once per key) and wake a worker after the commit. Returns the new
    job, or None when one with that key exists already."""
    try:
        with transaction.atomic():
            job = DomainJob.objects.create(
                domain=domain,
                operation=operation,
                idempotency_key=key,
                params=params or {},
                next_attempt_at=now,
                requested_by=actor if actor and actor.pk else None,
                created_at=now,
            )
    except IntegrityError:
        return None
    from moorage.domains.tasks import enqueue_job

    transaction.on_commit(lambda: enqueue_job(job.pk))
    return job


def _due(now: dt.datetime):  # noqa: ANN202
    return DomainJob.objects.filter(status__in=RUNNABLE, next_attempt_at__lte=now).filter(
        Q(locked_until__isnull=True) | Q(locked_until__lt=now)
    )


def claim(job_id: int | None, *, now: dt.datetime) -> DomainJob | None:
    """Take a due job (a lease); None if nothing is due or another worker holds it."""
    with transaction.atomic():
        due = _due(now).select_for_update(skip_locked=True)
        job = due.filter(pk=job_id).first() if job_id is not None else due.order_by("next_attempt_at", "pk").first()
        if job is None:
            return None
        sent_before = bool(job.params.get("sent"))
        job.status = J.RUNNING
        job.attempts += 1
        job.locked_until = now + LEASE
        job.params = {**job.params, "sent": True, "retry": sent_before}
        job.save(update_fields=["status", "attempts", "locked_until", "params"])
        return job


def _ours(module: RegistrarModule, name: str) -> DomainInfo | None:
    """The registry's record of `name` when it says the name is ours; None otherwise.

    A retry adopts on `info()` only when the module says this registrar account sponsors the name
    (`DomainInfo.ours`, which the EPP module sets from the record's sponsor); when it cannot tell, the
    retry repeats the call, and the module answers a repeated create or transfer of a name already
    ours with that name's record, and refuses it (object exists) when it is someone else's. Either
    way nothing is registered twice: the registry itself never creates a name twice.
    """
    try:
        info = module.info(name)
    except RegistrarError as exc:
        if exc.kind == PERMANENT:
            return None  # not found, or someone else's (authorization error)
        raise
    return info if info.ours else None


def _perform(job: DomainJob, domain: Domain) -> tuple[str, DomainInfo | None]:
    """Call the registrar; returns (what happened, the registry's answer)."""
    module = registrar_for(domain)
    params = job.params
    years = int(params.get("years") or domain.years or 1)
    if job.operation == Op.REGISTER:
        if params.get("retry"):
            info = _ours(module, domain.name)
            if info is not None:
                return "adopted: the name was already ours", info
        nameservers = tuple(params.get("nameservers") or ()) or default_nameservers(domain)
        return "registered", module.register(
            domain.name, years=years, contact=contact_for(domain), nameservers=nameservers
        )
    if job.operation == Op.TRANSFER:
        # A retry, or a poll of a pending transfer, asks again: the module answers a request already
        # made (pending, or completed) with its state instead of a second transfer.
        info = module.transfer(domain.name, auth_code=domain.auth_code, years=years, contact=contact_for(domain))
        return ("pending" if info.pending else "transferred"), info
    if job.operation == Op.RENEW:
        current = dt.date.fromisoformat(params["from"])
        target = current + relativedelta(years=years)
        if params.get("retry"):
            try:
                info = module.info(domain.name)  # our own domain: its expiry says whether it was renewed
            except RegistrarError as exc:
                if exc.kind != PERMANENT:
                    raise
                info = None
            if info is not None and info.expires_on is not None and info.expires_on >= target:
                return "adopted: already renewed", info
        return "renewed", module.renew(domain.name, years=years, current_expiry=current)
    if job.operation == Op.SET_NS:
        module.set_nameservers(domain.name, tuple(params.get("nameservers") or ()))
        return "name servers set", None
    raise RegistrarError(f"unknown operation {job.operation}", kind=PERMANENT)


def _apply(job: DomainJob, domain: Domain, info: DomainInfo | None, *, today: dt.date) -> None:
    """The effect of a done job on the domain row (inside the recording transaction)."""
    years = int(job.params.get("years") or domain.years or 1)
    if job.operation in (Op.REGISTER, Op.TRANSFER):
        domain.status = Domain.Status.ACTIVE
        domain.registered_on = domain.registered_on or today
        domain.expires_on = (info.expires_on if info else None) or today + relativedelta(years=years)
        if info and info.nameservers:
            domain.nameservers = list(info.nameservers)
        elif job.operation == Op.REGISTER and job.params.get("nameservers"):
            domain.nameservers = list(job.params["nameservers"])
        # The transfer code the registry now holds (set by a registration, changed by a transfer),
        # kept encrypted for the owner; a spent transfer code is never kept.
        domain.auth_code = (info.auth_code if info else "") or (
            "" if job.operation == Op.TRANSFER else domain.auth_code
        )
    elif job.operation == Op.RENEW:
        current = dt.date.fromisoformat(job.params["from"])
        new = (info.expires_on if info else None) or current + relativedelta(years=years)
        domain.expires_on = max(new, domain.expires_on or new)
        if domain.status == Domain.Status.EXPIRED:
            domain.status = Domain.Status.ACTIVE
    elif job.operation == Op.SET_NS:
        domain.nameservers = list(job.params.get("nameservers") or [])
    domain.next_due_date = domain.expires_on
    domain.save()


def _record(
    job_id: int, *, outcome: str, message: str, code: str, info: DomainInfo | None, now: dt.datetime
) -> DomainJob:
    with transaction.atomic():
        job = DomainJob.objects.select_for_update().get(pk=job_id)
        domain = lock_domain(job.domain_id)
        job.locked_until = None
        job.error_code = code
        today = local_date(now)
        if outcome == "done":
            job.status, job.finished_at, job.last_error = J.DONE, now, ""
            job.params = {**job.params, "result": message}
            _apply(job, domain, info, today=today)
            audit(actor=None, action=f"domain_{job.operation}", obj=domain, now=now, message=message)
            if job.operation in (Op.REGISTER, Op.TRANSFER, Op.RENEW):
                notify(
                    template="domain_" + ("renewed" if job.operation == Op.RENEW else "registered"),
                    client=domain.client,
                    dedupe_key=f"domain_{job.operation}:{job.pk}",
                    now=now,
                    context={"domain": domain_data(domain)},
                    service_id=domain.service_id,
                )
        elif outcome == "pending":
            # The transfer was acknowledged: ask again later whether the losing registrar let it go.
            job.params = {**job.params, "requested": True}
            domain.status = Domain.Status.TRANSFERRING
            domain.save(update_fields=["status"])
            if job.attempts >= TRANSFER_POLLS:
                outcome = PERMANENT
                message = "the transfer was not completed in time"
            else:
                job.status, job.last_error = J.ERRORED, "transfer pending at the registry"
                job.next_attempt_at = now + TRANSFER_POLL
        if outcome == PERMANENT or (outcome not in ("done", "pending") and job.attempts >= job.max_attempts):
            job.status, job.finished_at = J.FAILED, now
            job.last_error = message if outcome == PERMANENT else f"gave up after {job.attempts} attempts: {message}"
            if job.operation in (Op.REGISTER, Op.TRANSFER) and domain.status in (
                Domain.Status.PENDING,
                Domain.Status.TRANSFERRING,
            ):
                domain.status = Domain.Status.FAILED
                domain.save(update_fields=["status"])
            audit(actor=None, action="domain_job_failed", obj=domain, now=now, message=job.last_error)
            notify_staff(
                template="staff_domain_job_failed",
                dedupe_key=f"domain_job_failed:{job.pk}:{job.attempts}",
                now=now,
                context={
                    "domain": domain_data(domain),
                    "client": domain.client,
                    "operation": job.get_operation_display(),
                    "error": job.last_error,
                },
            )
        elif outcome not in ("done", "pending"):
            job.status, job.last_error = J.ERRORED, message
            job.next_attempt_at = now + backoff(job.attempts)
        job.save()
        if job.status == J.ERRORED:
            from moorage.domains.tasks import enqueue_job

            pk, when = job.pk, job.next_attempt_at
            transaction.on_commit(lambda: enqueue_job(pk, when, scheduled_from=now))
        return job


def domain_data(domain: Domain) -> dict[str, Any]:
    """The plain data notification templates see of a domain."""
    return {
        "name": domain.name,
        "status": domain.get_status_display(),
        "expires_on": domain.expires_on,
        "auto_renew": domain.auto_renew,
        "nameservers": list(domain.nameservers or []),
    }


def run_job(job_id: int | None, *, now: dt.datetime) -> DomainJob | None:
    """Run one due job once (the given one, or the next due); returns it with its new status, or None."""
    job = claim(job_id, now=now)
    if job is None:
        return None
    domain = Domain.objects.select_related("client__user", "tld", "service").get(pk=job.domain_id)
    outcome, message, code, info = "done", "", "", None
    try:
        message, info = _perform(job, domain)
        if message == "pending":
            outcome = "pending"
    except RegistrarError as exc:
        outcome, message, code = exc.kind, exc.message, exc.code
    except Exception as exc:  # a bug or an unexpected reply: keep the job visible and retryable
        log.exception("domain job %s crashed", job.pk)
        outcome, message, code = "temporary", f"internal error: {type(exc).__name__}: {exc}", "internal"
    return _record(job.pk, outcome=outcome, message=message, code=code, info=info, now=now)


def run_due_jobs(*, now: dt.datetime, limit: int = 1000) -> int:
    """Run jobs due at `now` until none is left (or `limit`); returns how many ran."""
    ran = 0
    while ran < limit and run_job(None, now=now) is not None:
        ran += 1
    return ran


@transaction.atomic(durable=True)
def domain_job_retry(*, job_id: int, now: dt.datetime, actor: User | None) -> DomainJob:
    """Staff: run a failed (or waiting) job again now, with fresh attempts."""
    from moorage.core.errors import DomainError

    job = DomainJob.objects.select_for_update().get(pk=job_id)
    if job.status not in (J.FAILED, J.ERRORED):
        raise DomainError(_("only a failed or waiting job can be retried"), field="job", code="job_not_retryable")
    domain = lock_domain(job.domain_id)
    if job.status == J.FAILED and domain.status == Domain.Status.FAILED:
        domain.status = Domain.Status.PENDING
        try:
            with transaction.atomic():
                domain.save(update_fields=["status"])
        except IntegrityError as exc:
            raise DomainError(_("another live domain has this name now"), field="job", code="domain_taken") from exc
    job.status = J.QUEUED
    job.max_attempts = job.attempts + 20
    job.next_attempt_at = now
    job.finished_at = None
    job.save()
    audit(actor=actor, action="domain_job_retry", obj=domain, now=now, data={"job": job.pk})
    from moorage.domains.tasks import enqueue_job

    transaction.on_commit(lambda: enqueue_job(job.pk))
    return job
