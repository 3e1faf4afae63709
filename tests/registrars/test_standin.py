"""The EPP stand-in on its own: session rules, its own frame limit, the command line."""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
from pathlib import Path

import pytest

from epp_standin import FAULTS, EppStandin
from epp_standin.testing import epp_server, module_settings  # noqa: F401
from moorage.domains.registrar import PERMANENT, TEMPORARY, RegistrarError
from moorage.registrars.epp import EppRegistrar, Session
from moorage.registrars.epp_wire import HEADER, Connection, parse_document, parse_greeting

from .conftest import settings_for

SRC = Path(__file__).resolve().parents[2] / "src"


def connect(server: EppStandin) -> Session:
    context = ssl.create_default_context(cafile=server.ca_file)
    connection = Connection("127.0.0.1", server.port, context, 5)
    greeting = parse_greeting(parse_document(connection.open()))
    return Session(connection, greeting, server.login, set())


def test_the_greeting_offers_the_objects_and_hello_repeats_it(epp_standin):
    session = connect(epp_standin)
    assert "urn:ietf:params:xml:ns:domain-1.0" in session.greeting.obj_uris
    assert "urn:ietf:params:xml:ns:contact-1.0" in session.greeting.obj_uris
    assert session.greeting.versions == ("1.0",)
    assert session.hello() == session.greeting
    session.connection.close()


def test_commands_before_login_are_refused(epp_standin):
    session = connect(epp_standin)
    with pytest.raises(RegistrarError) as error:
        session.check_domains(["fresh.test"])
    assert (error.value.kind, error.value.code) == (PERMANENT, "2002")
    session.connection.close()


def test_the_third_wrong_password_closes_the_session(epp_standin):
    session = connect(epp_standin)
    for _ in range(2):
        with pytest.raises(RegistrarError) as error:
            session.log_in("wrong-password")
        assert error.value.code == "2200"
    with pytest.raises(RegistrarError) as error:
        session.log_in("wrong-password")
    assert (error.value.kind, error.value.code) == (TEMPORARY, "2501")
    assert session.connection.broken


def test_an_oversized_client_frame_ends_the_connection(epp_standin):
    session = connect(epp_standin)
    assert session.connection.sock is not None
    session.connection.sock.sendall(HEADER.pack(0x7FFFFFFF) + b"x" * 1000)
    with pytest.raises(RegistrarError) as error:
        session.connection.read_frame()
    assert (error.value.kind, error.value.code) == (TEMPORARY, "closed")


def test_the_shared_fixture_serves_the_module(epp_server):  # noqa: F811
    registrar = EppRegistrar(module_settings(epp_server))
    assert registrar.test_connection() == "logged in to EPP stand-in as moorage"


def test_an_unknown_fault_is_refused(epp_standin):
    with pytest.raises(ValueError):
        epp_standin.fail_next("domain:check", "explode")
    assert "drop_after" in FAULTS


def test_a_registry_can_refuse_transfers_it_does_not_know():
    with pytest.raises(ValueError):
        EppStandin(transfer_mode="maybe")


def test_the_command_line_serves_a_registry(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    process = subprocess.Popen(  # noqa: S603 - our own module
        [sys.executable, "-m", "epp_standin", "--port", "0", "--cert-dir", str(tmp_path), "--transfer", "pending"],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("EPP stand-in listening on 127.0.0.1:")
        port = int(first.split(":")[1].split()[0])
        lines = [process.stdout.readline() for _ in range(4)]
        assert f"CA file {tmp_path / 'ca.pem'}" in lines[1]
        assert "taken.test (Xfer-Taken-1)" in lines[3]

        class Server:  # what settings_for reads
            login, password, ca_file = "moorage", "standin-pw1", str(tmp_path / "ca.pem")

        Server.port = port  # type: ignore[attr-defined]
        registrar = EppRegistrar(settings_for(Server))  # type: ignore[arg-type]
        assert registrar.check(["fresh.test", "taken.test"]) == {"fresh.test": True, "taken.test": False}
    finally:
        process.terminate()
        process.wait(timeout=10)
