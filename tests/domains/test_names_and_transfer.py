"""Pure name rules (split under a TLD, subdomain labels, hostname patterns), the product export/import
section "domain_options", and the staff TLD form that never shows a secret back."""

from __future__ import annotations

import pytest

from moorage.catalog.transfer import SECTIONS
from moorage.core.errors import DomainError
from moorage.domains import names
from moorage.domains.admin import KEEP, TldForm
from moorage.domains.models import ProductDomainOptions, Tld


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Example.COM", ("example", "com")),
        ("shop.co.uk", ("shop", "co.uk")),
        ("пример.com", ("xn--e1afmkfd", "com")),
    ],
)
def test_split_under_the_longest_tld(name, expected):  # noqa: ANN001
    assert names.split(name, ["com", "uk", "co.uk"]) == expected


@pytest.mark.parametrize("name", ["a.b.com", "x.org", "-bad.com", "", "a..com", "a b.com"])
def test_split_refuses(name):  # noqa: ANN001
    with pytest.raises(names.DomainNameError):
        names.split(name, ["com"])


def test_pattern_placeholders():
    made = names.render_pattern(
        "{client_id}-{service_id}-{random}.{product_code}.example.net",
        client_id=42,
        service_id=7,
        product_code="Big Plan!",
        random="ab12cd34",
    )
    assert made == "42-7-ab12cd34.big-plan.example.net"
    assert len(names.random_part()) == 8 and names.random_part().isalnum()
    for bad in ["{nope}.example.net", "{client_id.example.net", "{random}_x.example.net", "{client_id}..net"]:
        with pytest.raises(names.DomainNameError):
            names.render_pattern(bad, client_id=1, service_id=1, product_code="p", random="r")


@pytest.mark.django_db
def test_domain_options_export_and_import(shared_page, com, net):
    from tests import factories

    source = factories.product(shared_page, name="A")
    options = ProductDomainOptions.objects.create(
        product=source,
        enabled=True,
        offer_subdomain=True,
        subdomain_parents="sites.test\nexample-hosting.net",
        auto_hostname=True,
        hostname_pattern="{random}.sites.test",
    )
    options.tlds.set([net])
    section = SECTIONS["domain_options"]
    exported = section.export(source)
    assert exported["tlds"] == ["net"] and exported["subdomain_parents"] == ["sites.test", "example-hosting.net"]

    target = factories.product(shared_page, name="B")
    section.apply(target, section.parse(exported, "product.domain_options"))
    copied = ProductDomainOptions.objects.get(product=target)
    assert (copied.enabled, copied.parents, copied.hostname_pattern) == (
        True,
        ["sites.test", "example-hosting.net"],
        "{random}.sites.test",
    )
    assert list(copied.tlds.values_list("name", flat=True)) == ["net"]
    assert section.export(factories.product(shared_page, name="C")) is None

    for bad, path in [
        ({**exported, "tlds": ["nosuch"]}, "product.domain_options.tlds"),
        ({**exported, "enabled": "yes"}, "product.domain_options.enabled"),
        ({**exported, "hostname_pattern": "{evil}"}, "product.domain_options.hostname_pattern"),
        ({**exported, "extra": 1}, "product.domain_options.extra"),
        ([], "product.domain_options"),
    ]:
        with pytest.raises(DomainError) as err:
            section.parse(bad, "product.domain_options")
        assert err.value.field == path


@pytest.mark.django_db
def test_tld_form_keeps_secrets_write_only(com):
    form = TldForm(instance=com)
    shown = form.fields["registrar_settings"].initial
    assert '"pw"' not in shown and KEEP in shown and "epp.test" in shown

    data = {
        "name": ".COM",
        "registrar": "fake",
        "register_price": "12.00",
        "transfer_price": "10.00",
        "renew_price": "14.00",
        "min_years": 1,
        "max_years": 5,
        "visible": "on",
        # (a changed host would need the password typed again: tests/security/test_components_domains.py)
        "registrar_settings": shown.replace("ns1.reg.test", "ns1.other.test"),
    }
    form = TldForm(data, instance=com)
    assert form.is_valid(), form.errors
    form.save()
    com.refresh_from_db()
    assert com.name == "com"
    assert com.get_settings()["password"] == "pw" and com.get_settings()["nameservers"][0] == "ns1.other.test"
    assert "pw" not in com.registrar_settings_encrypted

    assert not TldForm({**data, "registrar_settings": "[1]"}, instance=com).is_valid()
    assert not TldForm({**data, "registrar_settings": "{bad"}, instance=com).is_valid()
    assert Tld.objects.count() == 1


@pytest.mark.django_db
def test_staff_pages_render(client, staff, com, client_account, now, hosting):
    from moorage.domains.models import Domain

    client.force_login(staff)
    domain = Domain.objects.create(client=client_account, name="x.com", tld=com, created_at=now)
    for url in [
        "/admin/domains/tld/",
        f"/admin/domains/tld/{com.pk}/change/",
        "/admin/domains/domain/",
        f"/admin/domains/domain/{domain.pk}/change/",
        "/admin/domains/domainjob/",
        f"/admin/catalog/product/{hosting.pk}/change/",
    ]:
        assert client.get(url).status_code == 200, url


@pytest.mark.django_db
def test_staff_retry_a_failed_job_from_the_admin(client, staff, com, client_account, registry, now):
    from moorage.domains.actions import domain_order
    from moorage.domains.jobs import run_job
    from moorage.domains.models import DomainJob
    from tests import factories

    registry.taken.add("late.com")
    domain = domain_order(client=client_account, action="register", name="late.com", years="1", now=now)
    invoice = domain.invoices.get().invoice
    factories.pay(invoice, str(invoice.total), transaction_id="T-late", now=now)
    job = run_job(None, now=now)
    assert job.status == "failed"

    registry.taken.clear()
    client.force_login(staff)
    response = client.post("/admin/domains/domainjob/", {"action": "retry", "_selected_action": [job.pk]})
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == "queued"
    domain.refresh_from_db()
    assert domain.status == "pending"
    assert DomainJob.objects.count() == 1
