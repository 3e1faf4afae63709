"""Client use cases: register, update, and staff logging in as a client."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from moorage.core.actions import audit
from moorage.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from moorage.core.models import User
from moorage.customers.models import Client, ClientGroup
from moorage.customers.registration import clean_profile


def _clean_email(email: str) -> str:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise DomainError(_("Enter a valid email address"), field="email", code="invalid") from exc
    return email


def clean_language(language: str) -> str:
    """One of settings.LANGUAGES, else a DomainError on the `language` field."""
    codes = [code for code, _name in settings.LANGUAGES]
    if not isinstance(language, str) or language not in codes:
        raise DomainError(
            _("Language must be one of: %(join)s") % {"join": ", ".join(codes)},
            field="language",
            code="invalid_language",
        )
    return language


def _check_password(password: str, *, user: User | None = None) -> None:
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise DomainError(" ".join(exc.messages), field="password", code="weak_password") from exc


class StaffLoginRefused(PermissionDenied):
    """The client's login carries staff rights: client screens never act on it (no escalation)."""

    code = "staff_login"


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _locked_client_user(client: Client) -> User:
    """The client's login, locked for the action's transaction, refused when it has staff rights.

    Login as Client, Set password, a change of email or status act on the login itself; were it a
    staff or superuser login, a staff member allowed to edit clients would take over that account.
    """
    user = User.objects.select_for_update().get(pk=client.user_id)
    if user.has_staff_rights():
        raise StaffLoginRefused(
            _(
                "Client #%(pk)s signs in with a login that has staff rights; client screens do not act on "
                "staff logins. Give the client a separate login."
            )
            % {"pk": client.pk},
            field="email",
        )
    client.user = user
    return user


def _audits_staff_login_refusal(action: str) -> Callable[[Callable[_P, _R]], Callable[_P, _R]]:
    """Record a StaffLoginRefused in the audit log, in its own transaction (the action's rolled back)."""

    def decorate(func: Callable[_P, _R]) -> Callable[_P, _R]:
        @functools.wraps(func)
        def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
            try:
                return func(*args, **kwargs)
            except StaffLoginRefused as exc:
                _audit_refusal(
                    actor=kwargs.get("actor") or kwargs.get("staff"),  # type: ignore[arg-type]
                    client=kwargs.get("client"),  # type: ignore[arg-type]
                    client_id=kwargs.get("client_id"),  # type: ignore[arg-type]
                    action=action,
                    now=kwargs["now"],  # type: ignore[arg-type]
                    message=exc.message,
                )
                raise

        return wrapper

    return decorate


@transaction.atomic(durable=True)
def _audit_refusal(
    *,
    actor: User | None,
    client: Client | None,
    client_id: int | None,
    action: str,
    now: dt.datetime,
    message: str,
) -> None:
    obj = client if client is not None else Client.objects.filter(pk=client_id).first()
    if obj is not None:
        audit(actor=actor, action=f"{action}_refused", obj=obj, now=now, message=message)


@transaction.atomic(durable=True)
def client_register(
    *,
    email: str,
    password: str | None,
    profile: dict[str, Any],
    now: dt.datetime,
    actor: User | None = None,
    status: str = Client.Status.ACTIVE,
    group: ClientGroup | None = None,
    by_staff: bool = False,
    enforce_required: bool | None = None,
    language: str = "en",
) -> Client:
    """Register a new client (self-registration, staff's Register New Client, or the API).

    Staff may leave the password empty (the client then cannot log in until one is set) and may
    skip required fields; self-registration must fill them. The API enforces required fields
    although it acts as staff (`enforce_required=True`).
    """
    if enforce_required is None:
        enforce_required = not by_staff
    email = _clean_email(email)
    language = clean_language(language)
    if not by_staff and not password:
        raise DomainError(_("Password is required"), field="password", code="required")
    if status not in Client.Status.values:
        raise DomainError(
            _("Status must be one of: %(join)s") % {"join": ", ".join(Client.Status.values)}, field="status"
        )
    builtin, custom = clean_profile(profile, enforce_required=enforce_required)
    if User.objects.filter(email__iexact=email).exists():
        raise Conflict(_("A client with this email address already exists"), field="email", code="email_taken")
    user = User(
        email=email, first_name=builtin.get("first_name", ""), last_name=builtin.get("last_name", ""), date_joined=now
    )
    if password:
        _check_password(password, user=user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:
        raise Conflict(_("A client with this email address already exists"), field="email", code="email_taken") from exc
    client = Client.objects.create(
        user=user, status=status, group=group, custom_fields=custom, created_at=now, language=language, **builtin
    )
    audit(
        actor=actor or user,
        action="client_register",
        obj=client,
        now=now,
        message="registered by staff" if by_staff else "self-registration",
    )
    return client


@_audits_staff_login_refusal("client_update")
@transaction.atomic(durable=True)
def client_update(
    *,
    client: Client,
    profile: dict[str, Any],
    now: dt.datetime,
    actor: User | None,
    email: str | None = None,
    by_staff: bool = False,
    language: str | None = None,
) -> Client:
    """Change a client's profile (and optionally login email and language); the change is audited."""
    builtin, custom = clean_profile(profile, enforce_required=not by_staff)
    if language is not None:
        language = clean_language(language)
    user = _locked_client_user(client)
    # Every check before any change, so a refused update leaves the caller's objects as they were.
    if email is not None:
        email = _clean_email(email)
        if email != user.email and User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
            raise Conflict(_("A client with this email address already exists"), field="email", code="email_taken")
    if language is not None:
        builtin = {**builtin, "language": language}
    before = {k: getattr(client, k) for k in builtin}
    for key, value in builtin.items():
        setattr(client, key, value)
    client.custom_fields = {**client.custom_fields, **custom}
    client.save()
    if email is not None:
        user.email = email
    user.first_name, user.last_name = client.first_name, client.last_name
    user.save()
    changed = {k: [before[k], builtin[k]] for k in builtin if before[k] != builtin[k]}
    audit(actor=actor, action="client_update", obj=client, now=now, data={"changed": changed})
    return client


@transaction.atomic(durable=True)
def client_set_language(*, client: Client, language: str, now: dt.datetime, actor: User | None) -> Client:
    """The language of the client's pages and emails (the language switcher, the profile, staff)."""
    language = clean_language(language)
    locked = Client.objects.select_for_update().get(pk=client.pk)
    if locked.language != language:
        before = locked.language
        locked.language = language
        locked.save(update_fields=["language"])
        audit(
            actor=actor, action="client_set_language", obj=locked, now=now, data={"before": before, "after": language}
        )
    client.language = language
    return client


@_audits_staff_login_refusal("client_set_password")
@transaction.atomic(durable=True)
def client_set_password(*, client: Client, password: str, now: dt.datetime, actor: User | None) -> None:
    """Set the client's login password (Reset Password); never on a login with staff rights."""
    user = _locked_client_user(client)
    _check_password(password, user=user)
    user.set_password(password)
    user.save(update_fields=["password"])
    audit(actor=actor, action="client_set_password", obj=client, now=now)


@_audits_staff_login_refusal("client_login_as")
@transaction.atomic(durable=True)
def client_login_as(*, client: Client, staff: User, now: dt.datetime) -> User:
    """Record that a staff member logs in as the client (Login as Client); returns the client's user.

    Refused for a login with staff rights: the session would carry them.
    """
    if not staff.is_staff or not staff.is_active:
        raise DomainError(_("Only staff can log in as a client"), code="forbidden")
    user = _locked_client_user(client)
    if client.status == Client.Status.CLOSED:
        raise DomainError(_("This client account is closed"), field="status")
    if not user.is_active:
        raise DomainError(_("This client's login is disabled"), field="status", code="login_disabled")
    audit(
        actor=staff, action="client_login_as", obj=client, now=now, message=f"{staff.email} logged in as {client.email}"
    )
    return user


@_audits_staff_login_refusal("client_set_status")
@transaction.atomic(durable=True)
def client_set_status(
    *,
    client_id: int,
    status: str,
    now: dt.datetime,
    actor: User | None,
    group_id: int | None = None,
    reason: str = "",
) -> Client:
    """Staff change a client's status (active, inactive, closed) and group; audited with the reason.

    A closed client cannot log in (its login is disabled) nor place orders; reopening enables it.
    """
    client = Client.objects.select_for_update().select_related("user").filter(pk=client_id).first()
    if client is None:
        raise NotFound(_("no client with id %(client_id)s") % {"client_id": client_id}, field="client")
    if status not in Client.Status.values:
        raise DomainError(
            _("Status must be one of: %(join)s") % {"join": ", ".join(Client.Status.values)}, field="status"
        )
    group = None
    if group_id is not None:
        group = ClientGroup.objects.filter(pk=group_id).first()
        if group is None:
            raise DomainError(_("no client group with id %(group_id)s") % {"group_id": group_id}, field="group")
    before = {"status": client.status, "group": client.group_id}
    client.status, client.group = status, group
    client.save(update_fields=["status", "group"])
    active = status != Client.Status.CLOSED
    if client.user.is_active != active:
        # Closing disables the login: never a staff login (that would lock a staff member out).
        user = _locked_client_user(client)
        user.is_active = active
        user.save(update_fields=["is_active"])
    audit(
        actor=actor,
        action="client_set_status",
        obj=client,
        now=now,
        message=reason,
        data={"before": before, "after": {"status": status, "group": group_id}},
    )
    return client
