"""Attacks on the domain component: name-server values and the TLD's registrar secrets."""

from __future__ import annotations

import json

import pytest

from moorage.core.errors import DomainError
from moorage.domains.actions import clean_nameservers
from moorage.domains.admin import KEEP, TldForm
from tests.domains.conftest import com, hosting, registry  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db


def test_the_same_name_server_twice_is_not_two_name_servers():
    with pytest.raises(DomainError) as err:
        clean_nameservers("ns1.example.com NS1.example.com")
    assert err.value.code == "invalid_ns"
    assert clean_nameservers("ns1.example.com ns2.example.com") == ["ns1.example.com", "ns2.example.com"]


def _post(tld, settings_json):  # noqa: ANN001, ANN202
    data = {
        "name": tld.name,
        "registrar": tld.registrar,
        "register_price": "12.00",
        "transfer_price": "10.00",
        "renew_price": "14.00",
        "min_years": 1,
        "max_years": 5,
        "visible": "on",
        "registrar_settings": settings_json,
    }
    return TldForm(data, instance=tld)


def test_tld_form_never_renders_the_registrar_password(registry, com):  # noqa: F811
    form = TldForm(instance=com)
    assert "pw" not in str(form["registrar_settings"])
    assert json.loads(form.fields["registrar_settings"].initial)["password"] == KEEP


def test_moving_the_registry_host_keeps_no_stored_password(registry, com):  # noqa: F811
    """A staff user may change the host while the password stays "(unchanged)": the stored password
    would then be sent to the new (attacker's) server on the next check. The password must be typed
    again when the server changes."""
    form = _post(com, json.dumps({"host": "evil.example", "password": KEEP, "nameservers": ["ns1.reg.test"]}))
    assert not form.is_valid()
    assert "registrar_settings" in form.errors
    com.refresh_from_db()
    assert com.get_settings()["host"] == "epp.test"

    retyped = _post(com, json.dumps({"host": "new.example", "password": "fresh", "nameservers": []}))
    assert retyped.is_valid(), retyped.errors
    retyped.save()
    com.refresh_from_db()
    assert com.get_settings()["password"] == "fresh"

    same_host = _post(com, json.dumps({"host": "new.example", "password": KEEP, "nameservers": []}))
    assert same_host.is_valid(), same_host.errors
    same_host.save()
    com.refresh_from_db()
    assert com.get_settings()["password"] == "fresh"


# --- "own domain" used to take what the other choices refuse ------------------------------------------


def _order(client, product, domain, now):  # noqa: ANN001, ANN202
    from moorage.orders.actions import order_checkout
    from moorage.services.components import CartItem, as_pairs

    return order_checkout(client=client, items=[CartItem(product.pk, "annually", "", domain=as_pairs(domain))], now=now)


def test_own_domain_cannot_take_a_subdomain_of_the_providers_parent(client_account, hosting, registry, now):  # noqa: F811
    from tests import factories

    victim = factories.client(now=now)
    _order(victim, hosting, {"action": "subdomain", "name": "anna", "parent": "sites.test"}, now)
    for name in ("anna.sites.test", "ANNA.Sites.Test", "other.sites.test", "sites.test", "x.y.example-hosting.net"):
        with pytest.raises(DomainError) as err:
            _order(client_account, hosting, {"action": "own", "name": name}, now)
        assert err.value.code == "own_is_provider_domain", name
    assert _order(client_account, hosting, {"action": "own", "name": "mysites.test"}, now)


def test_own_domain_cannot_be_another_clients_live_domain(client_account, hosting, com, registry, now):  # noqa: F811
    from moorage.domains.models import Domain
    from tests import factories

    other = factories.client(now=now)
    Domain.objects.create(client=other, name="theirs.com", tld=com, status="active", created_at=now)
    with pytest.raises(DomainError) as err:
        _order(client_account, hosting, {"action": "own", "name": "theirs.com"}, now)
    assert err.value.code == "domain_taken"
    Domain.objects.create(client=client_account, name="mine.com", tld=com, status="active", created_at=now)
    assert _order(client_account, hosting, {"action": "own", "name": "mine.com"}, now)
