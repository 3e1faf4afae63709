"""Client password reset: an emailed link that works once and expires, the same answer for every
address, never for staff, rate limited, and a reset that lifts a sign-in lockout."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.core.cache import cache
from django.test import Client as Browser
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from moorage.core.models import AuditEntry
from moorage.customers.models import Client
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

RESET = reverse("clientarea:password_reset")
SENT = reverse("clientarea:password_reset_done")
LOGIN = reverse("clientarea:login")
NEW_PASSWORD = "N3w-Harbour-Lights"
MOMENT = dt.datetime(2026, 1, 15, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _setup(settings):  # noqa: ANN001, ANN202
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PASSWORD_RESET_TIMEOUT = 3600
    settings.MOORAGE_PASSWORD_RESET_LIMIT = 5
    settings.MOORAGE_SITE_URL = ""
    cache.clear()
    yield
    cache.clear()


def link_in(message) -> str:  # noqa: ANN001
    return re.search(r"https?://\S+", message.body).group(0)


def path_of(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def ask(b: Browser, email: str):  # noqa: ANN201
    return b.post(RESET, {"email": email})


def choose(b: Browser, url: str, password: str = NEW_PASSWORD):  # noqa: ANN201
    """Follow the emailed link and set a password; returns the last response."""
    response = b.get(path_of(url))
    if response.status_code != 302:
        return response
    return b.post(response["Location"], {"new_password1": password, "new_password2": password})


def can_sign_in(email: str, password: str) -> bool:
    return Browser().post(LOGIN, {"email": email, "password": password}).status_code == 302


def test_login_page_links_to_the_reset(client):
    assert RESET in client.get(LOGIN).content.decode()


def test_reset_end_to_end(client, client_account):
    response = ask(client, client_account.email.upper())

    assert response.status_code == 302 and response["Location"] == SENT
    assert "expires after 60 minutes" in client.get(SENT).content.decode()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [client_account.email]
    assert "Moorage Hosting" in message.subject
    url = link_in(message)
    assert url.startswith("http://testserver/password-reset/")

    form_page = client.get(client.get(path_of(url))["Location"])
    assert form_page.status_code == 200 and 'name="new_password1"' in form_page.content.decode()
    response = choose(client, url)

    assert response.status_code == 302 and response["Location"] == reverse("clientarea:password_reset_complete")
    assert can_sign_in(client_account.email, NEW_PASSWORD)
    assert not can_sign_in(client_account.email, PASSWORD)
    assert AuditEntry.objects.filter(action="client_set_password", object_id=str(client_account.pk)).count() == 1
    assert "_auth_user_id" not in client.session  # no sign-in by the link itself


def test_the_link_works_once(client, client_account):
    ask(client, client_account.email)
    url = link_in(mail.outbox[0])
    choose(client, url)

    again = Browser()
    response = choose(again, url, "An0ther-Password-x")

    assert response.status_code == 200 and 'id="invalid-link"' in response.content.decode()
    assert can_sign_in(client_account.email, NEW_PASSWORD)


def test_the_link_expires(client, client_account):
    with time_machine.travel(MOMENT, tick=False) as traveller:
        ask(client, client_account.email)
        url = link_in(mail.outbox[0])
        traveller.shift(dt.timedelta(seconds=3601))

        response = choose(Browser(), url)

    assert 'id="invalid-link"' in response.content.decode()
    assert can_sign_in(client_account.email, PASSWORD)


def test_a_tampered_link_does_not_work(client, client_account):
    ask(client, client_account.email)
    url = link_in(mail.outbox[0])
    response = choose(Browser(), url[:-3] + ("aaa" if not url.endswith("aaa/") else "bbb") + "/")
    assert 'id="invalid-link"' in response.content.decode()


def test_unknown_staff_and_closed_addresses_look_the_same_and_get_nothing(client, client_account, staff, now):
    from tests import factories

    closed = factories.client(now=now, email="closed@example.com")
    Client.objects.filter(pk=closed.pk).update(status=Client.Status.CLOSED)
    known = ask(client, client_account.email)
    mail.outbox.clear()

    for email in ("nobody@example.com", staff.email, closed.email):
        response = ask(Browser(), email)
        assert (response.status_code, response["Location"]) == (known.status_code, known["Location"])
    assert mail.outbox == []


def test_a_staff_account_cannot_be_reset_with_a_link_made_for_it(client, staff):
    """Even a valid token for a staff login is refused by the client flow."""
    uid = urlsafe_base64_encode(force_bytes(staff.pk))
    token = default_token_generator.make_token(staff)
    url = reverse("clientarea:password_reset_confirm", args=[uid, token])

    response = choose(client, url)

    assert 'id="invalid-link"' in response.content.decode()
    staff.refresh_from_db()
    assert staff.check_password(PASSWORD)


def test_requests_are_limited_per_address(settings, client_account):
    settings.MOORAGE_PASSWORD_RESET_LIMIT = 2
    b = Browser(REMOTE_ADDR="203.0.113.5")
    ask(b, "a@example.com")
    ask(b, "b@example.com")

    response = ask(b, client_account.email)

    assert response.status_code == 429
    assert "Too many password reset requests" in response.content.decode()
    assert mail.outbox == []
    assert ask(Browser(REMOTE_ADDR="203.0.113.6"), client_account.email).status_code == 302


def test_emails_are_limited_per_address_without_telling(settings, client_account):
    settings.MOORAGE_PASSWORD_RESET_LIMIT = 2
    responses = [ask(Browser(REMOTE_ADDR=f"198.51.100.{n}"), client_account.email) for n in range(4)]

    assert {(r.status_code, r["Location"]) for r in responses} == {(302, SENT)}
    assert len(mail.outbox) == 2


def test_links_use_the_configured_site_address(settings, client, client_account):
    settings.MOORAGE_SITE_URL = "https://billing.example.com"
    client.post(RESET, {"email": client_account.email}, HTTP_HOST="127.0.0.1")
    assert link_in(mail.outbox[0]).startswith("https://billing.example.com/password-reset/")


def test_a_reset_signs_out_other_sessions(client, client_account):
    elsewhere = Browser()
    elsewhere.force_login(client_account.user)
    assert elsewhere.get(reverse("clientarea:dashboard")).status_code == 200

    ask(client, client_account.email)
    choose(client, link_in(mail.outbox[0]))

    assert elsewhere.get(reverse("clientarea:dashboard")).status_code == 302


def test_a_reset_lifts_a_sign_in_lockout(settings, client, client_account):
    settings.AXES_FAILURE_LIMIT = 2
    for _ in range(2):
        Browser(REMOTE_ADDR="198.51.100.9").post(LOGIN, {"email": client_account.email, "password": "nope-nope-1"})
    assert Browser().post(LOGIN, {"email": client_account.email, "password": PASSWORD}).status_code == 429

    ask(client, client_account.email)
    choose(client, link_in(mail.outbox[0]))

    assert can_sign_in(client_account.email, NEW_PASSWORD)


def test_the_new_password_is_checked(client, client_account):
    ask(client, client_account.email)
    response = choose(client, link_in(mail.outbox[0]), "password")
    assert response.status_code == 200
    assert response.context["form"].errors
    assert can_sign_in(client_account.email, PASSWORD)


def test_staff_reading_the_emails_never_see_the_reset_link(client, client_account, admin_client):
    # The link signs its holder in as the client: the staff area shows that the email went out,
    # never its body (the client reads it in their own mailbox and Emails page).
    from moorage.notifications.models import Notification

    ask(client, client_account.email)
    url = link_in(mail.outbox[0])
    row = Notification.objects.get(template="password_reset")
    assert path_of(url) in row.body  # the client's own Emails page shows it
    page = admin_client.get(reverse("admin:notifications_notification_change", args=[row.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Hidden: it carries a single-use sign-in link" in html
    assert path_of(url) not in html and path_of(url).split("/")[-2] not in html
