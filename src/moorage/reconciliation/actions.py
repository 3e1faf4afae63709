"""Reconciliation use cases: compare a panel with billing and record the findings; fix a finding
through the provisioning jobs (suspend, resume, re-create, re-apply the package) or adopt a panel
user staff confirmed by its name."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from moorage.core.actions import audit
from moorage.core.errors import DomainError, NotFound
from moorage.core.models import User
from moorage.provisioning.accounts import connection_info, new_marker
from moorage.provisioning.actions import open_job, request_job
from moorage.provisioning.interface import ModuleError
from moorage.provisioning.models import AppConnection, PanelAccount, ProvisioningJob
from moorage.provisioning.registry import get_module
from moorage.reconciliation.compare import Comparison, compare_connection
from moorage.reconciliation.models import Finding, ReconcileRun
from moorage.services.actions import lock_service
from moorage.services.models import Service

log = logging.getLogger(__name__)
Op = ProvisioningJob.Operation
S = Service.Status
Fix = Finding.Fix


# ----------------------------------------------------------------------------------- the run


def _run_start(connection: AppConnection, *, now: dt.datetime, actor: User | None) -> ReconcileRun:
    return ReconcileRun.objects.create(
        connection=connection, started_at=now, requested_by=actor if actor is not None and actor.pk else None
    )


@transaction.atomic(durable=True)
def _run_fail(run_id: int, *, error: str, now: dt.datetime) -> ReconcileRun:
    run = ReconcileRun.objects.select_for_update().get(pk=run_id)
    run.error, run.finished_at = error[:2000], now
    run.save(update_fields=["error", "finished_at"])
    return run


@transaction.atomic(durable=True)
def _run_record(run_id: int, comparison: Comparison, *, now: dt.datetime) -> ReconcileRun:
    """Write what one comparison saw: open or refresh a finding per mismatch, resolve the rest."""
    run = ReconcileRun.objects.select_for_update().get(pk=run_id)
    # One recorder per connection at a time: two runs never open the same finding twice.
    AppConnection.objects.select_for_update().get(pk=run.connection_id)
    open_rows = {
        (f.kind, f.username): f for f in Finding.objects.filter(connection_id=run.connection_id, resolved_at=None)
    }
    seen: set[tuple[str, str]] = set()
    new = 0
    for m in comparison.mismatches:
        key = (m.kind, m.username)
        seen.add(key)
        details = {**m.details, "fix": m.fix}
        finding = open_rows.get(key)
        if finding is None:
            Finding.objects.create(
                connection_id=run.connection_id,
                kind=m.kind,
                username=m.username,
                service_id=m.service_id,
                details=details,
                first_seen=now,
                last_seen=now,
                first_run=run,
            )
            new += 1
        else:
            finding.details, finding.last_seen, finding.service_id = details, now, m.service_id
            finding.save(update_fields=["details", "last_seen", "service"])
    gone = [f.pk for key, f in open_rows.items() if key not in seen]
    Finding.objects.filter(pk__in=gone).update(resolved_at=now)
    run.finished_at = now
    run.panel_users, run.accounts = comparison.panel_users, comparison.accounts
    run.findings, run.new_findings, run.resolved = len(comparison.mismatches), new, len(gone)
    run.packages_checked = comparison.packages_checked
    run.save()
    return run


def reconcile_connection(*, connection: AppConnection, now: dt.datetime, actor: User | None = None) -> ReconcileRun:
    """Compare one panel with billing and record the findings; a panel that cannot be read is the
    run's error (its open findings stay as they were). Call outside any transaction: it calls the panel."""
    if transaction.get_connection().in_atomic_block:
        raise RuntimeError("reconciliation calls the panel: run it outside any transaction")
    run = _run_start(connection, now=now, actor=actor)
    try:
        comparison = compare_connection(connection)
    except ModuleError as exc:
        return _run_fail(run.pk, error=f"{connection.name}: {exc.message}", now=now)
    except DomainError as exc:  # e.g. the connection's module is not installed
        return _run_fail(run.pk, error=f"{connection.name}: {exc.message}", now=now)
    except Exception as exc:  # an unexpected reply: recorded, never a crash of the caller
        log.exception("reconciliation of %s crashed", connection.name)
        return _run_fail(run.pk, error=f"{connection.name}: internal error: {type(exc).__name__}: {exc}", now=now)
    return _run_record(run.pk, comparison, now=now)


def reconcile(*, now: dt.datetime, connection_name: str | None = None, actor: User | None = None) -> list[ReconcileRun]:
    """Compare every app connection (or the one named) with billing; one run each."""
    connections = AppConnection.objects.order_by("name")
    if connection_name is not None:
        connections = connections.filter(name=connection_name)
        if not connections.exists():
            raise NotFound(f"no app connection named {connection_name!r}", field="connection")
    return [reconcile_connection(connection=c, now=now, actor=actor) for c in connections]


# ----------------------------------------------------------------------------------- fixes

FIX_OPERATION = {
    Fix.RECREATE: Op.CREATE,
    Fix.SUSPEND: Op.SUSPEND,
    Fix.RESUME: Op.UNSUSPEND,
    Fix.REAPPLY: Op.CHANGE_PACKAGE,
}
# The billing status each fix needs: billing is the truth the panel is brought back to.
FIX_STATUS = {
    Fix.RECREATE: (S.ACTIVE, S.SUSPENDED),
    Fix.SUSPEND: (S.SUSPENDED,),
    Fix.RESUME: (S.ACTIVE,),
    Fix.REAPPLY: (S.ACTIVE, S.SUSPENDED),
}
FIX_REASON = {
    Fix.RECREATE: "reconciliation: the account was missing on the panel",
    Fix.SUSPEND: "reconciliation: suspended in billing, active on the panel",
    Fix.RESUME: "reconciliation: active in billing, suspended on the panel",
    Fix.REAPPLY: "reconciliation: the package on the panel differed from the product's",
}


def _lock_open_finding(finding_id: int) -> Finding:
    finding = Finding.objects.select_for_update().filter(pk=finding_id).first()
    if finding is None:
        raise NotFound(_("no such finding"), field="finding")
    return finding


@transaction.atomic(durable=True)
def finding_fix(*, finding_id: int, fix: str, now: dt.datetime, actor: User | None) -> ProvisioningJob:
    """Staff fix a finding: queue the provisioning job that brings the panel back to billing's state.

    Asking twice (a double click, two staff at once) returns the job of the first ask.
    """
    finding = _lock_open_finding(finding_id)
    if finding.fix_job_id is not None:
        if finding.fix != fix:
            raise DomainError(_("another fix was already asked for this finding"), field="fix", code="fix_requested")
        return finding.fix_job
    if not finding.is_open:
        raise DomainError(_("this finding is resolved"), field="finding", code="resolved")
    if fix not in FIX_OPERATION or finding.details.get("fix") != fix:
        raise DomainError(_("this fix does not fit the finding"), field="fix", code="wrong_fix")
    if finding.service_id is None:
        raise DomainError(_("this finding has no service"), field="finding", code="no_service")
    service = lock_service(finding.service_id)
    account = PanelAccount.objects.select_for_update().filter(service=service).first()
    if account is None or account.connection_id != finding.connection_id or account.username != finding.username:
        raise DomainError(
            _("the service's panel account changed since the finding; run the reconciliation again"),
            field="finding",
            code="stale",
        )
    if service.status not in FIX_STATUS[fix]:
        raise DomainError(
            _("the service is %(status)s now; run the reconciliation again") % {"status": service.get_status_display()},
            field="finding",
            code="stale",
        )
    operation = FIX_OPERATION[fix]
    pending = open_job(service, operation)
    if pending is not None:
        job = pending  # the same remote action is already on its way: it is the fix
    else:
        if fix == Fix.RECREATE:
            # Billing forgets the account it believed in; the create then makes one (under another
            # name if a stranger holds this one, never touching the stranger's).
            account.exists_on_panel, account.panel_state = False, "missing"
            account.save(update_fields=["exists_on_panel", "panel_state"])
        job = request_job(
            service=service,
            operation=operation,
            now=now,
            actor=actor,
            key=f"reconcile:{finding.pk}",
            reason=FIX_REASON[fix],
        )
    finding.fix, finding.fix_job = fix, job
    finding.fix_requested_at, finding.fix_requested_by = now, actor if actor is not None and actor.pk else None
    finding.save(update_fields=["fix", "fix_job", "fix_requested_at", "fix_requested_by"])
    audit(
        actor=actor,
        action="reconcile_fix",
        obj=service,
        now=now,
        message=f"{fix} {finding.username}@{finding.connection}",
        data={"finding": finding.pk, "job": job.pk},
    )
    return job


ADOPTABLE = (S.ACTIVE, S.SUSPENDED)


def _adopt_target(finding: Finding, service: Service) -> PanelAccount | None:
    """Refuse a service the panel user cannot become; its reserved account (to be re-pointed), or None."""
    if service.product.module != finding.connection.module:
        raise DomainError(
            _("the service's product is not provisioned by %(module)s") % {"module": finding.connection.module},
            field="service",
            code="wrong_module",
        )
    if service.status not in ADOPTABLE:
        raise DomainError(
            _("only an active or suspended service can adopt a panel account"), field="service", code="wrong_status"
        )
    account = PanelAccount.objects.filter(service=service).first()
    if account is not None and account.exists_on_panel:
        raise DomainError(_("the service already has an account on a panel"), field="service", code="has_account")
    if open_job(service, Op.CREATE) is not None:
        raise DomainError(_("a create job is queued for this service"), field="service", code="job_open")
    holder = (
        PanelAccount.objects.filter(connection_id=finding.connection_id, username=finding.username)
        .exclude(service=service)
        .first()
    )
    if holder is not None:
        raise DomainError(
            _("billing keeps this username for service #%(id)s; it cannot be adopted by another service")
            % {"id": holder.service_id},
            field="service",
            code="username_kept",
        )
    return account


@transaction.atomic(durable=True)
def finding_adopt_request(
    *, finding_id: int, service_id: int, confirm_username: str, now: dt.datetime, actor: User | None
) -> Finding:
    """Staff adopt a panel user billing does not know into a service, confirming it by typing its name.

    Writes the intent (the service and a new ownership marker); the marker is written on the panel
    next, outside this transaction (`finding_adopt`). Asking again for the same service keeps the marker.
    """
    finding = _lock_open_finding(finding_id)
    if finding.kind != Finding.Kind.UNKNOWN_PANEL_USER:
        raise DomainError(_("only a panel user billing does not know can be adopted"), field="fix", code="wrong_fix")
    if not finding.is_open:
        raise DomainError(_("this finding is resolved"), field="finding", code="resolved")
    if (confirm_username or "").strip() != finding.username:
        raise DomainError(
            _("type the panel username exactly to confirm the adoption"), field="confirm_username", code="not_confirmed"
        )
    if finding.adopt_service_id is not None and finding.adopt_service_id != service_id:
        raise DomainError(
            _("this panel user is being adopted by service #%(id)s") % {"id": finding.adopt_service_id},
            field="service",
            code="fix_requested",
        )
    service = lock_service(service_id)
    _adopt_target(finding, service)
    if not finding.adopt_marker:
        finding.adopt_marker = new_marker()
    finding.adopt_service, finding.fix = service, Fix.ADOPT
    finding.fix_requested_at, finding.fix_requested_by = now, actor if actor is not None and actor.pk else None
    finding.fix_error = ""
    finding.save(
        update_fields=["adopt_marker", "adopt_service", "fix", "fix_requested_at", "fix_requested_by", "fix_error"]
    )
    return finding


@transaction.atomic(durable=True)
def _adopt_failed(finding_id: int, error: str) -> None:
    Finding.objects.filter(pk=finding_id).update(fix_error=error[:2000])


@transaction.atomic(durable=True)
def _adopt_record(*, finding_id: int, suspended: bool, now: dt.datetime, actor: User | None) -> PanelAccount:
    """The marker is on the panel: billing's account of the service is now the panel user."""
    finding = _lock_open_finding(finding_id)
    service = lock_service(finding.adopt_service_id)
    account = _adopt_target(finding, service)
    fields = {
        "connection_id": finding.connection_id,
        "username": finding.username,
        "panel_marker": finding.adopt_marker,
        "exists_on_panel": True,
        "panel_state": "suspended" if suspended else "active",
    }
    try:
        with transaction.atomic():
            if account is None:
                account = PanelAccount.objects.create(service=service, password="", created_at=now, **fields)
            else:
                for name, value in fields.items():
                    setattr(account, name, value)
                account.save()
    except IntegrityError:
        raise DomainError(
            _("billing keeps this username for another service"), field="service", code="username_kept"
        ) from None
    finding.resolved_at, finding.fix_error = now, ""
    finding.save(update_fields=["resolved_at", "fix_error"])
    audit(
        actor=actor,
        action="reconcile_adopt",
        obj=service,
        now=now,
        message=f"adopted the panel user {finding.username}@{finding.connection}",
        data={"finding": finding.pk},
    )
    return account


def finding_adopt(
    *, finding_id: int, service_id: int, confirm_username: str, now: dt.datetime, actor: User | None
) -> PanelAccount:
    """Adopt: write the intent, write billing's marker on the panel user (outside any transaction), then
    record the service's account. A failed panel call leaves the intent; asking again retries it."""
    finding = finding_adopt_request(
        finding_id=finding_id, service_id=service_id, confirm_username=confirm_username, now=now, actor=actor
    )
    connection = finding.connection
    module = get_module(connection.module)
    try:
        module.claim_account(connection_info(connection, module), finding.username, finding.adopt_marker)
        state = module.account_state(connection_info(connection, module), finding.username)
    except ModuleError as exc:
        _adopt_failed(finding.pk, exc.message)
        raise DomainError(
            _("the panel refused the adoption: %(error)s") % {"error": exc.message}, field="fix", code="panel_error"
        ) from exc
    return _adopt_record(finding_id=finding.pk, suspended=state.suspended, now=now, actor=actor)
