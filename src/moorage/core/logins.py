"""Sign-in throttling around django-axes: who is attempting from where, what a lockout says, the
early reset after a good sign-in, and the audit record of a lockout."""

from __future__ import annotations

import ipaddress
import logging
from typing import Any

from axes.signals import user_locked_out
from axes.utils import reset as axes_reset
from django.conf import settings
from django.core.checks import Tags, register
from django.core.checks import Warning as CheckWarning
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

log = logging.getLogger("moorage.logins")

LOCKED_OUT_STATUS = 429


def normalise_username(value: object) -> str:
    """Logins are email addresses, stored in lower case: "Ann@X" and "ann@x" are one account."""
    return str(value or "").strip().lower()[:254]


def attempted_username(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str | None:
    """AXES_USERNAME_CALLABLE: the account a sign-in attempt names (both forms pass the email as
    `username` to authenticate(); axes' own calls put it under the user model's `email`)."""
    if credentials:
        for key in ("username", "email"):
            if credentials.get(key):
                return normalise_username(credentials[key])
        return None
    data = getattr(request, "POST", None) or {}
    for key in ("username", "email"):
        if data.get(key):
            return normalise_username(data[key])
    return None


def _valid_ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    """The address a request came from. Behind our reverse proxy (MOORAGE_BEHIND_PROXY) it is the
    right-most X-Forwarded-For entry, the one the proxy appended; entries to its left, and the whole
    header without a proxy, are whatever the client chose to send and are never trusted."""
    if getattr(settings, "MOORAGE_TRUST_X_FORWARDED_FOR", False):
        hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
        if hops and (address := _valid_ip(hops[-1])):
            return address
    return _valid_ip(request.META.get("REMOTE_ADDR") or "")


def cooloff_minutes() -> int:
    cooloff = settings.AXES_COOLOFF_TIME
    return max(1, int(cooloff.total_seconds() // 60)) if cooloff else 0


def lockout_message(*, staff: bool = False) -> str:
    minutes = cooloff_minutes()
    wait = f"for {minutes} minute{'s' if minutes != 1 else ''}" if minutes else "until it is unlocked"
    after = "ask an administrator to unlock it" if staff else "reset your password"
    return (
        "Too many failed sign-in attempts for this account or from your network. "
        f"Signing in is blocked {wait}; each further attempt starts the wait again. "
        f"Try again later, or {after}."
    )


def is_locked_out(request: HttpRequest) -> bool:
    """True when axes refused (or just blocked) this request's sign-in attempt."""
    return bool(getattr(request, "axes_locked_out", False))


def lockout_response(request: HttpRequest, response: Any = None, credentials: Any = None) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE. Our sign-in pages answer a lockout themselves (their own page with the
    message, status 429); any other page that called authenticate() gets the message as text."""
    if isinstance(response, HttpResponse) and response.status_code == LOCKED_OUT_STATUS:
        return response
    staff = request.path.startswith("/admin/")
    return HttpResponse(
        lockout_message(staff=staff), status=LOCKED_OUT_STATUS, content_type="text/plain; charset=utf-8"
    )


def clear_failures(request: HttpRequest, username: str) -> None:
    """After a sign-in that proved the password (and code): forget this account's failures from this
    address. Axes' own AXES_RESET_ON_SUCCESS would also clear the address's failures against other
    accounts, so an attacker signing in to an account of their own could reset their per-IP count."""
    username, ip = normalise_username(username), client_ip(request)
    if settings.AXES_ENABLED and username and ip:  # axes' reset drops a filter that is empty
        axes_reset(ip=ip, username=username)


def clear_account(username: str) -> None:
    """Unlock an account everywhere (after a password reset, which proves the mailbox)."""
    username = normalise_username(username)
    if settings.AXES_ENABLED and username:  # an empty username would reset every account
        axes_reset(username=username)


@receiver(user_locked_out)
def audit_lockout(
    sender: Any, request: HttpRequest, username: str | None, ip_address: str | None, **kwargs: Any
) -> None:
    """One log line and one audit entry when a lockout begins (not for every blocked attempt)."""
    failures = getattr(request, "axes_failures_since_start", None)
    if failures is not None and failures != settings.AXES_FAILURE_LIMIT:
        return
    from moorage.core import clock
    from moorage.core.models import AuditEntry, User

    user = User.objects.filter(email=normalise_username(username)).first() if username else None
    area = "staff area" if request.path.startswith("/admin/") else "client area"
    count = failures or settings.AXES_FAILURE_LIMIT
    message = f"Sign-in locked after {count} failures: {username or '-'} from {ip_address or '-'} ({area})"
    log.warning(message)
    AuditEntry.objects.create(
        created_at=clock.now(),
        actor=None,
        action="login_locked_out",
        object_type=User._meta.label_lower,
        object_id=str(user.pk) if user else "-",
        message=message,
        data={"username": username or "", "ip_address": ip_address or "", "path": request.path[:200]},
    )


@register(Tags.security, deploy=True)
def sign_in_deploy_checks(app_configs: Any, **kwargs: Any) -> list[CheckWarning]:
    """`moorage check --deploy`: sign-in protections a production installation should keep on."""
    warnings = []
    if not settings.AXES_ENABLED:
        warnings.append(
            CheckWarning(
                "Sign-in throttling is off (MOORAGE_LOGIN_THROTTLING): passwords can be guessed without limit.",
                hint="Unset MOORAGE_LOGIN_THROTTLING or set it to 1.",
                id="moorage.W020",
            )
        )
    if not getattr(settings, "MOORAGE_STAFF_2FA_REQUIRED", True):
        warnings.append(
            CheckWarning(
                "Staff two-factor sign-in is not required (MOORAGE_STAFF_2FA_REQUIRED=0): a staff password alone "
                "opens the staff area for staff who have not enrolled.",
                hint="Set MOORAGE_STAFF_2FA_REQUIRED=1 (the default with MOORAGE_ENV=production).",
                id="moorage.W021",
            )
        )
    if getattr(settings, "PRODUCTION", False) and not getattr(settings, "MOORAGE_CACHE_URL", ""):
        warnings.append(
            CheckWarning(
                "Throttling counters (wrong API tokens, password-reset requests) are kept in each process's memory: "
                "with several web processes each one counts on its own.",
                hint="Set MOORAGE_CACHE_URL to a Redis database, e.g. redis://127.0.0.1:6379/0.",
                id="moorage.W023",
            )
        )
    if "*" in settings.ALLOWED_HOSTS and not settings.MOORAGE_SITE_URL:
        warnings.append(
            CheckWarning(
                "ALLOWED_HOSTS accepts any host and MOORAGE_SITE_URL is not set: password reset emails would link to "
                "whatever host a request names.",
                hint="Set MOORAGE_SITE_URL to the client area's address, e.g. https://billing.example.com.",
                id="moorage.W022",
            )
        )
    return warnings
