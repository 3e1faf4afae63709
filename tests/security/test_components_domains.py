"""Attacks on the domain component: name-server values and the TLD's registrar secrets."""

from __future__ import annotations

import json

import pytest

from moorage.core.errors import DomainError
from moorage.domains.actions import clean_nameservers
from moorage.domains.admin import KEEP, TldForm
from tests.domains.conftest import com, registry  # noqa: F401  (fixtures)

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
