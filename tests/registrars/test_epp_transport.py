"""The EPP session against the stand-in: TLS trust and client certificates, login, settings, and a
server that breaks (closes mid-command, hangs, sends hostile or oversized frames)."""

from __future__ import annotations

import socket
import tracemalloc
from pathlib import Path

import pytest

from moorage.domains.registrar import PERMANENT, TEMPORARY, RegistrarError
from moorage.registrars.epp import EppRegistrar

from .conftest import settings_for


def refused(registrar: EppRegistrar) -> RegistrarError:
    with pytest.raises(RegistrarError) as error:
        registrar.check(["fresh.test"])
    return error.value


# -- login ------------------------------------------------------------------------------------------------
def test_test_connection_logs_in_says_hello_and_out(registrar, epp_standin):
    assert registrar.test_connection() == "logged in to EPP stand-in as moorage"
    assert [c[1] for c in epp_standin.registry.commands] == ["login", "logout"]


def test_a_wrong_password_is_a_permanent_authentication_error(epp_standin):
    error = refused(EppRegistrar(settings_for(epp_standin, password="Not-The-Password")))
    assert (error.kind, error.code) == (PERMANENT, "2200")
    assert "Not-The-Password" not in error.message


def test_a_wrong_login_is_refused_too(epp_standin):
    error = refused(EppRegistrar(settings_for(epp_standin, login="somebody")))
    assert (error.kind, error.code) == (PERMANENT, "2200")


def test_a_server_without_the_domain_object_is_a_config_error(make_standin):
    server = make_standin(offer=("urn:ietf:params:xml:ns:contact-1.0",))
    error = refused(EppRegistrar(settings_for(server)))
    assert (error.kind, error.code) == (PERMANENT, "config")
    assert server.registry.commands == []


def test_login_announces_what_the_greeting_offers(make_standin):
    server = make_standin(offer=("urn:ietf:params:xml:ns:domain-1.0", "urn:ietf:params:xml:ns:contact-1.0"))
    registrar = EppRegistrar(settings_for(server))
    info = registrar.register("nohosts.test", years=1, contact=_contact(), nameservers=())
    assert info.name == "nohosts.test"
    assert not any(name.startswith("host:") for _, name in server.registry.commands)


# -- settings ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "overrides",
    [
        {"host": ""},
        {"login": ""},
        {"password": None},
        {"port": "abc"},
        {"port": 0},
        {"port": 70000},
        {"timeout": "soon"},
        {"contact_roles": "admin,owner"},
        {"ca_file": "/nonexistent/ca.pem"},
        {"ca_file": "-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----"},
        {"client_key": "/nonexistent/client.key"},
        {"client_certificate": "/nonexistent/client.pem"},
    ],
)
def test_bad_settings_are_a_permanent_config_error(epp_standin, overrides):
    registrar = EppRegistrar(settings_for(epp_standin, **overrides))
    with pytest.raises(RegistrarError) as error:
        registrar.register("x.test", years=1, contact=_contact(), nameservers=())
    assert (error.value.kind, error.value.code) == (PERMANENT, "config")
    assert epp_standin.registry.commands == []


def _contact():  # noqa: ANN202
    from moorage.domains.registrar import Contact

    return Contact(handle="MOO-1", name="N", email="n@example.test", city="Riga", country="LV")


def test_settings_as_a_form_gives_them_strings_work(epp_standin):
    registrar = EppRegistrar(settings_for(epp_standin, port=str(epp_standin.port), timeout="5", verify_tls="on"))
    assert registrar.check(["fresh.test"]) == {"fresh.test": True}


def test_the_settings_fields_describe_the_module():
    names = [f.name for f in EppRegistrar.settings_fields]
    assert names[:4] == ["host", "port", "login", "password"]
    fields = {f.name: f for f in EppRegistrar.settings_fields}
    assert fields["port"].default == 700
    assert fields["verify_tls"].default is True
    assert fields["password"].kind == "password"


# -- TLS ---------------------------------------------------------------------------------------------------
def test_a_server_certificate_the_system_does_not_trust_is_refused(epp_standin):
    error = refused(EppRegistrar(settings_for(epp_standin, ca_file="")))
    assert (error.kind, error.code) == (TEMPORARY, "tls")
    assert epp_standin.registry.commands == []


def test_verification_can_be_turned_off(epp_standin):
    registrar = EppRegistrar(settings_for(epp_standin, ca_file="", verify_tls=False))
    assert registrar.check(["fresh.test"]) == {"fresh.test": True}


def test_the_ca_can_be_given_as_pem_text(epp_standin):
    registrar = EppRegistrar(settings_for(epp_standin, ca_file=epp_standin.certs.ca_pem))
    assert registrar.check(["fresh.test"]) == {"fresh.test": True}


def test_the_host_name_is_checked_against_the_certificate(make_standin):
    server = make_standin(host="127.0.0.2")  # the certificate names localhost, 127.0.0.1 and ::1 only
    error = refused(EppRegistrar(settings_for(server, host="127.0.0.2")))
    assert (error.kind, error.code) == (TEMPORARY, "tls")


def test_a_registry_that_requires_a_client_certificate_refuses_a_client_without(make_standin):
    server = make_standin(require_client_cert=True)
    error = refused(EppRegistrar(settings_for(server)))
    assert error.kind == TEMPORARY
    assert error.code in ("tls", "closed")
    assert server.registry.commands == []


def test_a_client_certificate_from_files(make_standin):
    server = make_standin(require_client_cert=True)
    registrar = EppRegistrar(
        settings_for(server, host="localhost", client_certificate=server.client_cert, client_key=server.client_key)
    )
    assert registrar.check(["fresh.test"]) == {"fresh.test": True}


def test_a_client_certificate_as_pem_text(make_standin):
    server = make_standin(require_client_cert=True)
    registrar = EppRegistrar(
        settings_for(
            server,
            client_certificate=Path(server.client_cert).read_text(),
            client_key=Path(server.client_key).read_text(),
        )
    )
    assert registrar.check(["fresh.test"]) == {"fresh.test": True}


def test_a_client_key_without_its_certificate_is_a_config_error(make_standin):
    server = make_standin(require_client_cert=True)
    error = refused(EppRegistrar(settings_for(server, client_key=server.client_key)))
    assert (error.kind, error.code) == (PERMANENT, "config")


# -- a server that breaks -------------------------------------------------------------------------------------
def test_nobody_listening_is_temporary():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    error = refused(EppRegistrar({"host": "127.0.0.1", "port": port, "login": "x", "password": "y", "timeout": 5}))
    assert (error.kind, error.code) == (TEMPORARY, "connection")


def test_the_server_closing_mid_command_is_temporary(registrar, epp_standin):
    epp_standin.fail_next("domain:check", "drop")
    error = refused(registrar)
    assert (error.kind, error.code) == (TEMPORARY, "closed")
    assert registrar.check(["fresh.test"]) == {"fresh.test": True}  # the next session is fine


def test_the_server_closing_at_login_is_temporary(registrar, epp_standin):
    epp_standin.fail_next("login", "drop")
    error = refused(registrar)
    assert (error.kind, error.code) == (TEMPORARY, "closed")


def test_a_server_that_does_not_answer_times_out(epp_standin):
    registrar = EppRegistrar(settings_for(epp_standin, timeout=0.5))
    epp_standin.fail_next("domain:check", "hang")
    error = refused(registrar)
    assert (error.kind, error.code) == (TEMPORARY, "timeout")


def test_a_server_that_trickles_its_answer_times_out(epp_standin):
    registrar = EppRegistrar(settings_for(epp_standin, timeout=0.5))
    epp_standin.fail_next("domain:check", "drip")  # each byte in time, the whole frame far too late
    error = refused(registrar)
    assert (error.kind, error.code) == (TEMPORARY, "timeout")


def test_an_oversized_frame_is_refused_without_reading_it(registrar, epp_standin):
    epp_standin.fail_next("domain:check", "oversize")  # announces 2 GiB
    tracemalloc.start()
    try:
        error = refused(registrar)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (error.kind, error.code) == (TEMPORARY, "frame")
    assert "over the limit" in error.message
    assert peak < 4 * 1024 * 1024


def test_a_frame_shorter_than_its_header_is_refused(registrar, epp_standin):
    epp_standin.fail_next("domain:check", "short")
    error = refused(registrar)
    assert (error.kind, error.code) == (TEMPORARY, "frame")


def test_half_a_frame_then_closing_is_temporary(registrar, epp_standin):
    epp_standin.fail_next("domain:check", "truncated")
    error = refused(registrar)
    assert (error.kind, error.code) == (TEMPORARY, "closed")


def test_a_frame_that_is_not_xml_is_a_protocol_error(registrar, epp_standin):
    epp_standin.fail_next("domain:check", "garbage")
    error = refused(registrar)
    assert (error.kind, error.code) == (TEMPORARY, "protocol")


def test_an_entity_expansion_bomb_is_not_expanded(registrar, epp_standin):
    epp_standin.fail_next("domain:check", "bomb")
    error = refused(registrar)
    assert (error.kind, error.code) == (TEMPORARY, "protocol")
    assert "aaaa" not in error.message


@pytest.mark.parametrize("code", ["2400", "2502"])
def test_command_failed_and_session_limit_are_temporary(registrar, epp_standin, code):
    epp_standin.fail_next("domain:check", code)
    error = refused(registrar)
    assert (error.kind, error.code) == (TEMPORARY, code)


def test_a_lower_frame_limit_applies(registrar, epp_standin, monkeypatch):
    from moorage.registrars import epp_wire

    monkeypatch.setattr(epp_wire, "MAX_FRAME", 100)
    error = refused(registrar)  # the greeting alone is longer
    assert (error.kind, error.code) == (TEMPORARY, "frame")
