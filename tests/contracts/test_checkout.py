"""Contracts at checkout and registration: required versions, refusals, the acceptance records."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from moorage.catalog.transfer import SECTIONS
from moorage.contracts import checkout as contracts
from moorage.contracts.actions import (
    clean_ip,
    contract_version_add,
    contract_version_update,
    terms_accept,
    terms_required,
)
from moorage.contracts.models import Acceptance, ContractTemplate, ProductContract
from moorage.core.errors import DomainError
from moorage.orders.actions import CartItem, order_checkout
from tests import factories

pytestmark = pytest.mark.django_db


def order(client, product, *, now, accept, ip="203.0.113.7", hostname="example.com"):  # noqa: ANN001, ANN201
    return order_checkout(
        client=client,
        items=[CartItem(product.pk, "monthly", hostname)],
        now=now,
        ip_address=ip,
        accept_contracts=accept,
    )


def test_checkout_without_accepting_is_refused_naming_the_contract(client_account, starter_with_terms, now, unchanged):
    with unchanged(), pytest.raises(DomainError) as caught:
        order(client_account, starter_with_terms, now=now, accept=False)
    assert (caught.value.field, caught.value.code) == ("accept_contracts", "contract_not_accepted")
    assert "Hosting terms" in caught.value.message
    assert not Acceptance.objects.exists()


def test_the_acceptance_is_stored_with_the_exact_version_time_ip_and_order(
    client_account, starter_with_terms, hosting_terms, now
):
    placed = order(client_account, starter_with_terms, now=now, accept=True)
    row = Acceptance.objects.get()
    assert (row.client, row.version.number, row.version.template, row.kind) == (
        client_account,
        1,
        hosting_terms,
        "contract",
    )
    assert (row.accepted_at, row.ip_address, row.order_id) == (now, "203.0.113.7", placed.pk)


def test_a_new_version_is_what_the_next_order_accepts_and_the_old_record_stays(
    client_account, starter_with_terms, hosting_terms, now
):
    order(client_account, starter_with_terms, now=now, accept=True, hostname="a.example")
    later = now + dt.timedelta(days=3)
    contract_version_add(template_id=hosting_terms.pk, text="Be nicer.", publish=True, now=later, actor=None)
    contract_version_add(template_id=hosting_terms.pk, text="A draft.", publish=False, now=later, actor=None)
    order(client_account, starter_with_terms, now=later, accept=True, hostname="b.example")
    assert [(a.version.number, a.version.text) for a in Acceptance.objects.order_by("id")] == [
        (1, "Be nice.\nNo spam."),
        (2, "Be nicer."),
    ]


def test_an_accepted_version_cannot_change(client_account, starter_with_terms, hosting_terms, now):
    order(client_account, starter_with_terms, now=now, accept=True)
    version = hosting_terms.versions.get()
    with pytest.raises(DomainError) as caught:
        contract_version_update(version_id=version.pk, text="Other words", publish=True, now=now, actor=None)
    assert caught.value.code == "version_accepted"
    version.refresh_from_db()
    assert version.text == "Be nice.\nNo spam."


def test_a_version_nobody_accepted_may_be_corrected(hosting_terms, now):
    version = hosting_terms.versions.get()
    contract_version_update(version_id=version.pk, text="Fixed typo", publish=True, now=now, actor=None)
    version.refresh_from_db()
    assert version.text == "Fixed typo" and version.published_at == now


@pytest.mark.parametrize("text", ["", "   ", "bad\x00text", "x" * 200_001])
def test_hostile_texts_are_refused(hosting_terms, now, text):
    with pytest.raises(DomainError):
        contract_version_add(template_id=hosting_terms.pk, text=text, publish=True, now=now, actor=None)
    assert hosting_terms.versions.count() == 1


def test_products_without_a_contract_or_with_only_a_draft_need_no_acceptance(client_account, starter, now):
    template = ContractTemplate.objects.create(name="Draft terms", code="draft", created_at=now)
    contract_version_add(template_id=template.pk, text="Not yet.", publish=False, now=now, actor=None)
    ProductContract.objects.create(product=starter, template=template)
    assert contracts.required([starter]) == []
    order(client_account, starter, now=now, accept=False)
    assert not Acceptance.objects.exists()


def test_two_products_with_the_same_contract_need_one_acceptance(
    client_account, shared_page, starter_with_terms, hosting_terms, now
):
    other = factories.product(shared_page, name="Other")
    ProductContract.objects.create(product=other, template=hosting_terms)
    placed = order_checkout(
        client=client_account,
        items=[CartItem(starter_with_terms.pk, "monthly", "a.example"), CartItem(other.pk, "monthly", "b.example")],
        now=now,
        accept_contracts=True,
    )
    assert list(Acceptance.objects.values_list("order_id", flat=True)) == [placed.pk]


def test_a_junk_address_is_stored_as_unknown(client_account, starter_with_terms, now):
    contracts.record(
        client=client_account, products=[starter_with_terms], accepted=True, order_id=7, ip_address="not-an-ip", now=now
    )
    assert Acceptance.objects.get().ip_address is None
    assert clean_ip(" 2001:db8::1 ") == "2001:db8::1" and clean_ip("") is None and clean_ip(None) is None


def test_terms_acceptance_is_stored_once_per_version(client_account, site_terms, now):
    versions = terms_required()
    assert [v.template for v in versions] == [site_terms]
    ids = [v.pk for v in versions]
    terms_accept(client_id=client_account.pk, version_ids=ids, ip_address="::1", now=now)
    terms_accept(client_id=client_account.pk, version_ids=ids, ip_address="::1", now=now)
    row = Acceptance.objects.get()
    assert (row.kind, row.order_id, row.ip_address, row.version.template) == ("terms", None, "::1", site_terms)


def test_terms_acceptance_refuses_versions_that_are_not_terms(client_account, hosting_terms, now):
    with pytest.raises(DomainError):
        terms_accept(
            client_id=client_account.pk, version_ids=[hosting_terms.versions.get().pk], ip_address=None, now=now
        )
    assert not Acceptance.objects.exists()


def test_product_export_names_the_contract_template_by_code(starter_with_terms, hosting_terms, shared_page):
    section = SECTIONS["contract"]
    exported = section.export(starter_with_terms)
    assert exported == "hosting-terms"
    assert json.loads(json.dumps(exported)) == exported
    copy = factories.product(shared_page, name="Copy")
    section.apply(copy, section.parse(exported, "product.contract"))
    assert copy.contract.template == hosting_terms
    section.apply(copy, section.parse(None, "product.contract"))
    assert not ProductContract.objects.filter(product=copy).exists()
    for bad in ["missing-code", 12, ["x"], "x" * 100]:
        with pytest.raises(DomainError) as caught:
            section.parse(bad, "product.contract")
        assert caught.value.field == "product.contract"
