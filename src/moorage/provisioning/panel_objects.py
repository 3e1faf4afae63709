"""Client Functions "Databases", "Emails" and "FTP Users": the objects of a service's panel account,
listed, created, given a new password and deleted through the module while the client waits.

The panel call is made outside any database transaction (a remote call never holds a lock); only
after the panel said yes is the change written to the service's log, in a short durable action.
A panel that refuses (a name taken, a limit reached, a weak password) is answered with the panel's
own words on the field at fault; a panel that cannot be reached changes nothing in billing.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from moorage.core.actions import audit
from moorage.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from moorage.core.models import User
from moorage.provisioning.accounts import connection_info
from moorage.provisioning.interface import (
    DATABASES,
    FTP_USERS,
    MAILBOXES,
    OURS,
    PERMANENT,
    UNKNOWN,
    Connection,
    Database,
    FtpUser,
    Mailbox,
    ModuleError,
    ProvisioningModule,
)
from moorage.provisioning.models import PanelAccount
from moorage.provisioning.registry import get_module
from moorage.services.models import Service

log = logging.getLogger(__name__)

# Client function code → the module capability it needs, and what its objects are called.
FUNCTIONS = {
    "databases": (DATABASES, "database"),
    "emails": (MAILBOXES, "mailbox"),
    "ftp_users": (FTP_USERS, "FTP user"),
}

# Failures that are not the panel's answer to this request: the panel is down, slow, misconfigured
# or not ispmanager. The client is told the panel is unavailable; staff find the detail in the log.
UNAVAILABLE_TYPES = {"timeout", "connect", "dropped", "http", "tls", "format", "auth"}

# The panel's parameter (or object, or limit) a refusal names → the field of our forms and API.
FIELD_OF = {
    "name": "name",
    "passwd": "password",
    "password": "password",
    "confirm": "password",
    "username": "user",
    "user": "user",
    "db_user": "user",
    "database user": "user",
    "limit_db_users": "user",
    "domainname": "domain",
    "domain": "domain",
    "emaildomain": "domain",
    "maxsize": "maxsize",
    "limit_email_quota": "maxsize",
    "home": "home",
    "server": "server",
    "charset": "charset",
}


# The objects a module reports missing from the account's own list (ModuleError.panel_object).
OBJECTS = {"database", "database user", "mailbox", "FTP user"}


class PanelUnavailable(DomainError):
    """The panel could not be asked (or did not answer); billing changed nothing."""

    code = "panel_unavailable"
    status = 503


class PanelRefused(DomainError):
    """The panel answered no: its own message, on the field it names."""

    code = "panel_refused"
    status = 400


@dataclass(frozen=True)
class _Target:
    service: Service
    account: PanelAccount
    module: ProvisioningModule
    conn: Connection
    what: str  # "database", "mailbox", "FTP user"


def _target(service: Service, code: str) -> _Target:
    """The service's panel account for function `code`, once everything allows acting on it."""
    capability, what = FUNCTIONS[code]
    service.product.require_client_function(code)
    if service.status != Service.Status.ACTIVE:
        raise Conflict(
            f"this is available while the service is active; it is {service.get_status_display().lower()}",
            code="not_active",
        )
    account = PanelAccount.objects.select_related("connection").filter(service=service).first()
    if account is None or not account.exists_on_panel:
        raise Conflict("the service has no account on a control panel yet", code="no_account")
    module = get_module(account.connection.module)
    if not module.supports(capability):
        raise PermissionDenied(
            f"the control panel of this service ({module.display_name or module.name}) does not offer this function",
            code="function_unsupported",
        )
    conn = connection_info(account.connection, module, lang=service.client.language)
    return _Target(service, account, module, conn, what)


def refusal(*, service: Service, code: str) -> str | None:
    """Why function `code` is not offered on this service, or None; no panel call (for menus)."""
    try:
        _target(service, code)
    except DomainError as exc:
        return exc.message
    return None


def _unavailable(exc: ModuleError, target: _Target, secrets: tuple[str, ...]) -> PanelUnavailable:
    log.warning("panel call for service %s failed: %s", target.service.pk, _redact(exc.message, secrets))
    if exc.kind == UNKNOWN:
        return PanelUnavailable(
            "the control panel did not answer in time; the change may or may not have been made, "
            "so look at the list before trying again",
        )
    return PanelUnavailable("the control panel could not be reached; nothing was changed, please try again later")


def _translate(exc: ModuleError, target: _Target, secrets: tuple[str, ...] = ()) -> DomainError:
    if exc.panel_type in UNAVAILABLE_TYPES or exc.kind != PERMANENT:
        return _unavailable(exc, target, secrets)
    if exc.panel_type == "unsupported":
        return PermissionDenied(exc.message, code="function_unsupported")
    message = _redact(exc.panel_message or exc.message, secrets)
    field = FIELD_OF.get(exc.panel_object, "password" if exc.panel_object.startswith("pass") else "name")
    if exc.panel_type == "missed" and exc.panel_object in OBJECTS:
        # Not in the account's own list: absent, or another account's (the same answer for both).
        return NotFound(message, field=field)
    return PanelRefused(message, field=field)


def _redact(text: str, secrets: tuple[str, ...]) -> str:
    """A panel message never repeats a password to a log, a page or an API answer."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "********")
    return text


def _call(target: _Target, method: str, *args: Any, secrets: tuple[str, ...] = (), **kwargs: Any) -> Any:
    """Prove the account is ours (the ownership marker), then call the module; outside a transaction."""
    try:
        whose = target.module.ownership(target.conn, target.account.username, target.account.panel_marker)
        if whose == OURS:
            return getattr(target.module, method)(target.conn, target.account.username, *args, **kwargs)
    except ModuleError as exc:
        raise _translate(exc, target, secrets) from None
    log.warning("service %s: panel account %s is not provably ours", target.service.pk, target.account.username)
    raise Conflict(
        "the control panel account of this service could not be verified; please contact support", code="not_ours"
    )


@transaction.atomic(durable=True)
def _record(*, service: Service, actor: User | None, action: str, now: dt.datetime, message: str) -> None:
    """The change the panel made, in the service's log (never a password)."""
    audit(actor=actor, action=action, obj=service, now=now, message=message)


# --- reads ----------------------------------------------------------------------------------------


def list_databases(*, service: Service) -> list[Database]:
    found: list[Database] = _call(_target(service, "databases"), "list_databases")
    return found


def database_servers(*, service: Service) -> list[str]:
    found: list[str] = _call(_target(service, "databases"), "list_database_servers")
    return found


def list_mailboxes(*, service: Service) -> list[Mailbox]:
    found: list[Mailbox] = _call(_target(service, "emails"), "list_mailboxes")
    return found


def mail_domains(*, service: Service) -> list[str]:
    found: list[str] = _call(_target(service, "emails"), "list_mail_domains")
    return found


def list_ftp_users(*, service: Service) -> list[FtpUser]:
    found: list[FtpUser] = _call(_target(service, "ftp_users"), "list_ftp_users")
    return found


# --- changes (each: the panel first, then the log) -------------------------------------------------


def database_create(
    *,
    service: Service,
    name: str,
    user: str,
    password: str,
    server: str = "",
    charset: str = "",
    actor: User | None,
    now: dt.datetime,
) -> None:
    target = _target(service, "databases")
    _call(
        target,
        "create_database",
        name=name,
        user=user,
        password=password,
        server=server,
        charset=charset,
        secrets=(password,),
    )
    where = f" on {server}" if server else ""
    _record(
        service=service,
        actor=actor,
        action="panel_database_create",
        now=now,
        message=f"database {name}{where} created with user {user}",
    )


def database_password(
    *, service: Service, database: str, user: str, password: str, actor: User | None, now: dt.datetime
) -> None:
    target = _target(service, "databases")
    _call(target, "change_database_password", database=database, user=user, password=password, secrets=(password,))
    _record(
        service=service,
        actor=actor,
        action="panel_database_password",
        now=now,
        message=f"password of database user {user} ({database}) changed",
    )


def database_delete(*, service: Service, name: str, actor: User | None, now: dt.datetime) -> None:
    _call(_target(service, "databases"), "delete_database", name)
    _record(
        service=service,
        actor=actor,
        action="panel_database_delete",
        now=now,
        message=f"database {name} deleted with its users",
    )


def mailbox_create(
    *,
    service: Service,
    name: str,
    domain: str,
    password: str,
    maxsize: int | None = None,
    actor: User | None,
    now: dt.datetime,
) -> None:
    target = _target(service, "emails")
    name, domain = name.strip().lower(), domain.strip().lower()
    _call(target, "create_mailbox", name=name, domain=domain, password=password, maxsize=maxsize, secrets=(password,))
    size = f", {maxsize} MiB" if maxsize else ""
    _record(
        service=service,
        actor=actor,
        action="panel_mailbox_create",
        now=now,
        message=f"mailbox {name}@{domain} created{size}",
    )


def mailbox_password(*, service: Service, address: str, password: str, actor: User | None, now: dt.datetime) -> None:
    _call(_target(service, "emails"), "change_mailbox_password", address, password, secrets=(password,))
    _record(
        service=service,
        actor=actor,
        action="panel_mailbox_password",
        now=now,
        message=f"password of mailbox {address} changed",
    )


def mailbox_delete(*, service: Service, address: str, actor: User | None, now: dt.datetime) -> None:
    _call(_target(service, "emails"), "delete_mailbox", address)
    _record(service=service, actor=actor, action="panel_mailbox_delete", now=now, message=f"mailbox {address} deleted")


def ftp_user_create(
    *, service: Service, name: str, home: str, password: str, actor: User | None, now: dt.datetime
) -> None:
    _call(
        _target(service, "ftp_users"), "create_ftp_user", name=name, home=home, password=password, secrets=(password,)
    )
    _record(
        service=service,
        actor=actor,
        action="panel_ftp_user_create",
        now=now,
        message=f"FTP user {name} created (home {home or '/'})",
    )


def ftp_user_password(*, service: Service, name: str, password: str, actor: User | None, now: dt.datetime) -> None:
    _call(_target(service, "ftp_users"), "change_ftp_password", name, password, secrets=(password,))
    _record(
        service=service,
        actor=actor,
        action="panel_ftp_user_password",
        now=now,
        message=f"password of FTP user {name} changed",
    )


def ftp_user_delete(*, service: Service, name: str, actor: User | None, now: dt.datetime) -> None:
    _call(_target(service, "ftp_users"), "delete_ftp_user", name)
    _record(service=service, actor=actor, action="panel_ftp_user_delete", now=now, message=f"FTP user {name} deleted")
