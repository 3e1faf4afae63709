"""Sign-in throttling (django-axes): per account and per IP address, on the client area's and the
staff area's sign-in, with a clear 429 page, an audit entry, a cool-off and a staff unlock."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client as Browser
from django.urls import reverse

from moorage.core.models import AuditEntry
from tests import factories
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = reverse("clientarea:login")
ADMIN_LOGIN = reverse("admin:login")
LIMIT = 3
MOMENT = dt.datetime(2026, 1, 15, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _throttling(settings):  # noqa: ANN001, ANN202
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = LIMIT
    settings.AXES_COOLOFF_TIME = dt.timedelta(minutes=15)
    settings.MOORAGE_TRUST_X_FORWARDED_FOR = False


@pytest.fixture
def other_client(db, now):  # noqa: ANN001, ANN201
    return factories.client(now=now, email="other@example.com", first_name="Otto")


@pytest.fixture
def frozen():  # noqa: ANN201
    """Axes stamps attempts with the real clock: hold it still, and move it by hand."""
    with time_machine.travel(MOMENT, tick=False) as traveller:
        yield traveller


def browser(ip: str = "203.0.113.10", **extra: str) -> Browser:
    return Browser(REMOTE_ADDR=ip, **extra)


def client_login(b: Browser, email: str, password: str):  # noqa: ANN201
    return b.post(LOGIN, {"email": email, "password": password})


def signed_in(b: Browser) -> bool:
    return "_auth_user_id" in b.session


def test_client_account_locks_after_the_limit_with_a_clear_429(frozen, client_account):
    b = browser()
    for _ in range(LIMIT - 1):
        response = client_login(b, client_account.email, "wrong-password-1")
        assert response.status_code == 200
        assert "email address or password is not correct" in response.content.decode()

    response = client_login(b, client_account.email, "wrong-password-1")

    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many failed sign-in attempts" in page and "15 minutes" in page
    assert 'name="email"' in page  # the sign-in page itself, not a bare error text
    # The right password does not get through while the lock lasts, from any address.
    for other in (b, browser("198.51.100.7")):
        response = client_login(other, client_account.email, PASSWORD)
        assert response.status_code == 429 and not signed_in(other)


def test_a_lockout_is_audited_and_logged_once(frozen, client_account, caplog):
    b = browser()
    for _ in range(LIMIT + 3):
        client_login(b, client_account.email, "wrong-password-1")

    entries = AuditEntry.objects.filter(action="login_locked_out")
    assert entries.count() == 1
    entry = entries.get()
    assert entry.object_id == str(client_account.user.pk)
    assert entry.data["ip_address"] == "203.0.113.10" and entry.data["username"] == client_account.email
    assert any("Sign-in locked" in r.getMessage() and r.name == "moorage.logins" for r in caplog.records)


def test_one_address_trying_many_accounts_is_locked(frozen, client_account, other_client):
    b = browser()
    for n in range(LIMIT):
        client_login(b, f"nobody{n}@example.com", "wrong-password-1")

    # Locked for every account from this address, even with the right password ...
    response = client_login(b, other_client.email, PASSWORD)
    assert response.status_code == 429 and not signed_in(b)
    # ... but the accounts themselves are not locked elsewhere.
    elsewhere = browser("198.51.100.7")
    assert client_login(elsewhere, other_client.email, PASSWORD).status_code == 302


def test_many_addresses_trying_one_account_lock_it(frozen, client_account):
    for n in range(LIMIT):
        client_login(browser(f"198.51.100.{n + 1}"), client_account.email.upper(), "wrong-password-1")

    fresh = browser("192.0.2.200")
    assert client_login(fresh, client_account.email, PASSWORD).status_code == 429
    assert not signed_in(fresh)


def test_a_successful_sign_in_clears_the_accounts_failures(frozen, client_account):
    b = browser()
    for _ in range(LIMIT - 1):
        client_login(b, client_account.email, "wrong-password-1")
    assert client_login(b, client_account.email, PASSWORD).status_code == 302
    b.post(reverse("clientarea:logout"))

    for _ in range(LIMIT - 1):
        assert client_login(b, client_account.email, "wrong-password-1").status_code == 200
    assert client_login(b, client_account.email, PASSWORD).status_code == 302


def test_signing_in_to_ones_own_account_does_not_clear_the_addresss_count(frozen, client_account, other_client):
    """An attacker with an account of their own cannot reset their address's count by using it."""
    attacker = browser()
    for n in range(LIMIT - 1):
        client_login(attacker, f"victim{n}@example.com", "guess-guess-1")
    assert client_login(attacker, other_client.email, PASSWORD).status_code == 302
    attacker.post(reverse("clientarea:logout"))

    response = client_login(attacker, "victim9@example.com", "guess-guess-1")

    assert response.status_code == 429


def test_the_lock_ends_after_the_cool_off(frozen, client_account):
    b = browser()
    for _ in range(LIMIT):
        client_login(b, client_account.email, "wrong-password-1")
    frozen.shift(dt.timedelta(minutes=14))
    assert client_login(b, client_account.email, PASSWORD).status_code == 429  # and the wait starts again

    frozen.shift(dt.timedelta(minutes=16))

    assert client_login(b, client_account.email, PASSWORD).status_code == 302


def test_a_forged_forwarded_for_header_does_not_change_the_address(frozen, client_account):
    for n in range(LIMIT):
        b = browser(HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")
        client_login(b, f"nobody{n}@example.com", "wrong-password-1")

    b = browser(HTTP_X_FORWARDED_FOR="10.9.9.9")
    assert client_login(b, client_account.email, PASSWORD).status_code == 429


def test_behind_the_proxy_the_address_it_appended_counts(frozen, settings, client_account):
    settings.MOORAGE_TRUST_X_FORWARDED_FOR = True
    for n in range(LIMIT):
        # The client forges the left entry; the proxy (REMOTE_ADDR) appends the real one.
        b = browser("127.0.0.1", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}, 203.0.113.66")
        client_login(b, f"nobody{n}@example.com", "wrong-password-1")

    blocked = browser("127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.66")
    assert client_login(blocked, client_account.email, PASSWORD).status_code == 429
    other = browser("127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.67")
    assert client_login(other, client_account.email, PASSWORD).status_code == 302


def test_staff_can_unlock_with_the_command(frozen, client_account):
    b = browser()
    for _ in range(LIMIT):
        client_login(b, client_account.email, "wrong-password-1")
    call_command("axes_reset_username", client_account.email)
    call_command("axes_reset_ip", "203.0.113.10")

    assert client_login(b, client_account.email, PASSWORD).status_code == 302


# --- the staff area ------------------------------------------------------------------------------


def admin_login(b: Browser, email: str, password: str, code: str = ""):  # noqa: ANN201
    return b.post(ADMIN_LOGIN, {"username": email, "password": password, "otp_token": code, "next": "/admin/"})


def test_staff_sign_in_locks_with_a_clear_message(frozen, staff):
    b = browser()
    for _ in range(LIMIT - 1):
        response = admin_login(b, staff.email, "wrong-password-1")
        assert response.status_code == 200
        assert "Please enter the correct email address and password" in response.content.decode()

    response = admin_login(b, staff.email, "wrong-password-1")

    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many failed sign-in attempts" in page and "ask an administrator to unlock it" in page
    assert 'id="login-form"' in page
    assert AuditEntry.objects.filter(action="login_locked_out", object_id=str(staff.pk)).count() == 1
    response = admin_login(browser("198.51.100.7"), staff.email, PASSWORD)
    assert response.status_code == 429


def test_staff_failures_per_address_across_accounts(frozen, staff):
    b = browser()
    for n in range(LIMIT):
        admin_login(b, f"admin{n}@example.com", "wrong-password-1")
    assert admin_login(b, staff.email, PASSWORD).status_code == 429
    assert admin_login(browser("198.51.100.7"), staff.email, PASSWORD).status_code == 302


def test_staff_success_clears_the_count_and_case_does_not_matter(frozen, staff):
    b = browser()
    for _ in range(LIMIT - 1):
        admin_login(b, staff.email.upper(), "wrong-password-1")
    response = admin_login(b, staff.email.upper(), PASSWORD)
    assert response.status_code == 302 and b.get("/admin/").status_code == 200
    b.post(reverse("admin:logout"))
    for _ in range(LIMIT - 1):
        admin_login(b, staff.email, "wrong-password-1")
    assert admin_login(b, staff.email, PASSWORD).status_code == 302


def test_a_page_that_authenticates_outside_our_forms_gets_a_plain_429(rf, settings):
    from moorage.core.logins import lockout_response

    response = lockout_response(rf.get("/somewhere/"), None, None)
    assert response.status_code == 429 and b"Too many failed sign-in attempts" in response.content


def test_deploy_check_warns_when_throttling_is_off(settings):
    from moorage.core.logins import sign_in_deploy_checks

    settings.AXES_ENABLED = False
    assert "moorage.W020" in {w.id for w in sign_in_deploy_checks(None)}


def test_a_clients_password_on_the_staff_sign_in_counts_as_a_failure(frozen, client_account):
    b = browser()
    for _ in range(LIMIT - 1):
        response = admin_login(b, client_account.email, PASSWORD)
        assert response.status_code == 200 and "Please enter the correct email address" in response.content.decode()
    assert admin_login(b, client_account.email, PASSWORD).status_code == 429
