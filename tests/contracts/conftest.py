"""Contract fixtures: hosting terms with a published version, linked to Starter Hosting."""

from __future__ import annotations

import pytest

from moorage.contracts.actions import contract_version_add
from moorage.contracts.models import ContractTemplate, ProductContract


@pytest.fixture
def hosting_terms(db, now):  # noqa: ANN001, ANN201
    template = ContractTemplate.objects.create(name="Hosting terms", code="hosting-terms", created_at=now)
    contract_version_add(template_id=template.pk, text="Be nice.\nNo spam.", publish=True, now=now, actor=None)
    return template


@pytest.fixture
def starter_with_terms(starter, hosting_terms):  # noqa: ANN001, ANN201
    ProductContract.objects.create(product=starter, template=hosting_terms)
    return starter


@pytest.fixture
def site_terms(db, now):  # noqa: ANN001, ANN201
    template = ContractTemplate.objects.create(name="Terms of Service", code="tos", terms=True, created_at=now)
    contract_version_add(template_id=template.pk, text="The rules.", publish=True, now=now, actor=None)
    return template


@pytest.fixture
def test_clock(settings):  # noqa: ANN001, ANN201
    """Views take "now" from the clock; fix it at the suite's moment."""
    settings.MOORAGE_CLOCK_DATE = "2026-01-15"


@pytest.fixture
def signed_in(client, client_account, test_clock):  # noqa: ANN001, ANN201
    client.force_login(client_account.user)
    return client


@pytest.fixture
def captcha_on(settings, monkeypatch):  # noqa: ANN001, ANN201
    """MOORAGE_CAPTCHA on, with the package's test mode (the answer "PASSED" is always right)."""
    settings.MOORAGE_CAPTCHA = True
    monkeypatch.setattr("captcha.conf.settings.CAPTCHA_TEST_MODE", True)
