"""REST API v1 for the Client Functions "Databases", "Emails" and "FTP Users": a service's panel objects
(`/services/{id}/databases|mailboxes|ftp-users`), with the staff permissions of the service screen and
the product's enabled functions. Every call goes to the panel through the module while the caller
waits; a refusal of the panel is a 400 with its message and field, a panel that cannot be reached 503."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from django.http import HttpRequest
from ninja import Field, Path, Schema, Status

from moorage.api import schemas as s
from moorage.api.endpoints import ERRORS
from moorage.api.urls import StaffToken, api
from moorage.core import clock
from moorage.core.errors import NotFound
from moorage.provisioning import panel_objects as po
from moorage.services.models import Service

# The documented refusals, plus 503: the panel could not be reached (nothing changed).
PANEL_ERRORS = {**ERRORS, 503: s.ErrorOut}
READ = StaffToken("services.view_service", area="services")
WRITE = StaffToken("services.change_service", area="services")

# A panel object's name in a path: printable, no "/" (the router's own rule), bounded. What the panel
# accepts is checked by the module; a name is only ever sent to the panel as a value.
ObjectName = Annotated[str, Path(min_length=1, max_length=320, description="The object's name on the panel")]
Password = Annotated[str, Field(min_length=1, max_length=128, description="Sent to the panel only; never stored")]


def _service(service_id: int, code: str) -> Service:
    service = Service.objects.select_related("product").filter(pk=service_id).first()
    if service is None:
        raise NotFound(f"no service with id {service_id}", field="id")
    service.product.require_client_function(code)
    return service


class DatabaseOut(Schema):
    name: str
    server: str
    size_mib: Decimal | None
    users: list[str]


class DatabaseIn(Schema):
    name: str = Field(min_length=1, max_length=64)
    user: str = Field(min_length=1, max_length=64, description="A new user of the database")
    password: Password
    server: str = Field("", max_length=64, description="Empty: the panel's first database server")
    charset: str = Field("", max_length=32, description="Empty: the panel's default")


class DatabasePasswordIn(Schema):
    user: str = Field("", max_length=64, description="The database user; may be left out when it has only one")
    password: Password


class MailboxOut(Schema):
    address: str
    size_used_mib: Decimal | None
    size_limit_mib: Decimal | None


class MailboxIn(Schema):
    name: str = Field(min_length=1, max_length=64, description="The part before the @")
    domain: str = Field(min_length=1, max_length=253, description="One of the account's mail domains")
    password: Password
    maxsize: int | None = Field(None, ge=1, le=10**7, description="Size limit in MiB; empty: the package's")


class FtpUserOut(Schema):
    name: str
    home: str


class FtpUserIn(Schema):
    name: str = Field(min_length=1, max_length=64)
    home: str = Field("/", min_length=1, max_length=200)
    password: Password


class PasswordIn(Schema):
    password: Password


# --- databases ---------------------------------------------------------------------------------------


@api.get(
    "/services/{service_id}/databases", response={200: list[DatabaseOut], **PANEL_ERRORS}, tags=["services"], auth=READ
)
def list_databases(request: HttpRequest, service_id: s.Id):  # noqa: ANN201
    """The databases of the service's panel account, with their users (as the panel lists them now)."""
    service = _service(service_id, "databases")
    return [
        {"name": d.name, "server": d.server, "size_mib": d.size_mib, "users": list(d.users)}
        for d in po.list_databases(service=service)
    ]


@api.post(
    "/services/{service_id}/databases", response={201: DatabaseOut, **PANEL_ERRORS}, tags=["services"], auth=WRITE
)
def create_database(request: HttpRequest, service_id: s.Id, payload: DatabaseIn):  # noqa: ANN201
    """Create a database with a new user of it on the panel."""
    service = _service(service_id, "databases")
    po.database_create(
        service=service,
        name=payload.name,
        user=payload.user,
        password=payload.password,
        server=payload.server,
        charset=payload.charset,
        actor=request.user,
        now=clock.now(),
    )
    made = next((d for d in po.list_databases(service=service) if d.name == payload.name), None)
    return Status(
        201,
        {
            "name": payload.name,
            "server": made.server if made else payload.server,
            "size_mib": made.size_mib if made else None,
            "users": list(made.users) if made else [payload.user],
        },
    )


@api.post(
    "/services/{service_id}/databases/{name}/password",
    response={204: None, **PANEL_ERRORS},
    tags=["services"],
    auth=WRITE,
)
def change_database_password(request: HttpRequest, service_id: s.Id, name: ObjectName, payload: DatabasePasswordIn):  # noqa: ANN201
    """Set a new password for a user of the database."""
    service = _service(service_id, "databases")
    user = payload.user
    if not user:
        database = next((d for d in po.list_databases(service=service) if d.name == name), None)
        if database is None:
            raise po.PanelRefused(f"there is no database named {name!r} on this account", field="name")
        if len(database.users) != 1:
            raise po.PanelRefused("the database has more than one user (or none): name the user", field="user")
        user = database.users[0]
    po.database_password(
        service=service, database=name, user=user, password=payload.password, actor=request.user, now=clock.now()
    )
    return Status(204, None)


@api.delete(
    "/services/{service_id}/databases/{name}", response={204: None, **PANEL_ERRORS}, tags=["services"], auth=WRITE
)
def delete_database(request: HttpRequest, service_id: s.Id, name: ObjectName):  # noqa: ANN201
    """Delete the database and its users on the panel."""
    po.database_delete(service=_service(service_id, "databases"), name=name, actor=request.user, now=clock.now())
    return Status(204, None)


# --- mailboxes ---------------------------------------------------------------------------------------


@api.get(
    "/services/{service_id}/mailboxes", response={200: list[MailboxOut], **PANEL_ERRORS}, tags=["services"], auth=READ
)
def list_mailboxes(request: HttpRequest, service_id: s.Id):  # noqa: ANN201
    """The mailboxes of the service's panel account, with their size where the panel reports it."""
    service = _service(service_id, "emails")
    return [
        {"address": m.address, "size_used_mib": m.size_used_mib, "size_limit_mib": m.size_limit_mib}
        for m in po.list_mailboxes(service=service)
    ]


@api.post("/services/{service_id}/mailboxes", response={201: MailboxOut, **PANEL_ERRORS}, tags=["services"], auth=WRITE)
def create_mailbox(request: HttpRequest, service_id: s.Id, payload: MailboxIn):  # noqa: ANN201
    """Create the mailbox `name@domain` on one of the account's mail domains."""
    service = _service(service_id, "emails")
    po.mailbox_create(
        service=service,
        name=payload.name,
        domain=payload.domain,
        password=payload.password,
        maxsize=payload.maxsize,
        actor=request.user,
        now=clock.now(),
    )
    address = f"{payload.name.strip().lower()}@{payload.domain.strip().lower()}"
    made = next((m for m in po.list_mailboxes(service=service) if m.address == address), None)
    return Status(
        201,
        {
            "address": address,
            "size_used_mib": made.size_used_mib if made else None,
            "size_limit_mib": made.size_limit_mib if made else None,
        },
    )


@api.post(
    "/services/{service_id}/mailboxes/{name}/password",
    response={204: None, **PANEL_ERRORS},
    tags=["services"],
    auth=WRITE,
)
def change_mailbox_password(request: HttpRequest, service_id: s.Id, name: ObjectName, payload: PasswordIn):  # noqa: ANN201
    """Set a new password for the mailbox (`name` is its address)."""
    service = _service(service_id, "emails")
    po.mailbox_password(service=service, address=name, password=payload.password, actor=request.user, now=clock.now())
    return Status(204, None)


@api.delete(
    "/services/{service_id}/mailboxes/{name}", response={204: None, **PANEL_ERRORS}, tags=["services"], auth=WRITE
)
def delete_mailbox(request: HttpRequest, service_id: s.Id, name: ObjectName):  # noqa: ANN201
    """Delete the mailbox (`name` is its address) and its mail on the panel."""
    po.mailbox_delete(service=_service(service_id, "emails"), address=name, actor=request.user, now=clock.now())
    return Status(204, None)


# --- FTP users ---------------------------------------------------------------------------------------


@api.get(
    "/services/{service_id}/ftp-users", response={200: list[FtpUserOut], **PANEL_ERRORS}, tags=["services"], auth=READ
)
def list_ftp_users(request: HttpRequest, service_id: s.Id):  # noqa: ANN201
    """The FTP users of the service's panel account."""
    service = _service(service_id, "ftp_users")
    return [{"name": f.name, "home": f.home} for f in po.list_ftp_users(service=service)]


@api.post("/services/{service_id}/ftp-users", response={201: FtpUserOut, **PANEL_ERRORS}, tags=["services"], auth=WRITE)
def create_ftp_user(request: HttpRequest, service_id: s.Id, payload: FtpUserIn):  # noqa: ANN201
    """Create an FTP user with its home directory inside the account."""
    service = _service(service_id, "ftp_users")
    po.ftp_user_create(
        service=service,
        name=payload.name,
        home=payload.home,
        password=payload.password,
        actor=request.user,
        now=clock.now(),
    )
    return Status(201, {"name": payload.name, "home": payload.home})


@api.post(
    "/services/{service_id}/ftp-users/{name}/password",
    response={204: None, **PANEL_ERRORS},
    tags=["services"],
    auth=WRITE,
)
def change_ftp_password(request: HttpRequest, service_id: s.Id, name: ObjectName, payload: PasswordIn):  # noqa: ANN201
    """Set a new password for the FTP user."""
    service = _service(service_id, "ftp_users")
    po.ftp_user_password(service=service, name=name, password=payload.password, actor=request.user, now=clock.now())
    return Status(204, None)


@api.delete(
    "/services/{service_id}/ftp-users/{name}", response={204: None, **PANEL_ERRORS}, tags=["services"], auth=WRITE
)
def delete_ftp_user(request: HttpRequest, service_id: s.Id, name: ObjectName):  # noqa: ANN201
    """Delete the FTP user on the panel."""
    po.ftp_user_delete(service=_service(service_id, "ftp_users"), name=name, actor=request.user, now=clock.now())
    return Status(204, None)
