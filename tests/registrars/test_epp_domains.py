"""The EPP module against the stand-in over real TLS: check, register, transfer, renew, name servers,
info, and the retries that must not do anything twice."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from epp_standin import OTHER_REGISTRAR
from moorage.domains.registrar import PERMANENT, TEMPORARY, Contact, RegistrarError, registrar_classes
from moorage.registrars.epp import EppRegistrar

from .conftest import settings_for

NS = ("ns1.hosting.example", "ns2.hosting.example")


def commands(server, name):  # noqa: ANN001, ANN201
    return [c for c in server.registry.commands if c[1] == name]


def test_the_entry_point_finds_the_module():
    assert registrar_classes()["epp"] is EppRegistrar


# -- check ----------------------------------------------------------------------------------------------
def test_check_answers_each_name_as_given(registrar):
    answer = registrar.check(["fresh-name.test", "taken.test", "Fresh-Other.TEST.", "nothere.invalidtld"])
    assert answer == {
        "fresh-name.test": True,
        "taken.test": False,
        "Fresh-Other.TEST.": True,
        "nothere.invalidtld": False,
    }


def test_check_sends_names_in_batches(registrar, epp_standin):
    names = [f"name{i}.test" for i in range(25)]
    answer = registrar.check(names)
    assert answer == dict.fromkeys(names, True)
    assert len(commands(epp_standin, "domain:check")) == 3


def test_check_of_an_idn_uses_its_ace_form(registrar, epp_standin):
    epp_standin.registry.domains.clear()
    assert registrar.check(["пример.test"]) == {"пример.test": True}


@pytest.mark.parametrize("name", ["<evil>.test", "a" * 64 + ".test", "no-tld", "", "x..test", "-bad.test", "bad-.test"])
def test_a_bad_name_is_refused_before_connecting(registrar, epp_standin, name):
    with pytest.raises(RegistrarError) as error:
        registrar.check([name])
    assert (error.value.kind, error.value.code) == (PERMANENT, "name")
    assert epp_standin.registry.commands == []


def test_check_of_nothing_does_not_connect(registrar, epp_standin):
    assert registrar.check([]) == {}
    assert epp_standin.registry.commands == []


# -- register --------------------------------------------------------------------------------------------
def test_register_creates_contact_hosts_and_domain(registrar, epp_standin, contact, registry_now):
    info = registrar.register("New-Site.test", years=2, contact=contact, nameservers=NS)

    assert info.name == "new-site.test"
    assert info.expires_on == dt.date(2028, 1, 15)
    assert info.nameservers == NS
    assert info.pending is False
    domain = epp_standin.registry.domains["new-site.test"]
    assert domain.sponsor == "moorage"
    assert domain.registrant == "MOO-42"
    assert domain.contacts == [("admin", "MOO-42"), ("tech", "MOO-42")]
    assert domain.hosts == list(NS)
    assert set(NS) <= set(epp_standin.registry.hosts)
    # A random auth code of 16 characters with all four kinds of characters.
    assert len(domain.auth) == 16
    assert any(c.isupper() for c in domain.auth) and any(c.isdigit() for c in domain.auth)
    stored = epp_standin.registry.contacts["MOO-42"]
    assert (stored.name, stored.email, stored.postal["city"], stored.postal["cc"]) == (
        "Anna Client",
        "anna@example.test",
        "Riga",
        "LV",
    )
    assert stored.postal["street"] == "1 Harbour Street / Suite 5"
    assert stored.postal["type"] == "int"
    assert stored.postal["voice"] == "+371.20000000"


def test_a_second_domain_reuses_the_contact_and_the_hosts(registrar, epp_standin, contact):
    registrar.register("one.test", years=1, contact=contact, nameservers=NS)
    registrar.register("two.test", years=1, contact=contact, nameservers=NS)
    assert len(commands(epp_standin, "contact:create")) == 1
    assert len(commands(epp_standin, "host:create")) == 2
    assert len(commands(epp_standin, "domain:create")) == 2


def test_contact_prefix_and_roles_are_settings(epp_standin, contact):
    registrar = EppRegistrar(settings_for(epp_standin, contact_prefix="mg", contact_roles="tech, billing"))
    registrar.register("roles.test", years=1, contact=contact, nameservers=())
    domain = epp_standin.registry.domains["roles.test"]
    assert domain.registrant == "mgMOO-42"
    assert domain.contacts == [("tech", "mgMOO-42"), ("billing", "mgMOO-42")]
    assert domain.hosts == []


def test_a_non_ascii_contact_is_sent_in_the_localized_form(registrar, epp_standin):
    contact = Contact(handle="MOO-7", name="Анна Клиент", email="anna@example.test", city="Рига", country="lv")
    registrar.register("loc.test", years=1, contact=contact, nameservers=())
    stored = epp_standin.registry.contacts["MOO-7"]
    assert (stored.name, stored.postal["type"], stored.postal["cc"]) == ("Анна Клиент", "loc", "LV")


def test_control_characters_in_contact_fields_are_not_sent(registrar, epp_standin):
    contact = Contact(handle="MOO-8", name="Bad\x00Name\x1b", email="b@example.test", city="Riga", country="LV")
    registrar.register("ctl.test", years=1, contact=contact, nameservers=())
    assert epp_standin.registry.contacts["MOO-8"].name == "Bad Name"


def test_a_contact_without_city_is_refused_before_anything_is_created(registrar, epp_standin):
    contact = Contact(handle="MOO-9", name="No City", email="n@example.test", country="LV")
    with pytest.raises(RegistrarError) as error:
        registrar.register("nocity.test", years=1, contact=contact, nameservers=())
    assert (error.value.kind, error.value.code) == (PERMANENT, "contact")
    assert "city" in error.value.message
    assert "nocity.test" not in epp_standin.registry.domains
    assert "MOO-9" not in epp_standin.registry.contacts


@pytest.mark.parametrize("handle", ["ab", "x" * 17, "bad handle", "a<b>c"])
def test_a_bad_contact_handle_is_refused(registrar, epp_standin, handle):
    contact = Contact(handle=handle, name="N", email="n@example.test", city="Riga", country="LV")
    with pytest.raises(RegistrarError) as error:
        registrar.register("handle.test", years=1, contact=contact, nameservers=())
    assert (error.value.kind, error.value.code) == (PERMANENT, "contact")
    assert epp_standin.registry.commands == []


def test_register_a_taken_name_is_permanent(registrar, contact):
    with pytest.raises(RegistrarError) as error:
        registrar.register("taken.test", years=1, contact=contact, nameservers=NS)
    assert (error.value.kind, error.value.code) == (PERMANENT, "2302")
    assert "Object exists" in error.value.message


def test_register_in_a_tld_the_registry_does_not_serve_is_a_policy_error(registrar, contact):
    with pytest.raises(RegistrarError) as error:
        registrar.register("name.invalidtld", years=1, contact=contact, nameservers=())
    assert (error.value.kind, error.value.code) == (PERMANENT, "2306")


@pytest.mark.parametrize("years", [0, 11, -1, True, 1.5])
def test_register_refuses_a_bad_period(registrar, contact, years):
    with pytest.raises(RegistrarError) as error:
        registrar.register("period.test", years=years, contact=contact, nameservers=())
    assert (error.value.kind, error.value.code) == (PERMANENT, "period")


def test_register_with_too_many_nameservers_is_refused(registrar, contact):
    hosts = tuple(f"ns{i}.hosting.example" for i in range(14))
    with pytest.raises(RegistrarError) as error:
        registrar.register("many.test", years=1, contact=contact, nameservers=hosts)
    assert error.value.kind == PERMANENT


def test_a_nameserver_inside_the_new_domain_needs_glue(registrar, epp_standin, contact):
    with pytest.raises(RegistrarError) as error:
        registrar.register("glue.test", years=1, contact=contact, nameservers=("ns1.glue.test",))
    assert (error.value.kind, error.value.code) == (PERMANENT, "host")
    assert "glue.test" not in epp_standin.registry.domains


def test_register_retried_after_a_lost_answer_registers_once(registrar, epp_standin, contact):
    epp_standin.fail_next("contact:create", "drop")  # not done
    with pytest.raises(RegistrarError) as error:
        registrar.register("retry.test", years=1, contact=contact, nameservers=NS)
    assert (error.value.kind, error.value.code) == (TEMPORARY, "closed")
    assert "retry.test" not in epp_standin.registry.domains
    assert "MOO-42" not in epp_standin.registry.contacts

    epp_standin.fail_next("domain:create", "drop_after")  # done, but the answer is lost
    with pytest.raises(RegistrarError) as error:
        registrar.register("retry.test", years=1, contact=contact, nameservers=NS)
    assert (error.value.kind, error.value.code) == (TEMPORARY, "closed")
    assert epp_standin.registry.domains["retry.test"].sponsor == "moorage"

    info = registrar.register("retry.test", years=1, contact=contact, nameservers=NS)
    assert info.expires_on == dt.date(2027, 1, 15)
    assert info.nameservers == NS
    assert len(commands(epp_standin, "contact:create")) == 1  # the first never reached the registry
    assert len(commands(epp_standin, "host:create")) == 2  # once each
    assert len(commands(epp_standin, "domain:create")) == 2  # done once; the retry was refused (2302)


def test_register_of_our_own_domain_for_another_registrant_is_refused(registrar, epp_standin, contact):
    registrar.register("mine.test", years=1, contact=contact, nameservers=())
    other = Contact(handle="MOO-43", name="Other", email="o@example.test", city="Riga", country="LV")
    with pytest.raises(RegistrarError) as error:
        registrar.register("mine.test", years=1, contact=other, nameservers=())
    assert (error.value.kind, error.value.code) == (PERMANENT, "2302")


# -- transfer ------------------------------------------------------------------------------------------------
def test_transfer_with_the_right_auth_code_completes(registrar, epp_standin, contact):
    info = registrar.transfer("moving.test", auth_code="Xfer-Moving-2", years=1, contact=contact)
    assert info.pending is False
    assert info.expires_on == dt.date(2028, 1, 15)  # a year added to the one left
    domain = epp_standin.registry.domains["moving.test"]
    assert domain.sponsor == "moorage"


def test_transfer_with_a_wrong_auth_code_is_permanent(registrar, epp_standin, contact):
    with pytest.raises(RegistrarError) as error:
        registrar.transfer("moving.test", auth_code="Wrong-Code-99", years=1, contact=contact)
    assert (error.value.kind, error.value.code) == (PERMANENT, "2202")
    assert "Wrong-Code-99" not in str(error.value)
    assert epp_standin.registry.domains["moving.test"].sponsor == OTHER_REGISTRAR


@pytest.mark.parametrize("code", ["", "   ", "bad\x00code", "x" * 300])
def test_transfer_with_an_empty_or_hostile_auth_code_is_refused_before_connecting(
    registrar, epp_standin, contact, code
):
    with pytest.raises(RegistrarError) as error:
        registrar.transfer("moving.test", auth_code=code, years=1, contact=contact)
    assert error.value.kind == PERMANENT
    assert epp_standin.registry.commands == []


def test_transfer_of_a_locked_domain_is_refused(registrar, contact):
    with pytest.raises(RegistrarError) as error:
        registrar.transfer("locked.test", auth_code="Xfer-Locked-3", years=1, contact=contact)
    assert (error.value.kind, error.value.code) == (PERMANENT, "2304")


def test_transfer_of_an_unknown_domain_is_permanent(registrar, contact):
    with pytest.raises(RegistrarError) as error:
        registrar.transfer("nobody.test", auth_code="Whatever-1", years=1, contact=contact)
    assert (error.value.kind, error.value.code) == (PERMANENT, "2303")


def test_a_pending_transfer_is_reported_pending_and_a_retry_finds_it(make_standin, contact):
    server = make_standin(transfer_mode="pending")
    registrar = EppRegistrar(settings_for(server))

    info = registrar.transfer("moving.test", auth_code="Xfer-Moving-2", years=1, contact=contact)
    assert info.pending is True
    assert "transfer:pending" in info.statuses

    again = registrar.transfer("moving.test", auth_code="Xfer-Moving-2", years=1, contact=contact)
    assert again.pending is True
    assert len(commands(server, "domain:transfer")) == 3  # request, request (2300), query

    server.registry.approve_transfer("moving.test")
    done = registrar.info("moving.test")
    assert done.pending is False
    assert done.expires_on == dt.date(2028, 1, 15)


def test_a_transfer_retried_after_it_completed_reports_the_domain(registrar, epp_standin, contact):
    epp_standin.fail_next("transfer", "drop_after")
    with pytest.raises(RegistrarError) as error:
        registrar.transfer("moving.test", auth_code="Xfer-Moving-2", years=1, contact=contact)
    assert error.value.kind == TEMPORARY
    info = registrar.transfer("moving.test", auth_code="Xfer-Moving-2", years=1, contact=contact)
    assert info.pending is False
    assert info.expires_on == dt.date(2028, 1, 15)  # renewed by the transfer once, not twice


# -- renew ---------------------------------------------------------------------------------------------------
def test_renew_adds_years_to_the_current_expiry(registrar, epp_standin, contact):
    registrar.register("renew.test", years=1, contact=contact, nameservers=())
    info = registrar.renew("renew.test", years=2, current_expiry=dt.date(2027, 1, 15))
    assert info.expires_on == dt.date(2029, 1, 15)
    assert epp_standin.registry.domains["renew.test"].expires.date() == dt.date(2029, 1, 15)


def test_renew_with_a_wrong_current_expiry_is_refused(registrar, epp_standin, contact):
    registrar.register("renew.test", years=1, contact=contact, nameservers=())
    with pytest.raises(RegistrarError) as error:
        registrar.renew("renew.test", years=1, current_expiry=dt.date(2026, 6, 1))
    assert (error.value.kind, error.value.code) == (PERMANENT, "2004")
    assert "curExpDate" in error.value.message
    assert epp_standin.registry.domains["renew.test"].expires.date() == dt.date(2027, 1, 15)


def test_renew_retried_after_a_lost_answer_renews_once(registrar, epp_standin, contact):
    registrar.register("renew.test", years=1, contact=contact, nameservers=())
    epp_standin.fail_next("renew", "drop_after")
    with pytest.raises(RegistrarError) as error:
        registrar.renew("renew.test", years=1, current_expiry=dt.date(2027, 1, 15))
    assert (error.value.kind, error.value.code) == (TEMPORARY, "closed")
    info = registrar.renew("renew.test", years=1, current_expiry=dt.date(2027, 1, 15))
    assert info.expires_on == dt.date(2028, 1, 15)
    assert epp_standin.registry.domains["renew.test"].expires.date() == dt.date(2028, 1, 15)


def test_renew_of_another_registrars_domain_is_an_authorization_error(registrar):
    with pytest.raises(RegistrarError) as error:
        registrar.renew("taken.test", years=1, current_expiry=dt.date(2027, 1, 15))
    assert (error.value.kind, error.value.code) == (PERMANENT, "2201")


# -- name servers and info ---------------------------------------------------------------------------------
def test_set_nameservers_adds_and_removes(registrar, epp_standin, contact):
    registrar.register("dns.test", years=1, contact=contact, nameservers=NS)
    registrar.set_nameservers("dns.test", ("NS2.hosting.example", "ns3.hosting.example."))
    assert epp_standin.registry.domains["dns.test"].hosts == ["ns2.hosting.example", "ns3.hosting.example"]
    assert "ns3.hosting.example" in epp_standin.registry.hosts
    assert registrar.info("dns.test").nameservers == ("ns2.hosting.example", "ns3.hosting.example")


def test_set_nameservers_to_the_same_sends_no_update(registrar, epp_standin, contact):
    registrar.register("dns.test", years=1, contact=contact, nameservers=NS)
    registrar.set_nameservers("dns.test", tuple(reversed(NS)))
    assert commands(epp_standin, "domain:update") == []


def test_set_nameservers_of_another_registrars_domain_is_refused(registrar):
    with pytest.raises(RegistrarError) as error:
        registrar.set_nameservers("taken.test", NS)
    assert (error.value.kind, error.value.code) == (PERMANENT, "2201")


def test_info_of_our_domain(registrar, contact):
    registrar.register("info.test", years=3, contact=contact, nameservers=NS)
    info = registrar.info("info.test")
    assert info.name == "info.test"
    assert info.expires_on == dt.date(2029, 1, 15)
    assert info.statuses == ("ok",)
    assert info.nameservers == NS
    assert info.pending is False


def test_info_of_another_registrars_domain_is_limited(registrar):
    info = registrar.info("taken.test")
    assert info.expires_on == dt.date(2027, 1, 15)
    assert info.nameservers == ()


def test_info_of_an_unknown_domain_is_permanent(registrar):
    with pytest.raises(RegistrarError) as error:
        registrar.info("unknown.test")
    assert (error.value.kind, error.value.code) == (PERMANENT, "2303")


# -- secrets ------------------------------------------------------------------------------------------------
def test_passwords_and_auth_codes_never_reach_the_log(registrar, epp_standin, contact, caplog):
    caplog.set_level(logging.DEBUG, logger="moorage.registrars.epp")
    registrar.register("secret.test", years=1, contact=contact, nameservers=NS)
    registrar.transfer("moving.test", auth_code="Xfer-Moving-2", years=1, contact=contact)
    with pytest.raises(RegistrarError):
        registrar.transfer("taken.test", auth_code="Wrong-Code-77", years=1, contact=contact)
    registrar.info("secret.test")  # the answer carries the domain's auth code

    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "<domain:create" in logged or "domain:create" in logged  # the frames are logged at DEBUG...
    secrets_sent = [
        epp_standin.password,
        "Xfer-Moving-2",
        "Wrong-Code-77",
        epp_standin.registry.domains["secret.test"].auth,
        epp_standin.registry.contacts["MOO-42"].auth,
    ]
    for secret in secrets_sent:
        assert secret not in logged  # ...without a password or an auth code
    assert "***" in logged
