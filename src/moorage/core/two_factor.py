"""Staff two-factor sign-in on django-otp: an authenticator app (TOTP) as the device, and
single-use recovery codes (a static device) for when the phone is lost."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.db import transaction
from django_otp import user_has_device
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from moorage.core import clock
from moorage.core.actions import audit
from moorage.core.models import User

TOTP_NAME = "Authenticator app"
RECOVERY_NAME = "Recovery codes"
RECOVERY_CODE_COUNT = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
RECOVERY_CODE_LENGTH = 10


def required() -> bool:
    """MOORAGE_STAFF_2FA_REQUIRED: every staff member must enrol before using the staff area."""
    return bool(getattr(settings, "MOORAGE_STAFF_2FA_REQUIRED", True))


def has_device(user: Any) -> bool:
    return bool(user.is_authenticated) and user_has_device(user, confirmed=True)


def is_verified(user: Any) -> bool:
    """True when this session's sign-in was confirmed with a code (django-otp's middleware)."""
    check = getattr(user, "is_verified", None)
    return bool(check and check())


def passes(user: Any) -> bool:
    """May this signed-in staff session use the staff area as far as two-factor goes? Staff who
    enrolled must have given a code in this session; others only when it is not required."""
    return is_verified(user) or (not required() and not has_device(user))


def may_manage(user: Any) -> bool:
    """Enrolment is open to a staff session without a device, or one verified with its device: a
    password alone must never be enough to add a second device to an account that has one."""
    return bool(user.is_authenticated and user.is_active and user.is_staff) and (
        is_verified(user) or not has_device(user)
    )


def clean_code(code: str) -> str:
    return "".join(str(code or "").split()).replace("-", "").lower()


def _looks_like_totp(code: str) -> bool:
    return code.isdigit() and len(code) in (6, 8)


def verify_code(user: User, code: str) -> Device | None:
    """The device that accepts `code` (an app's current code or an unused recovery code), or None.

    Each device row is locked while it checks, so the same code sent twice at once is accepted once:
    a TOTP code must be newer than the last one accepted, and a recovery code counts only for the
    request whose DELETE removed it. Failures feed django-otp's per-device throttle."""
    code = clean_code(code)
    if not code or not user.pk:
        return None
    with transaction.atomic():
        if _looks_like_totp(code):
            for device in TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).order_by("pk"):
                if device.verify_token(code):  # refuses while throttled; records last_t
                    return device
            return None
        for device in StaticDevice.objects.select_for_update().filter(user=user, confirmed=True).order_by("pk"):
            allowed, _ = device.verify_is_allowed()
            if not allowed:
                continue
            deleted, _ = StaticToken.objects.filter(device=device, token=code).delete()
            if deleted:
                device.throttle_reset(commit=False)
                device.set_last_used_timestamp(commit=False)
                device.save()
                audit(actor=user, action="staff_2fa_recovery_code_used", obj=user, now=clock.now())
                return device
            device.throttle_increment()
    return None


def pending_device(user: User) -> TOTPDevice:
    """The authenticator app being set up (kept until confirmed, so a reload shows the same key)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)
    return device


def _new_recovery_code() -> str:
    while True:
        code = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
        if not _looks_like_totp(code):
            return code


def _replace_recovery_codes(user: User) -> list[str]:
    device = StaticDevice.objects.filter(user=user).order_by("pk").first()
    if device is None:
        device = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    elif not device.confirmed:
        device.confirmed = True
        device.save(update_fields=["confirmed"])
    StaticDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.token_set.all().delete()
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


@transaction.atomic(durable=True)
def staff_2fa_enrol(*, user: User, device_id: int, code: str) -> tuple[TOTPDevice, list[str]] | None:
    """Confirm the app being set up with a code from it; it replaces any earlier app, and a fresh set
    of recovery codes replaces the old ones. Returns the device and the codes (shown once), or None
    when the code is wrong."""
    device = TOTPDevice.objects.select_for_update().filter(user=user, pk=device_id, confirmed=False).first()
    code = clean_code(code)
    if device is None or not _looks_like_totp(code) or not device.verify_token(code):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    codes = _replace_recovery_codes(user)
    audit(actor=user, action="staff_2fa_enrolled", obj=user, now=clock.now())
    return device, codes


@transaction.atomic(durable=True)
def staff_2fa_new_recovery_codes(*, user: User) -> list[str]:
    """Replace the recovery codes (the old ones stop working); the new ones are shown once."""
    codes = _replace_recovery_codes(user)
    audit(actor=user, action="staff_2fa_recovery_codes_replaced", obj=user, now=clock.now())
    return codes


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()
