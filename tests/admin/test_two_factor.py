"""Staff two-factor sign-in: an authenticator app's code on the staff sign-in page, recovery codes
that work once, enrolment enforced by MOORAGE_STAFF_2FA_REQUIRED, and a password alone never
reaching the staff area (or the enrolment of a second device) of an enrolled staff member."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test import Client as Browser
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from moorage.core import two_factor
from moorage.core.models import AuditEntry
from tests import factories
from tests.factories import PASSWORD
from tests.threads import race

pytestmark = pytest.mark.django_db

ADMIN_LOGIN = reverse("admin:login")
TWO_FACTOR = reverse("admin:two_factor")
MOMENT = dt.datetime(2026, 1, 20, 9, 0, tzinfo=dt.UTC)
STEP = dt.timedelta(seconds=30)


@pytest.fixture
def frozen():  # noqa: ANN201
    """TOTP codes depend on the real clock: hold it still and move it by whole 30-second steps."""
    with time_machine.travel(MOMENT, tick=False) as traveller:
        yield traveller


def code_for(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def enrol(user, frozen) -> list[str]:  # noqa: ANN001
    device = two_factor.pending_device(user)
    _, codes = two_factor.staff_2fa_enrol(user=user, device_id=device.pk, code=code_for(device))
    frozen.shift(STEP)  # the code used to enrol is spent
    return codes


def app_of(user) -> TOTPDevice:  # noqa: ANN001
    return TOTPDevice.objects.get(user=user, confirmed=True)


def admin_login(b: Browser, email: str, password: str = PASSWORD, code: str = ""):  # noqa: ANN201
    return b.post(ADMIN_LOGIN, {"username": email, "password": password, "otp_token": code, "next": "/admin/"})


def reaches_admin(b: Browser) -> bool:
    return b.get("/admin/").status_code == 200


def test_enrolled_staff_must_give_the_code(frozen, staff):
    enrol(staff, frozen)
    b = Browser()

    without = admin_login(b, staff.email)
    wrong = admin_login(b, staff.email, code="000000" if code_for(app_of(staff)) != "000000" else "111111")
    assert without.status_code == wrong.status_code == 200
    assert not reaches_admin(b)

    frozen.shift(STEP)  # past django-otp's throttle delay after the failures
    frozen.shift(STEP)
    response = admin_login(b, staff.email, code=code_for(app_of(staff)))

    assert response.status_code == 302
    assert reaches_admin(b)
    assert b.session.get("otp_device_id")


def test_the_error_never_tells_that_the_password_was_right(frozen, staff):
    enrol(staff, frozen)
    wrong_password = admin_login(Browser(), staff.email, "wrong-password-1").context["form"].non_field_errors()
    right_password = admin_login(Browser(), staff.email).context["form"].non_field_errors()
    assert list(wrong_password) == list(right_password)


def test_a_code_is_accepted_once(frozen, staff):
    enrol(staff, frozen)
    code = code_for(app_of(staff))
    b = Browser()
    assert admin_login(b, staff.email, code=code).status_code == 302
    b.post(reverse("admin:logout"))

    replay = Browser()
    assert admin_login(replay, staff.email, code=code).status_code == 200
    assert not reaches_admin(replay)


def test_a_recovery_code_works_once(frozen, staff):
    codes = enrol(staff, frozen)
    assert len(codes) == 10 and len(set(codes)) == 10

    b = Browser()
    assert admin_login(b, staff.email, code=codes[0].upper()).status_code == 302
    assert reaches_admin(b)
    assert AuditEntry.objects.filter(action="staff_2fa_recovery_code_used", object_id=str(staff.pk)).exists()

    frozen.shift(STEP)
    again = Browser()
    assert admin_login(again, staff.email, code=codes[0]).status_code == 200
    assert not reaches_admin(again)
    assert StaticToken.objects.filter(device__user=staff).count() == 9


def test_wrong_codes_count_towards_the_lockout(frozen, settings, staff):
    settings.AXES_FAILURE_LIMIT = 3
    enrol(staff, frozen)
    b = Browser()
    for n in range(3):
        frozen.shift(STEP * 4)
        response = admin_login(b, staff.email, code=f"12345{n}")
    assert response.status_code == 429

    frozen.shift(STEP * 4)
    response = admin_login(Browser(REMOTE_ADDR="198.51.100.3"), staff.email, code=code_for(app_of(staff)))
    assert response.status_code == 429


def test_a_password_alone_is_not_enough_for_an_enrolled_staff_member(frozen, staff):
    """A session signed in without a code (force_login here; in life e.g. the end of "log in as
    client") is sent back to sign in, and cannot enrol a device of its own."""
    enrol(staff, frozen)
    b = Browser()
    b.force_login(staff)

    assert b.get("/admin/")["Location"].startswith(ADMIN_LOGIN)
    assert b.get(TWO_FACTOR)["Location"].startswith(ADMIN_LOGIN)
    attacker_device = TOTPDevice.objects.create(user=staff, name="evil", confirmed=False)
    response = b.post(TWO_FACTOR, {"action": "enrol", "device": attacker_device.pk, "code": code_for(attacker_device)})
    assert response.status_code == 302
    attacker_device.refresh_from_db()
    assert not attacker_device.confirmed
    response = b.post(TWO_FACTOR, {"action": "recovery_codes"})
    assert response.status_code == 302
    assert StaticToken.objects.filter(device__user=staff).count() == 10


def test_required_sends_staff_without_a_device_to_enrol_first(frozen, settings, staff):
    settings.MOORAGE_STAFF_2FA_REQUIRED = True
    b = Browser()
    assert admin_login(b, staff.email).status_code == 302

    to_login = b.get("/admin/billing/invoice/")
    assert to_login.status_code == 302 and to_login["Location"].startswith(ADMIN_LOGIN)
    to_enrol = b.get(to_login["Location"])
    assert to_enrol.status_code == 302 and to_enrol["Location"].startswith(TWO_FACTOR)
    assert "next=%2Fadmin%2Fbilling%2Finvoice%2F" in to_enrol["Location"]

    page = b.get(to_enrol["Location"])
    html = page.content.decode()
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    assert "<svg" in html and "otpauth://totp/" in html and "required for staff" in html
    device = TOTPDevice.objects.get(user=staff, confirmed=False)

    wrong = b.post(TWO_FACTOR, {"action": "enrol", "device": device.pk, "code": "000000", "next": "/admin/"})
    assert "not correct" in wrong.content.decode()
    assert not reaches_admin(b)

    frozen.shift(STEP * 2)
    done = b.post(TWO_FACTOR, {"action": "enrol", "device": device.pk, "code": code_for(device), "next": "/admin/"})

    assert done.status_code == 200
    codes = done.context["codes"]
    assert len(codes) == 10 and all(code in done.content.decode() for code in codes)
    assert reaches_admin(b)
    assert AuditEntry.objects.filter(action="staff_2fa_enrolled", object_id=str(staff.pk)).count() == 1


def test_required_does_not_touch_clients_or_signed_out_visitors(settings, client_account):
    settings.MOORAGE_STAFF_2FA_REQUIRED = True
    assert Browser().get(TWO_FACTOR)["Location"].startswith(ADMIN_LOGIN)
    b = Browser()
    b.force_login(client_account.user)
    assert b.get(TWO_FACTOR)["Location"].startswith(ADMIN_LOGIN)
    assert not TOTPDevice.objects.exists()


def test_not_required_staff_without_a_device_sign_in_as_before_and_may_enrol(frozen, staff):
    b = Browser()
    assert admin_login(b, staff.email).status_code == 302
    assert reaches_admin(b)

    device_page = b.get(TWO_FACTOR)
    assert device_page.status_code == 200 and "required for staff" not in device_page.content.decode()
    device = TOTPDevice.objects.get(user=staff, confirmed=False)
    done = b.post(TWO_FACTOR, {"action": "enrol", "device": device.pk, "code": code_for(device)})
    assert len(done.context["codes"]) == 10
    assert reaches_admin(b)  # this session was verified by the enrolment

    frozen.shift(STEP)
    assert admin_login(Browser(), staff.email).status_code == 200  # from now on the code is asked


def test_a_pending_device_of_another_staff_member_cannot_be_confirmed(frozen, staff):
    other = factories.staff_user(email="other-staff@example.com")
    theirs = two_factor.pending_device(other)
    b = Browser()
    b.force_login(staff)

    b.post(TWO_FACTOR, {"action": "enrol", "device": theirs.pk, "code": code_for(theirs)})

    theirs.refresh_from_db()
    assert not theirs.confirmed
    assert not TOTPDevice.objects.filter(user=staff, confirmed=True).exists()


def test_new_recovery_codes_replace_the_old_ones(frozen, staff):
    old = enrol(staff, frozen)
    b = Browser()
    admin_login(b, staff.email, code=code_for(app_of(staff)))
    status = b.get(TWO_FACTOR)
    assert 'id="codes-left">10<' in status.content.decode()

    new = b.post(TWO_FACTOR, {"action": "recovery_codes"}).context["codes"]

    assert not set(old) & set(new)
    assert reaches_admin(b)  # still verified
    frozen.shift(STEP)
    assert admin_login(Browser(), staff.email, code=old[1]).status_code == 200
    frozen.shift(STEP)  # django-otp's throttle after a failure
    assert admin_login(Browser(), staff.email, code=new[1]).status_code == 302


def test_a_recovery_code_is_spent_by_one_of_two_requests(staff, frozen):
    """verify_code counts a recovery code only for the request whose DELETE removed it."""
    codes = enrol(staff, frozen)
    assert two_factor.verify_code(staff, codes[3]) is not None
    assert two_factor.verify_code(staff, codes[3]) is None


def test_the_client_sign_in_does_not_confirm_an_enrolled_staff_password(frozen, staff):
    enrol(staff, frozen)
    page = Browser().post(reverse("clientarea:login"), {"email": staff.email, "password": PASSWORD})
    html = page.content.decode()
    assert "email address or password is not correct" in html and "staff login" not in html


def test_the_staff_area_links_to_the_two_factor_page(staff):
    b = Browser()
    b.force_login(staff)
    assert f'href="{TWO_FACTOR}" id="two-factor-link"' in b.get("/admin/").content.decode()


def test_deploy_check_warns_when_two_factor_is_not_required(settings):
    from moorage.core.logins import sign_in_deploy_checks

    settings.MOORAGE_STAFF_2FA_REQUIRED = False
    assert "moorage.W021" in {w.id for w in sign_in_deploy_checks(None)}
    settings.MOORAGE_STAFF_2FA_REQUIRED = True
    assert "moorage.W021" not in {w.id for w in sign_in_deploy_checks(None)}


def test_the_device_admin_lists_devices_without_their_secrets(frozen, staff):
    codes = enrol(staff, frozen)
    device = app_of(staff)
    admin_browser = Browser()
    admin_browser.force_login(factories.staff_user(email="boss@example.com"))  # superuser, no device
    pages = [
        admin_browser.get(reverse("admin:otp_totp_totpdevice_changelist")),
        admin_browser.get(reverse("admin:otp_totp_totpdevice_change", args=[device.pk])),
        admin_browser.get(reverse("admin:otp_static_staticdevice_changelist")),
    ]
    html = "".join(page.content.decode() for page in pages)
    assert all(page.status_code == 200 for page in pages)
    assert staff.email in html
    assert device.key not in html and "otpauth://" not in html
    assert not any(code in html for code in codes)

    response = admin_browser.post(reverse("admin:otp_totp_totpdevice_delete", args=[device.pk]), {"post": "yes"})
    assert response.status_code == 302 and not TOTPDevice.objects.filter(pk=device.pk).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks and real concurrency need PostgreSQL")
def test_one_code_sent_twice_at_once_is_accepted_once(frozen):
    staff = factories.staff_user()
    codes = enrol(staff, frozen)
    totp_code = code_for(app_of(staff))

    for code in (codes[0], totp_code):
        results = race(*[lambda code=code: two_factor.verify_code(staff, code)] * 2)
        assert not [r for r in results if isinstance(r, Exception)], results
        assert sorted(r is not None for r in results) == [False, True], code
