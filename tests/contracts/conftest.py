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
