"""VAPID keys: from the environment, or generated once for the embedded run and kept; the command
that prints them; the deploy check."""

from __future__ import annotations

import io
import json
import stat

import pytest
from django.core.management import call_command

from moorage.push import checks, vapid


def test_the_embedded_run_generates_one_pair_and_keeps_it(settings, tmp_path):
    first = vapid.keys()
    assert vapid.key_file() == tmp_path / "vapid-keys.json"
    assert stat.S_IMODE(vapid.key_file().stat().st_mode) == 0o600
    assert vapid.keys() == first
    assert vapid.public_from_private(first.private_key) == first.public_key
    assert len(vapid.b64url_decode(first.public_key)) == 65
    assert json.loads(vapid.key_file().read_text())["public_key"] == first.public_key


def test_keys_from_the_environment_win(settings):
    private, public = vapid.generate()
    settings.MOORAGE_VAPID_PRIVATE_KEY = private
    keys = vapid.keys()
    assert (keys.private_key, keys.public_key, keys.subject) == (private, public, "mailto:ops@moorage.test")
    assert not vapid.key_file().exists()


def test_the_subject_defaults_to_the_sender_address(settings):
    settings.MOORAGE_VAPID_SUBJECT = ""
    settings.DEFAULT_FROM_EMAIL = "billing@host.example"
    assert vapid.keys().subject == "mailto:billing@host.example"


def test_vapid_keys_command(settings):
    out = io.StringIO()
    call_command("vapid-keys", stdout=out)
    assert f"Public key: {vapid.keys().public_key}" in out.getvalue() and "generated" in out.getvalue()
    out = io.StringIO()
    call_command("vapid-keys", "--generate", stdout=out)
    lines = dict(line.split("=", 1) for line in out.getvalue().splitlines())
    assert vapid.public_from_private(lines["MOORAGE_VAPID_PRIVATE_KEY"]) == lines["MOORAGE_VAPID_PUBLIC_KEY"]


@pytest.mark.parametrize("production", [True, False])
def test_deploy_check_warns_without_keys_in_production(settings, production):
    settings.PRODUCTION = production
    ids = [m.id for m in checks.moorage_vapid_keys(None)]
    assert ("moorage.W101" in ids) is production


def test_deploy_check_refuses_a_mismatched_pair(settings):
    settings.PRODUCTION = True
    settings.MOORAGE_VAPID_PRIVATE_KEY, _ = vapid.generate()
    _, settings.MOORAGE_VAPID_PUBLIC_KEY = vapid.generate()
    assert [m.id for m in checks.moorage_vapid_keys(None)] == ["moorage.E102"]
    settings.MOORAGE_VAPID_PRIVATE_KEY = "not a key"
    assert [m.id for m in checks.moorage_vapid_keys(None)] == ["moorage.E101"]


def test_deploy_check_refuses_a_subject_push_services_refuse(settings):
    settings.MOORAGE_VAPID_SUBJECT = "ops@example.com"
    assert [m.id for m in checks.moorage_vapid_keys(None)] == ["moorage.E103"]
