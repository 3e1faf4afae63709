"""Client Functions "Databases", "Emails" and "FTP Users": the client's own panel objects, managed from
the service page through the module. Each page lists the objects as the panel shows them and offers
create, change password and delete (a POST, after a confirmation); the panel's refusals appear next to
the field they concern. Passwords travel only in POST bodies and are never shown back."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied as HttpForbidden
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext_lazy as _

from moorage.clientarea.functions import function_service
from moorage.clientarea.views import acting_user, client_required
from moorage.core import clock
from moorage.core.errors import DomainError, PermissionDenied
from moorage.provisioning import panel_objects as po
from moorage.services.models import Service

log = logging.getLogger(__name__)

PASSWORD_HELP = _("The control panel decides how strong it must be.")


class _PasswordFields(forms.Form):
    password = forms.CharField(
        label=_("Password"), max_length=128, strip=False, widget=forms.PasswordInput, help_text=PASSWORD_HELP
    )
    password2 = forms.CharField(label=_("Password again"), max_length=128, strip=False, widget=forms.PasswordInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") and data.get("password2") is not None and data["password"] != data["password2"]:
            self.add_error("password2", _("The two passwords differ."))
        return data


class DatabaseCreateForm(_PasswordFields):
    name = forms.CharField(label=_("Database name"), max_length=64)
    user = forms.CharField(label=_("Database user"), max_length=64, help_text=_("A new user of this database"))
    server = forms.ChoiceField(label=_("Database server"), required=False)
    field_order = ["name", "user", "server", "password", "password2"]

    def __init__(self, *args: Any, servers: list[str] = (), **kwargs: Any) -> None:  # type: ignore[assignment]
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["server"]).choices = [(s, s) for s in servers]
        if len(servers) < 2:
            del self.fields["server"]


class DatabasePasswordForm(_PasswordFields):
    name = forms.CharField(widget=forms.HiddenInput, max_length=64)
    user = forms.ChoiceField(label=_("Database user"))
    field_order = ["name", "user", "password", "password2"]

    def __init__(self, *args: Any, users: tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["user"]).choices = [(u, u) for u in users]


class MailboxCreateForm(_PasswordFields):
    name = forms.CharField(label=_("Mailbox name"), max_length=64, help_text=_("The part before the @"))
    domain = forms.ChoiceField(label=_("Mail domain"))
    maxsize = forms.IntegerField(
        label=_("Size limit (MiB)"),
        required=False,
        min_value=1,
        max_value=10**7,
        help_text=_("Empty: the package's default"),
    )
    field_order = ["name", "domain", "maxsize", "password", "password2"]

    def __init__(self, *args: Any, domains: list[str] = (), **kwargs: Any) -> None:  # type: ignore[assignment]
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["domain"]).choices = [(d, d) for d in domains]


class FtpUserCreateForm(_PasswordFields):
    name = forms.CharField(label=_("FTP user name"), max_length=64)
    home = forms.CharField(
        label=_("Home directory"), max_length=200, initial="/", help_text=_("A folder of your account")
    )
    field_order = ["name", "home", "password", "password2"]


class ObjectPasswordForm(_PasswordFields):
    name = forms.CharField(widget=forms.HiddenInput, max_length=320)
    field_order = ["name", "password", "password2"]


def _apply_error(form: forms.Form, exc: DomainError) -> None:
    """The panel's (or billing's) refusal on the field it concerns, else above the form."""
    field = exc.field if exc.field in form.fields and not form.fields[exc.field].widget.is_hidden else None
    form.add_error(field, exc.message[:1].upper() + exc.message[1:])


def _page(
    request: HttpRequest,
    service: Service,
    template: str,
    context: dict[str, Any],
    status: int = 200,
) -> HttpResponse:
    response = render(request, template, {"service": service, **context}, status=status)
    add_never_cache_headers(response)
    return response


def _read(reader: Callable[[], Any]) -> tuple[Any, str]:
    """A panel read for the page: (value, "") or (None, what to tell the client). A function the
    service's module does not offer is refused (403 with the reason), like a disabled one."""
    try:
        return reader(), ""
    except PermissionDenied as exc:
        raise HttpForbidden(exc.message) from exc
    except DomainError as exc:
        return None, exc.message[:1].upper() + exc.message[1:]


def _done(request: HttpRequest, service: Service, url_name: str, text: str) -> HttpResponse:
    messages.success(request, text)
    return redirect(url_name, pk=service.pk)


# --- Databases ---------------------------------------------------------------------------------------


@client_required
def service_databases(request: HttpRequest, pk: int) -> HttpResponse:
    service = function_service(request, pk, "databases")
    databases, problem = _read(lambda: po.list_databases(service=service))
    by_name = {d.name: d for d in databases or ()}
    servers, _error = _read(lambda: po.database_servers(service=service)) if databases is not None else ([], "")
    op = request.POST.get("op") if request.method == "POST" else None
    create = DatabaseCreateForm(request.POST if op == "create" else None, servers=servers or [], prefix="new")
    target = request.POST.get("name", "") if op else request.GET.get("password") or request.GET.get("delete") or ""
    found = by_name.get(target)
    selected = found if op == "password" or (not op and "password" in request.GET) else None
    password = None
    if selected is not None:
        password = DatabasePasswordForm(
            request.POST if op == "password" else None,
            users=selected.users,
            initial={"name": selected.name},
        )
    confirm_delete = found if op == "delete" or (not op and "delete" in request.GET) else None
    now, actor = clock.now(), acting_user(request)
    status = 200
    try:
        if op == "create" and create.is_valid():
            d = create.cleaned_data
            po.database_create(
                service=service,
                name=d["name"],
                user=d["user"],
                password=d["password"],
                server=d.get("server") or "",
                actor=actor,
                now=now,
            )
            return _done(
                request, service, "clientarea:service_databases", _("Database %(name)s created.") % {"name": d["name"]}
            )
        if op == "password" and password is not None and password.is_valid():
            d = password.cleaned_data
            po.database_password(
                service=service, database=d["name"], user=d["user"], password=d["password"], actor=actor, now=now
            )
            return _done(
                request,
                service,
                "clientarea:service_databases",
                _("Password of database user %(user)s changed.") % {"user": d["user"]},
            )
        if op == "delete" and confirm_delete is not None and request.POST.get("confirm") == "yes":
            po.database_delete(service=service, name=confirm_delete.name, actor=actor, now=now)
            return _done(
                request,
                service,
                "clientarea:service_databases",
                _("Database %(name)s deleted.") % {"name": confirm_delete.name},
            )
    except DomainError as exc:
        if op == "delete":
            messages.error(request, exc.message[:1].upper() + exc.message[1:])
        else:
            _apply_error(password if op == "password" and password is not None else create, exc)
    if op:
        status = 400
        if op in ("password", "delete") and found is None:
            messages.error(request, _("There is no such database on this account."))
    return _page(
        request,
        service,
        "clientarea/fn_databases.html",
        {
            "databases": databases,
            "problem": problem,
            "create": create,
            "password": password,
            "selected": selected,
            "confirm_delete": confirm_delete,
        },
        status,
    )


# --- Emails ------------------------------------------------------------------------------------------


@client_required
def service_emails(request: HttpRequest, pk: int) -> HttpResponse:
    service = function_service(request, pk, "emails")
    boxes, problem = _read(lambda: po.list_mailboxes(service=service))
    by_name = {b.address: b for b in boxes or ()}
    domains, _error = _read(lambda: po.mail_domains(service=service)) if boxes is not None else ([], "")
    return _objects_page(
        request,
        service,
        objects=boxes,
        by_name=by_name,
        problem=problem,
        create=MailboxCreateForm(
            request.POST if request.POST.get("op") == "create" else None, domains=domains or [], prefix="new"
        ),
        url_name="clientarea:service_emails",
        template="clientarea/fn_emails.html",
        what={
            "created": _("Mailbox %(name)s created."),
            "password": _("Password of mailbox %(name)s changed."),
            "deleted": _("Mailbox %(name)s deleted."),
            "missing": _("There is no such mailbox on this account."),
        },
        create_fn=lambda d, actor, now: po.mailbox_create(
            service=service,
            name=d["name"],
            domain=d["domain"],
            password=d["password"],
            maxsize=d.get("maxsize"),
            actor=actor,
            now=now,
        ),
        created=lambda d: f"{d['name'].strip().lower()}@{d['domain']}",
        password_fn=lambda name, pw, actor, now: po.mailbox_password(
            service=service, address=name, password=pw, actor=actor, now=now
        ),
        delete_fn=lambda name, actor, now: po.mailbox_delete(service=service, address=name, actor=actor, now=now),
        extra={"domains": domains},
    )


# --- FTP Users ---------------------------------------------------------------------------------------


@client_required
def service_ftp_users(request: HttpRequest, pk: int) -> HttpResponse:
    service = function_service(request, pk, "ftp_users")
    users, problem = _read(lambda: po.list_ftp_users(service=service))
    return _objects_page(
        request,
        service,
        objects=users,
        by_name={u.name: u for u in users or ()},
        problem=problem,
        create=FtpUserCreateForm(request.POST if request.POST.get("op") == "create" else None, prefix="new"),
        url_name="clientarea:service_ftp_users",
        template="clientarea/fn_ftp_users.html",
        what={
            "created": _("FTP user %(name)s created."),
            "password": _("Password of FTP user %(name)s changed."),
            "deleted": _("FTP user %(name)s deleted."),
            "missing": _("There is no such FTP user on this account."),
        },
        create_fn=lambda d, actor, now: po.ftp_user_create(
            service=service, name=d["name"], home=d["home"], password=d["password"], actor=actor, now=now
        ),
        created=lambda d: d["name"],
        password_fn=lambda name, pw, actor, now: po.ftp_user_password(
            service=service, name=name, password=pw, actor=actor, now=now
        ),
        delete_fn=lambda name, actor, now: po.ftp_user_delete(service=service, name=name, actor=actor, now=now),
        extra={},
    )


def _objects_page(
    request: HttpRequest,
    service: Service,
    *,
    objects: list[Any] | None,
    by_name: dict[str, Any],
    problem: str,
    create: forms.Form,
    url_name: str,
    template: str,
    what: dict[str, str],
    create_fn: Callable[..., None],
    created: Callable[[dict[str, Any]], str],
    password_fn: Callable[..., None],
    delete_fn: Callable[..., None],
    extra: dict[str, Any],
) -> HttpResponse:
    """Mailboxes and FTP users: one name each, the same three operations."""
    op = request.POST.get("op") if request.method == "POST" else None
    target = request.POST.get("name", "") if op else request.GET.get("password") or request.GET.get("delete") or ""
    selected = target if target in by_name else None
    password = None
    if selected is not None and (op == "password" or (not op and "password" in request.GET)):
        password = ObjectPasswordForm(request.POST if op == "password" else None, initial={"name": selected})
    confirm_delete = selected if (op == "delete" or (not op and "delete" in request.GET)) else None
    now, actor = clock.now(), acting_user(request)
    try:
        if op == "create" and create.is_valid():
            create_fn(create.cleaned_data, actor, now)
            return _done(request, service, url_name, what["created"] % {"name": created(create.cleaned_data)})
        if op == "password" and password is not None and password.is_valid():
            password_fn(selected, password.cleaned_data["password"], actor, now)
            return _done(request, service, url_name, what["password"] % {"name": selected})
        if op == "delete" and selected is not None and request.POST.get("confirm") == "yes":
            delete_fn(selected, actor, now)
            return _done(request, service, url_name, what["deleted"] % {"name": selected})
    except DomainError as exc:
        if op == "delete":
            messages.error(request, exc.message[:1].upper() + exc.message[1:])
        else:
            _apply_error(password if op == "password" and password is not None else create, exc)
    status = 200
    if op:
        status = 400
        if op in ("password", "delete") and selected is None:
            messages.error(request, what["missing"])
    return _page(
        request,
        service,
        template,
        {
            "objects": objects,
            "problem": problem,
            "create": create,
            "password": password,
            "selected": selected,
            "confirm_delete": confirm_delete,
            **extra,
        },
        status,
    )
