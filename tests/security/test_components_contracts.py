"""Attacks on contracts and terms: acceptance of a text the client never saw, hostile contract text."""

from __future__ import annotations

import pytest

from moorage.contracts.actions import contract_version_add, contract_version_update
from moorage.contracts.models import Acceptance
from moorage.customers.models import Client
from tests.contracts.conftest import site_terms, test_clock  # noqa: F401  (fixtures)
from tests.contracts.test_pages import REGISTER, hidden, registration

pytestmark = pytest.mark.django_db


def test_terms_corrected_in_place_while_the_page_was_open_are_shown_again(client, site_terms, now, test_clock):  # noqa: F811
    """A published version nobody accepted yet may be corrected in place (same id). The client who
    read the old words must not be recorded as accepting the new ones."""
    shown = hidden(client.get(REGISTER).content.decode(), "accept_terms_versions")
    version = site_terms.versions.get()
    contract_version_update(version_id=version.pk, text="Sell us your soul.", publish=True, now=now, actor=None)
    response = client.post(REGISTER, registration(accept_terms="on", accept_terms_versions=shown))
    page = response.content.decode()
    assert response.status_code == 200 and "The terms have changed" in page and "Sell us your soul." in page
    assert not Client.objects.exists() and not Acceptance.objects.exists()
    again = client.post(
        REGISTER, registration(accept_terms="on", accept_terms_versions=hidden(page, "accept_terms_versions"))
    )
    assert again.status_code == 302
    assert Acceptance.objects.get().version.text == "Sell us your soul."


def test_forged_versions_field_and_missing_checkbox_are_refused(client, site_terms, test_clock):  # noqa: F811
    for data in (
        registration(),  # no checkbox, no versions: the terms are not bypassed by leaving the fields out
        registration(accept_terms="on"),  # the checkbox without the versions the page showed
        registration(accept_terms="on", accept_terms_versions=str(site_terms.versions.get().pk)),  # guessed
        registration(accept_terms="on", accept_terms_versions="x" * 5000),
    ):
        response = client.post(REGISTER, data)
        assert response.status_code == 200
    assert not Client.objects.exists() and not Acceptance.objects.exists()


def test_contract_text_is_escaped_on_the_registration_page(client, site_terms, now, test_clock):  # noqa: F811
    contract_version_add(
        template_id=site_terms.pk,
        text='<script>alert(1)</script><img src=x onerror="x()">',
        publish=True,
        now=now,
        actor=None,
    )
    page = client.get(REGISTER).content.decode()
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
