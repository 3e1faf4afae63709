"""Staff sessions are shorter than clients' (MOORAGE_STAFF_SESSION_AGE)."""

from __future__ import annotations

from django.test import Client

from tests.factories import PASSWORD


def test_a_staff_login_gets_the_shorter_session(settings, staff):
    settings.MOORAGE_STAFF_SESSION_AGE = 900
    browser = Client()
    response = browser.post("/admin/login/?next=/admin/", {"username": staff.email, "password": PASSWORD})
    assert response.status_code == 302
    assert browser.session.get_expiry_age() == 900
    assert response.cookies["sessionid"]["max-age"] == 900
    assert response.cookies["sessionid"]["httponly"]


def test_a_client_keeps_the_ordinary_session(settings, client_account):
    settings.MOORAGE_STAFF_SESSION_AGE = 900
    browser = Client()
    response = browser.post("/login/", {"email": client_account.user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert browser.session.get_expiry_age() == settings.SESSION_COOKIE_AGE
    assert browser.get("/").status_code == 200
