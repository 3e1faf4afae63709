"""Provisioning use cases: ask for a remote action (a job row), retry it, and test a connection."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from moorage.catalog.models import Product
from moorage.core.actions import audit
from moorage.core.crypto import UNREADABLE, is_unreadable
from moorage.core.errors import DomainError
from moorage.core.models import User
from moorage.provisioning.accounts import (
    choose_connection,
    connection_info,
    generate_username,
    new_marker,
    new_password,
)
from moorage.provisioning.interface import ABSENT, OURS, ConnectionCheck, Field, ModuleError
from moorage.provisioning.models import (
    AppConnection,
    PanelAccount,
    ProductApp,
    ProvisioningJob,
    ServerGroup,
)
from moorage.provisioning.registry import get_module
from moorage.services.models import Service

Op = ProvisioningJob.Operation
J = ProvisioningJob.Status


def _due_now(now: dt.datetime) -> dt.datetime:
    """When a new job is due: at once, whether workers run on the real clock or the business clock
    (a test clock set in the future must not hold jobs back until that date)."""
    return min(now, timezone.now())


def _enqueue_after_commit(job: ProvisioningJob) -> None:
    from moorage.provisioning.tasks import enqueue_job

    transaction.on_commit(lambda: enqueue_job(job.pk, job.next_attempt_at))


def request_job(
    *,
    service: Service,
    operation: str,
    now: dt.datetime,
    actor: User | None = None,
    key: str | None = None,
    reason: str = "",
    params: dict[str, Any] | None = None,
) -> ProvisioningJob:
    """Inner step: one job per (service, operation, key); asking twice returns the first job."""
    if not service.product.module:
        raise DomainError(f"{service.product.name} has no provisioning module", field="module", code="no_module")
    key = key or f"{operation}:{now.isoformat()}"
    existing = ProvisioningJob.objects.filter(service=service, operation=operation, idempotency_key=key).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            job = ProvisioningJob.objects.create(
                service=service,
                operation=operation,
                idempotency_key=key,
                params=params or {},
                reason=reason,
                next_attempt_at=_due_now(now),
                created_at=now,
                requested_by=actor if actor is not None and actor.pk else None,
            )
    except IntegrityError:
        return ProvisioningJob.objects.get(service=service, operation=operation, idempotency_key=key)
    _enqueue_after_commit(job)
    return job


def request_create(*, service: Service, now: dt.datetime, actor: User | None = None) -> ProvisioningJob:
    """Inner step: choose the server, reserve the username and password, and queue the create job.

    The reservation is written before any call, so the panel never has an account billing does not
    know about, and a retried create can recognise (adopt) its own account.
    """
    account = PanelAccount.objects.filter(service=service).first()
    if account is None:
        app = ProductApp.objects.select_related("product").filter(product=service.product).first()
        if app is None:
            raise DomainError(f"{service.product.name} has no App settings", field="app", code="no_app")
        module = get_module(service.product.module)
        conn = choose_connection(app)
        username = generate_username(
            pattern=str(app.options.get("username_pattern") or ""), service=service, connection=conn, module=module
        )
        account = PanelAccount.objects.create(
            service=service,
            connection=conn,
            username=username,
            password=new_password(),
            panel_marker=new_marker(),
            created_at=now,
        )
    elif not account.panel_marker and not account.exists_on_panel:
        account.panel_marker = new_marker()
        account.save(update_fields=["panel_marker"])
    return request_job(service=service, operation=Op.CREATE, now=now, actor=actor, key="initial", reason="new account")


def open_job(service: Service, operation: str) -> ProvisioningJob | None:
    return ProvisioningJob.objects.filter(service=service, operation=operation, status__in=ProvisioningJob.OPEN).first()


@transaction.atomic(durable=True)
def service_provision(
    *,
    service_id: int,
    operation: str,
    now: dt.datetime,
    actor: User | None,
    reason: str = "",
    params: dict[str, Any] | None = None,
) -> ProvisioningJob:
    """Staff ask for a remote action on a service (Create, Suspend, Unsuspend, Terminate, Change package,
    Change password). The status changes when the panel confirms."""
    service = Service.objects.select_for_update().select_related("product").get(pk=service_id)
    if operation not in Op.values:
        raise DomainError(f"unknown operation {operation!r}", field="operation")
    pending = open_job(service, operation)
    if pending:
        raise DomainError(
            f"a {pending.get_operation_display().lower()} job for this service is already queued (job #{pending.pk})",
            field="operation",
            code="job_open",
        )
    account = PanelAccount.objects.filter(service=service).first()
    if operation == Op.CREATE:
        if account and account.exists_on_panel:
            raise DomainError("the account already exists on the panel", field="operation", code="exists")
        if service.status not in (Service.Status.PENDING, Service.Status.ACTIVE):
            raise DomainError(f"a {service.get_status_display().lower()} service cannot be created", field="operation")
        job = request_create(service=service, now=now, actor=actor)
    else:
        if account is None or not account.exists_on_panel:
            raise DomainError("this service has no account on a panel yet", field="operation", code="no_account")
        allowed = {
            Op.SUSPEND: (Service.Status.ACTIVE,),
            Op.UNSUSPEND: (Service.Status.SUSPENDED,),
            Op.TERMINATE: (Service.Status.ACTIVE, Service.Status.SUSPENDED, Service.Status.FRAUD),
            Op.CHANGE_PACKAGE: (Service.Status.ACTIVE, Service.Status.SUSPENDED),
            Op.CHANGE_PASSWORD: (Service.Status.ACTIVE, Service.Status.SUSPENDED),
        }[operation]
        if service.status not in allowed:
            raise DomainError(
                f"cannot {Op(operation).label.lower()} a {service.get_status_display().lower()} service",
                field="operation",
                code="illegal_transition",
            )
        job_params = dict(params or {})
        if operation == Op.CHANGE_PASSWORD:
            # The new password is stored encrypted on the account, never in the job row.
            account.password = job_params.pop("password", "") or new_password()
            account.save(update_fields=["password"])
        job = request_job(service=service, operation=operation, now=now, actor=actor, reason=reason, params=job_params)
    audit(actor=actor, action=f"provision_{operation}", obj=service, now=now, message=reason, data={"job": job.pk})
    return job


@transaction.atomic(durable=True)
def job_retry(*, job_id: int, now: dt.datetime, actor: User | None) -> ProvisioningJob:
    """Staff retry a failed (or waiting) job now; its attempts start again."""
    job = ProvisioningJob.objects.select_for_update().get(pk=job_id)
    if job.status not in (J.FAILED, J.ERRORED, J.UNKNOWN):
        raise DomainError(f"a {job.get_status_display().lower()} job cannot be retried", field="job")
    job.status = J.UNKNOWN if job.params.get("sent") else J.QUEUED
    job.next_attempt_at = _due_now(now)
    job.max_attempts = job.attempts + max(3, job.max_attempts - job.attempts)
    job.locked_until = None
    job.save(update_fields=["status", "next_attempt_at", "max_attempts", "locked_until"])
    audit(actor=actor, action="job_retry", obj=job, now=now)
    _enqueue_after_commit(job)
    return job


def connection_check(
    *,
    module_name: str,
    ip_address: str,
    username: str,
    password: str,
    api_port: int = 1500,
    path: str = "",
    hostname: str = "",
    verify_tls: bool = True,
    tls_fingerprint: str = "",
    timeout: int = 15,
) -> ConnectionCheck:
    """Test Configuration: try the values without saving. Returns what the module found (its text,
    the panel's generation, a warning); raises ModuleError with the panel's error."""
    module = get_module(module_name)
    conn = connection_info(
        AppConnection(
            module=module_name,
            ip_address=ip_address,
            username=username,
            password=password,
            api_port=api_port,
            path=path,
            hostname=hostname,
            verify_tls=verify_tls,
            tls_fingerprint=tls_fingerprint,
            timeout=timeout,
        ),
        module,
    )
    return module.check_connection(conn)


def connection_test(**values: Any) -> tuple[bool, str]:
    """Test Configuration as (ok, Success or the panel's error); a warning follows the success text."""
    try:
        check = connection_check(**values)
    except ModuleError as exc:
        return False, exc.message
    return True, f"{check.message} {check.warning}".strip()


@transaction.atomic(durable=True)
def connection_set_generation(
    *, connection_id: int, generation: str, now: dt.datetime, actor: User | None
) -> AppConnection:
    """Store the panel generation Test Configuration detected on a saved connection."""
    if generation not in ("", "5", "6"):
        raise DomainError(f"unknown panel generation {generation!r}", field="panel_generation", code="invalid")
    connection = AppConnection.objects.select_for_update().get(pk=connection_id)
    if connection.panel_generation != generation:
        before = connection.panel_generation
        connection.panel_generation = generation
        connection.save(update_fields=["panel_generation"])
        audit(
            actor=actor,
            action="connection_generation",
            obj=connection,
            now=now,
            message=f"panel generation {before or 'unknown'} -> {generation or 'unknown'}",
        )
    return connection


def fetch_presets(*, connection: AppConnection) -> list[str]:
    """Get values from server: the presets (user templates) of the connection's panel."""
    module = get_module(connection.module)
    try:
        return module.list_presets(connection_info(connection, module))
    except ModuleError as exc:
        raise DomainError(
            f"cannot read presets from {connection.name}: {exc.message}", field="connection", code="panel_error"
        ) from exc


def sso_url(*, service: Service, actor: User | None = None, now: dt.datetime | None = None) -> str:
    """Access Control Panel: a one-time login URL for the service's panel account (the use is audited)."""
    account = PanelAccount.objects.select_related("connection").filter(service=service).first()
    if account is None or not account.exists_on_panel:
        raise DomainError("this service has no account on a panel yet", code="no_account")
    if service.status != Service.Status.ACTIVE:
        raise DomainError(f"the service is {service.get_status_display().lower()}", code="not_active")
    module = get_module(account.connection.module)
    conn = connection_info(account.connection, module, lang=service.client.language)
    url = ""
    try:
        # A login key only for an account that is provably ours, never for a namesake on the panel.
        whose = module.ownership(conn, account.username, account.panel_marker)
        if whose == OURS:
            url = module.sso_url(conn, account.username)
    except ModuleError as exc:
        raise DomainError(f"the control panel could not be reached: {exc.message}", code="panel_error") from exc
    if whose != OURS:
        audit(
            actor=actor,
            action="panel_login_refused",
            obj=service,
            now=now or timezone.now(),
            message=f"{account.username}: {'not on the panel' if whose == ABSENT else 'not created by this billing'}",
        )
        raise DomainError(
            "the control panel account of this service could not be verified; please contact support", code="not_ours"
        )
    audit(
        actor=actor,
        action="panel_login",
        obj=service,
        now=now or timezone.now(),
        message=f"control panel opened as {account.username}",
    )
    return url


@transaction.atomic(durable=True)
def module_set_active(*, name: str, active: bool, now: dt.datetime, actor: User | None) -> None:
    """Activate or deactivate a provisioning module (Settings → Modules → Hosting Modules)."""
    get_module(name)  # must be installed
    from moorage.provisioning.models import ModuleState

    state, _ = ModuleState.objects.select_for_update().get_or_create(name=name)
    state.active, state.changed_at = active, now
    state.save(update_fields=["active", "changed_at"])
    audit(actor=actor, action="module_activate" if active else "module_deactivate", obj=state, now=now)


def panel_account_state(*, service: Service) -> dict[str, Any]:
    """The service's account as the panel shows it now (a read, for the staff service page)."""
    account = PanelAccount.objects.select_related("connection").filter(service=service).first()
    if account is None:
        return {"known": False, "message": "no panel account reserved"}
    module = get_module(account.connection.module)
    conn = connection_info(account.connection, module)
    try:
        state = module.account_state(conn, account.username)
        ours = state.exists and module.ownership(conn, account.username, account.panel_marker) == OURS
    except ModuleError as exc:
        return {"known": False, "message": exc.message}
    message = ("suspended" if state.suspended else "active") if state.exists else "not on the panel"
    if state.exists and not ours:
        message += "; NOT created by this billing (ownership marker missing): jobs and logins are refused"
    return {
        "known": True,
        "exists": state.exists,
        "ours": ours,
        "suspended": state.suspended,
        "disk_used_mib": state.disk_used_mib,
        "disk_limit_mib": state.disk_limit_mib,
        "message": message,
    }


def login_details(*, service: Service) -> dict[str, str] | None:
    """Login Details: panel URL, username and password of the service's account, or None."""
    account = PanelAccount.objects.select_related("connection").filter(service=service).first()
    if account is None:
        return None
    module = get_module(account.connection.module)
    return {
        "panel_url": connection_info(account.connection, module).url,
        "username": account.username,
        # A password no configured key opens is shown as that fact, never as an empty value.
        "password": f"({UNREADABLE})" if is_unreadable(account.password) else account.password,
        "exists": "yes" if account.exists_on_panel else "no",
        "server": account.connection.name,
    }


# A made-up service the username pattern is tried on before it is saved.
_SAMPLE = {"client_id": 1234, "pk": 5678, "hostname": "example.com"}
_TRUE = (True, 1, "1", "on", "true", "yes")
_FALSE = (False, 0, "0", "off", "false", "no")


def _clean_option(f: Field, raw: Any) -> Any:
    """One App-tab value in its stored type (ints as ints, bools as true/false), or DomainError."""
    if f.kind == "int":
        if isinstance(raw, bool):
            raise DomainError(f"{f.label} must be a whole number", field=f.name)
        try:
            value = int(str(raw).strip())
        except ValueError:
            raise DomainError(f"{f.label} must be a whole number", field=f.name) from None
        if value < 0:
            raise DomainError(f"{f.label} must be 0 or more", field=f.name)
        return value
    if f.kind == "bool":
        key = raw.strip().lower() if isinstance(raw, str) else raw
        if key in _TRUE:
            return True
        if key in _FALSE:
            return False
        raise DomainError(f"{f.label} must be on or off", field=f.name)
    value = str(raw).strip()
    if f.kind == "select" and f.choices and value not in {c[0] for c in f.choices}:
        raise DomainError(f"{f.label}: {value!r} is not one of the choices", field=f.name)
    return value


@transaction.atomic(durable=True)
def product_app_save(
    *,
    product: Product,
    module: str,
    connection: AppConnection | None,
    group: ServerGroup | None,
    options: dict[str, Any],
    auto_create: str,
    now: dt.datetime,
    actor: User | None,
) -> ProductApp:
    """Product → App tab: the module, its connection or server group, the preset and overrides, and
    Auto-create. An empty option means "as the preset says" and is not stored."""
    from moorage.provisioning.accounts import _render

    mod = get_module(module)
    if (connection is None) == (group is None):
        raise DomainError(
            "choose either an app connection or a server group", field="connection", code="connection_or_group"
        )
    if connection is not None and connection.module != module:
        raise DomainError(f"{connection.name} is a connection of {connection.module}, not {module}", field="connection")
    if group is not None and group.module != module:
        raise DomainError(f"{group.name} is a server group of {group.module}, not {module}", field="group")
    if auto_create not in Product.AutoCreate.values:
        raise DomainError(f"unknown auto-create option {auto_create!r}", field="auto_create")
    fields = {f.name: f for f in mod.product_fields}
    unknown = sorted(set(options) - set(fields))
    if unknown:
        raise DomainError(f"{module} has no product field {unknown[0]!r}", field=unknown[0], code="unknown_option")
    clean: dict[str, Any] = {}
    for name, raw in options.items():
        if raw is None or raw == "":
            continue
        f = fields[name]
        if f.not_applicable:
            raise DomainError(
                f"{f.label} is not applicable to {mod.display_name or module}", field=name, code="not_applicable"
            )
        clean[name] = _clean_option(f, raw)
    for f in fields.values():
        if f.required and clean.get(f.name) in (None, ""):
            raise DomainError(f"{f.label} is required", field=f.name, code="required")
    pattern = clean.get("username_pattern")
    if pattern:
        sample = _render(pattern, Service(**_SAMPLE))
        problem = "it has an unknown placeholder" if "{" in sample or "}" in sample else mod.validate_username(sample)
        if problem:
            raise DomainError(
                f"the pattern gives {sample!r} for a sample service (client 1234, "
                f"service 5678, hostname example.com): {problem}",
                field="username_pattern",
                code="bad_username_pattern",
            )
    locked = Product.objects.select_for_update().get(pk=product.pk)
    locked.module, locked.auto_create = module, auto_create
    locked.save(update_fields=["module", "auto_create"])
    app = ProductApp.objects.select_for_update().filter(product=locked).first() or ProductApp(product=locked)
    app.connection, app.group, app.options = connection, group, clean
    app.save()
    audit(
        actor=actor,
        action="product_app_save",
        obj=locked,
        now=now,
        message=f"App: {module} on {connection or group}",
        data={
            "module": module,
            "connection": connection.pk if connection else None,
            "group": group.pk if group else None,
            "options": clean,
            "auto_create": auto_create,
        },
    )
    product.module, product.auto_create = module, auto_create
    return app
